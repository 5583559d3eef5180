package providers_test

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

func TestNearestSuggestsTyposOnly(t *testing.T) {
	names := providers.MustBuiltin().Names()
	for name, want := range map[string]string{
		"esimfy": "esimfly", "Airalo": "airalo", "airlo": "airalo", "standrad": "standard", "roamfy": "roamify",
		"esimfly": "", "stripe": "", "x": "", "": "",
	} {
		if got := providers.Nearest(name, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", name, got, want)
		}
	}
	if got := providers.Nearest("2026-05", []string{"2025-01", "2026-04", "2026-09"}); got != "2026-04 or 2026-09" {
		t.Errorf("ties: %q", got)
	}
}

func TestUnknownNamesSuggestTheNearest(t *testing.T) {
	cat := providers.MustBuiltin()
	_, err := cat.Variant("esimfy", "")
	if err == nil || !strings.HasSuffix(err.Error(), `(valid: airalo, esimaccess, esimfly, roamify, simplifytrip, standard); did you mean esimfly?`) {
		t.Errorf("unknown provider: %v", err)
	}
	v, _ := cat.Variant("airalo", "")
	if _, err := v.Event("async_ordr"); err == nil || !strings.HasSuffix(err.Error(), "did you mean async_order?") {
		t.Errorf("unknown event: %v", err)
	}
	if _, err := cat.Variant("stripe", ""); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a name near nothing got a suggestion: %v", err)
	}
}
