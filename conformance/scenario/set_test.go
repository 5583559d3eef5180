package scenario

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// TestSetKeepsYAMLTypes: a YAML number, boolean or null is set as that
// JSON value; a YAML string takes the type of the value it replaces (and
// stays a string at a new path), so "123" is never turned into 123.
func TestSetKeepsYAMLTypes(t *testing.T) {
	sc, err := Load("set.yaml", []byte(head+`steps:
  - event: balance.low
    set:
      data.current_balance: "12.50"
      data.new_number: 8944500000000
      data.new_string: "123"
      data.new_bool: true
      data.new_null: null
`), providers.MustBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	pl := plan(sc, payload.NewWorld(sc.Seed, payload.Epoch), testRand())
	if pl[0].err != nil {
		t.Fatal(pl[0].err)
	}
	body := string(pl[0].d.Body)
	for _, want := range []string{`"current_balance":12.5`, `"new_number":8944500000000`, `"new_string":"123"`, `"new_bool":true`, `"new_null":null`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	_, err = Load("set.yaml", []byte(head+`steps:
  - event: balance.low
    set: {data.current_balance: lots}
`), providers.MustBuiltin())
	if err == nil || !strings.Contains(err.Error(), `data.current_balance is a number and "lots" is not a JSON number`) {
		t.Errorf("a string for a number field: %v", err)
	}
}
