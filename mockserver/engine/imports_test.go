package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImportsNoServer: the delivery core depends on none of the
// HTTP-server packages of the module (the façade, its control API, the
// dashboard, the registration mocks, the SQLite store).
func TestEngineImportsNoServer(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const m = "github.com/esimhooks/esimhooks/mockserver"
	forbidden := []string{m, m + "/api", m + "/dashboard", m + "/providerapi", m + "/sqlite"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f {
				t.Errorf("package engine imports %s", dep)
			}
		}
	}
}
