package conformance

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestCustomProfileGradedInFull grades the example receiver against a
// provider that is not shipped (testdata/tripwire, as --profile-file loads
// it): an HMAC signature over the raw body, success exactly 200, a HEAD
// registration check and timed events. Every requirement those facts call
// for applies and passes; the rest are skipped with the fact that fails.
func TestCustomProfileGradedInFull(t *testing.T) {
	p, err := providers.LoadFile("testdata/tripwire/tripwire.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := providers.MustBuiltin()
	if err := cat.Add(p); err != nil {
		t.Fatal(err)
	}
	v, err := cat.Variant("tripwire", "")
	if err != nil {
		t.Fatal(err)
	}
	secret := secretFor(t, v)
	target, probe := serveReceiver(t, v, secret, nil)
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Provider: "tripwire", Target: target, Secret: secret, Probe: probe,
		Strict: true, Catalogue: cat, Output: &out})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	outcome := map[string]string{}
	for _, r := range sum.Requirements {
		outcome[r.ID] = r.Outcome
		// TLS-001 needs --production, SCN-001 a scenario of the provider.
		if r.Outcome == OutcomeSkipped && r.ID != "TLS-001" && r.ID != "SCN-001" {
			if !strings.Contains(r.Evidence, "tripwire@v1: ") {
				t.Errorf("%s skipped without a fact of the profile: %q", r.ID, r.Evidence)
			}
		}
	}
	for _, id := range []string{"ACK-001", "ACK-003", "REG-001", "SIG-001", "SIG-002", "SIG-003", "SIG-004", "SIG-005", "SIG-006", "ORD-002", "IDM-002", "RTY-001"} {
		if outcome[id] != OutcomePassed {
			t.Errorf("%s: %s, want passed (graded from the profile's facts)", id, outcome[id])
		}
	}
	for _, id := range []string{"SIG-007", "RPL-001"} {
		if outcome[id] != OutcomeSkipped {
			t.Errorf("%s: %s, want skipped (the profile lacks the fact)", id, outcome[id])
		}
	}
	if !sum.Passed || t.Failed() {
		t.Errorf("not passed:\n%s", out.String())
	}
}
