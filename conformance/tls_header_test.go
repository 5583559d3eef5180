package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// result returns the outcome and evidence of requirement id in s.
func result(t *testing.T, s *Summary, id string) (string, string) {
	t.Helper()
	for _, r := range s.Requirements {
		if r.ID == id {
			return r.Outcome, r.Evidence
		}
	}
	t.Fatalf("%s not in the summary", id)
	return "", ""
}

func tlsReceiver(t *testing.T, v *providers.Variant, secret string, minVersion uint16) (*httptest.Server, string) {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(rcv)
	srv.TLS = &tls.Config{MinVersion: minVersion}
	if minVersion == tls.VersionTLS10 {
		srv.TLS.MaxVersion = tls.VersionTLS11
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// TestTLS001 grades HTTPS: a valid certificate (trusted through --ca-file)
// and TLS 1.2 pass; plain HTTP, an untrusted certificate and TLS 1.1 fail
// with evidence; without --production it is skipped.
func TestTLS001(t *testing.T) {
	v, _ := providers.MustBuiltin().Variant("roamify", "")
	secret := secretFor(t, v)
	run := func(o Options) *Summary {
		t.Helper()
		o.Provider, o.Secret, o.LabelFilter = "roamify", secret, "TLS-001 || ACK-001"
		var out bytes.Buffer
		o.Output = &out
		s, err := Run(context.Background(), o)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		return s
	}
	good, ca := tlsReceiver(t, v, secret, tls.VersionTLS12)
	s := run(Options{Target: good.URL + "/hook", CAFile: ca, Production: true})
	if o, ev := result(t, s, "TLS-001"); o != OutcomePassed {
		t.Errorf("valid certificate: %s (%s)", o, ev)
	}
	if o, _ := result(t, s, "ACK-001"); o != OutcomePassed {
		t.Errorf("ACK-001 over TLS with --ca-file: %s", o)
	}

	plain, _ := serveReceiver(t, v, secret, nil)
	s = run(Options{Target: plain, Production: true})
	if o, ev := result(t, s, "TLS-001"); o != OutcomeFailed || !strings.Contains(strings.ToLower(ev), "https") {
		t.Errorf("plain HTTP: %s (%s)", o, ev)
	}

	// The same server without --ca-file: its certificate is not trusted.
	s = run(Options{Target: good.URL + "/hook", Production: true})
	if o, ev := result(t, s, "TLS-001"); o != OutcomeFailed || ev == "" {
		t.Errorf("untrusted certificate: %s (%s)", o, ev)
	}

	old, oldCA := tlsReceiver(t, v, secret, tls.VersionTLS10)
	s = run(Options{Target: old.URL + "/hook", CAFile: oldCA, Production: true})
	if o, ev := result(t, s, "TLS-001"); o != OutcomeFailed {
		t.Errorf("TLS 1.1 only: %s (%s)", o, ev)
	}

	s = run(Options{Target: good.URL + "/hook", CAFile: ca})
	if o, ev := result(t, s, "TLS-001"); o != OutcomeSkipped {
		t.Errorf("without --production: %s (%s)", o, ev)
	}
}

// TestGatewayHeaders sends --header values with every request: a gateway
// that demands an API key fails the run without it and passes with it, and
// the header is not part of what the receiver verifies.
func TestGatewayHeaders(t *testing.T) {
	v, _ := providers.MustBuiltin().Variant("esimfly", "")
	secret := secretFor(t, v)
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k-123" {
			http.Error(w, "missing API key", http.StatusForbidden)
			return
		}
		rcv.ServeHTTP(w, r)
	}))
	defer gateway.Close()
	run := func(h http.Header) (*Summary, error) {
		var out bytes.Buffer
		return Run(context.Background(), Options{Provider: "esimfly", Target: gateway.URL + "/hook", Secret: secret,
			Probe: gateway.URL + receiver.ProbePrefix, Headers: h, Output: &out, LabelFilter: "ACK-001 || SIG-002 || IDM-002"})
	}
	// Without the key the preflight finds every delivery refused: exit 2,
	// quoting the gateway's answer.
	if s, err := run(nil); ExitCode(s, err) != 2 || !strings.Contains(fmt.Sprint(err), "rejected a correctly signed delivery (403 missing API key)") {
		t.Errorf("without the gateway header: exit %d, %v", ExitCode(s, err), err)
	}
	with, err := run(http.Header{"X-Api-Key": {"k-123"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ACK-001", "SIG-002", "IDM-002"} {
		if o, ev := result(t, with, id); o != OutcomePassed {
			t.Errorf("with the gateway header %s %s (%s)", id, o, ev)
		}
	}
	if !with.Passed {
		t.Error("the run with the gateway header did not pass")
	}
}
