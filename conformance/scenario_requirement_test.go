package conformance

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/conformance/scenario"
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

// TestScenarioExpectationLevels proves that a scenario expectation takes
// the level of the requirement it exercises: a SimplifyTrip receiver
// without the 24-hour window accepts simplifytrip-stale-replay's stale
// event, which RPL-001 grades as SHOULD, so SCN-001 (MUST) passes and
// SCN-002 (SHOULD) fails on that step.
func TestScenarioExpectationLevels(t *testing.T) {
	s := gradeFault(t, "no-replay-check", mustVariant(t, "simplifytrip"), CategoryScenario, false)
	if o, ev := result(t, s, "SCN-001"); o != OutcomePassed {
		t.Errorf("SCN-001 %s (%s), want passed: the stale replay is a SHOULD", o, ev)
	}
	if o, ev := result(t, s, "SCN-002"); o != OutcomeFailed || !strings.Contains(ev, "RPL-001") || !strings.Contains(ev, "expected 4xx") {
		t.Errorf("SCN-002 %s (%s), want failed on the stale step exercising RPL-001", o, ev)
	}
	if ExitCode(s, nil) != 0 {
		t.Errorf("exit %d without --strict, want 0: only a SHOULD failed", ExitCode(s, nil))
	}
}

// TestScenarioExercisesKnownRequirements keeps the library's exercises
// fields naming requirements the catalogue holds.
func TestScenarioExercisesKnownRequirements(t *testing.T) {
	cat := providers.MustBuiltin()
	lib, err := scenario.LibraryWith(cat, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range lib {
		for i, st := range sc.Steps {
			if st.Exercises != "" && Requirements().Get(st.Exercises) == nil {
				t.Errorf("%s step %d exercises %s, which the catalogue lacks", sc.Name, i, st.Exercises)
			}
		}
	}
}
