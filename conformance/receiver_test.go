package conformance

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// variants returns every shipped variant, or only the defaults with -short.
func variants(t testing.TB) []*providers.Variant {
	t.Helper()
	if testing.Short() {
		return providers.MustBuiltin().Defaults()
	}
	return providers.MustBuiltin().Variants()
}

// variantsDefault returns the default variant of every shipped provider.
func variantsDefault() []*providers.Variant { return providers.MustBuiltin().Defaults() }

// secretFor returns a fresh secret in v's format ("" where v signs
// nothing).
func secretFor(t testing.TB, v *providers.Variant) string {
	t.Helper()
	if v.Signature.Scheme == "none" {
		return ""
	}
	s, err := v.NewSecret(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serveReceiver serves the example receiver for v on loopback and returns
// its webhook and probe URLs.
func serveReceiver(t testing.TB, v *providers.Variant, secret string, faults *receiver.Faults) (target, probe string) {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: secret, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", srv.URL + receiver.ProbePrefix
}

// TestReceiverPasses runs the whole suite, in this process, against the
// example receiver of every variant with the probe: every requirement that
// applies passes, none is skipped for want of the probe, and one provider
// takes at most 15 s.
func TestReceiverPasses(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.ID(), func(t *testing.T) {
			secret := secretFor(t, v)
			target, probe := serveReceiver(t, v, secret, nil)
			var out bytes.Buffer
			start := time.Now()
			sum, err := Run(context.Background(), Options{
				Provider: v.Provider.Name, Variant: v.Name, Target: target, Secret: secret, Probe: probe,
				Strict: true, Output: &out,
			})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			t.Logf("%s in %s", v.ID(), elapsed.Round(time.Millisecond))
			for _, r := range sum.Requirements {
				if r.Outcome == OutcomeFailed || r.Evidence == "needs --probe" {
					t.Errorf("%s %s: %s", r.ID, r.Outcome, r.Evidence)
				}
			}
			if !sum.Passed || ExitCode(sum, nil) != 0 {
				t.Errorf("not passed:\n%s", out.String())
			}
			if elapsed > 15*time.Second {
				t.Errorf("took %s, want ≤ 15s", elapsed)
			}
			if t.Failed() || testing.Verbose() {
				t.Log("\n" + out.String())
			}
		})
	}
}
