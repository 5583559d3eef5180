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
		// TLS-001 needs --production, SCN-* a scenario of the provider.
		if r.Outcome == OutcomeSkipped && r.ID != "TLS-001" && !strings.HasPrefix(r.ID, "SCN-") {
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

// gradeFault runs the suite in this process against the named fault's
// receiver for v, with the probe, narrowed by filter, and returns the
// summary.
func gradeFault(t *testing.T, name string, v *providers.Variant, filter string, strict bool) *Summary {
	t.Helper()
	f, ok := faulty.ByName(name)
	if !ok {
		t.Fatalf("no fault %s", name)
	}
	secret := secretFor(t, v)
	rcv, err := f.New(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Provider: v.Provider.Name, Variant: v.Name, Target: srv.URL + "/hook",
		Secret: secret, Probe: srv.URL + receiver.ProbePrefix, LabelFilter: filter, Strict: strict, Output: &out})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return sum
}

// TestSDKReencodingRejected grades SIG-007 against a receiver verifying as
// Airalo's Node SDK does: the PHP-escaped body is rejected, and the
// evidence says the basis is assumed and which SDKs reject such bodies.
func TestSDKReencodingRejected(t *testing.T) {
	v := mustVariant(t, "airalo")
	sum := gradeFault(t, "node-sdk-signature", v, "SIG-007", true)
	o, ev := result(t, sum, "SIG-007")
	for _, want := range []string{"expected 2xx", "assumed", "Node SDK", "Python SDK"} {
		if o != OutcomeFailed || !strings.Contains(ev, want) {
			t.Errorf("SIG-007 %s (%s), want failed with evidence saying %q", o, ev, want)
		}
	}
	if r := Requirements().Get("SIG-007"); r.Basis != BasisAssumed || r.LevelFor(v) != LevelShould {
		t.Errorf("SIG-007: basis %q level %s, want assumed SHOULD", r.Basis, r.LevelFor(v))
	}
}
