package sqlite

import (
	"strings"
	"testing"
)

// TestWconnRefusesMissingArguments: a statement run with fewer arguments
// than it has parameters is refused before anything is bound, so no
// parameter is left pointing into a freed buffer.
func TestWconnRefusesMissingArguments(t *testing.T) {
	_, path := openTemp(t)
	c, err := openWconn(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if _, err := c.exec(stDeleteEndpoint); err == nil || !strings.Contains(err.Error(), "1 parameters, 0 arguments") {
		t.Fatalf("exec without arguments: %v", err)
	}
	if n, err := c.exec(stDeleteEndpoint, "nope"); err != nil || n != 0 {
		t.Fatalf("exec with its argument: %d rows, %v", n, err)
	}
}
