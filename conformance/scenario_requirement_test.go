package conformance

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// TestScenarioRequirement proves SCN-001 on its own (the faulty matrix
// leaves it out): the reference receiver passes it, and receivers without
// deduplication or with last-arrival-wins state fail it with the failing
// scenario step as evidence.
func TestScenarioRequirement(t *testing.T) {
	v, _ := providers.MustBuiltin().Variant("esimfly", "")
	secret := secretFor(t, v)
	grade := func(t *testing.T, rcv faulty.Receiver) (string, string) {
		t.Helper()
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		var out bytes.Buffer
		s, err := Run(context.Background(), Options{Provider: "esimfly", Target: srv.URL + "/hook", Secret: secret,
			Probe: srv.URL + receiver.ProbePrefix, LabelFilter: CategoryScenario, Output: &out})
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return result(t, s, "SCN-001")
	}
	good, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if o, ev := grade(t, good); o != OutcomePassed || !strings.Contains(ev, "expectations held") {
		t.Errorf("reference receiver: %s (%s)", o, ev)
	}
	for name, want := range map[string]string{"no-dedup": "applied", "last-arrival-wins": "expected activated, got new"} {
		f, ok := faulty.ByName(name)
		if !ok {
			t.Fatalf("no fault %s", name)
		}
		rcv, err := f.New(v, secret)
		if err != nil {
			t.Fatal(err)
		}
		o, ev := grade(t, rcv)
		rcv.Close()
		if o != OutcomeFailed || !strings.Contains(ev, "expected") || !strings.Contains(ev, want) {
			t.Errorf("%s: SCN-001 %s (%s), want failed with evidence about %q", name, o, ev, want)
		}
	}
}
