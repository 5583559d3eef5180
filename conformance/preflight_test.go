package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// answering serves every request with status and body, counting them.
func answering(t *testing.T, status int, body string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestPreflight: a setup the suite cannot grade ends the run before any
// spec, exit 2, with one line that says what to fix and quotes the answer.
func TestPreflight(t *testing.T) {
	roamify, _ := providers.MustBuiltin().Variant("roamify", "")
	secret := secretFor(t, roamify)
	good, goodProbe := serveReceiver(t, roamify, secret, nil)
	notFound, _ := answering(t, http.StatusNotFound, "404 page not found\n")
	notAllowed, _ := answering(t, http.StatusMethodNotAllowed, "")
	badSig, _ := answering(t, http.StatusUnauthorized, `{"error":"invalid signature"}`)
	html, _ := answering(t, http.StatusOK, "<html><body>Welcome\n to\tnginx</body></html>")
	otherSecret := secretFor(t, roamify)
	cases := []struct {
		name string
		o    Options
		want *regexp.Regexp
	}{
		{"404", Options{Target: notFound + "/hook"},
			lit(`every valid delivery got 404: is --target the webhook URL? (it answered 404 page not found)`)},
		{"405", Options{Target: notAllowed + "/hook"},
			lit(`every valid delivery got 405: is --target the webhook URL?`)},
		{"401", Options{Target: badSig + "/hook"},
			lit(`the receiver rejected a correctly signed delivery (401 {"error":"invalid signature"}): check --secret; the provider signs in header X-Roamify-Signature (hex HMAC-SHA256 of the raw body)`)},
		{"wrong secret", Options{Target: good, Secret: otherSecret},
			regexp.MustCompile(`^the receiver rejected a correctly signed delivery \(401 \{"outcome":"[^"]+"\}\): check --secret; the provider signs in header X-Roamify-Signature \(hex HMAC-SHA256 of the raw body\)$`)},
		{"probe 404", Options{Target: good, Probe: notFound, ProbeWait: 200 * time.Millisecond},
			regexp.MustCompile(`^the probe at ` + regexp.QuoteMeta(notFound) + ` knows no event the receiver just accepted \(GET /events/[0-9a-f]{64}: 404 404 page not found, for 200ms\): is --probe the base URL\?$`)},
		{"probe html", Options{Target: good, Probe: html},
			regexp.MustCompile(`^the probe at ` + regexp.QuoteMeta(html) + ` does not count an event the receiver just accepted \(GET /events/[0-9a-f]{64}: 200 in [0-9.]+ ms: <html><body>Welcome to nginx</body></html>; openapi/probe.yaml wants 200 \{"applied": N\}\): is --probe the base URL\?$`)},
		{"probe is the webhook", Options{Target: good, Probe: good},
			regexp.MustCompile(`^the probe at .* does not count an event the receiver just accepted \(GET /events/[0-9a-f]{64}: 405 in [0-9.]+ ms: \{"outcome":"method not allowed"\}; `)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Provider = "roamify"
			if o.Secret == "" {
				o.Secret = secret
			}
			o.LabelFilter = "ACK-001 || IDM-002"
			var out strings.Builder
			o.Output = &out
			s, err := Run(context.Background(), o)
			if ExitCode(s, err) != 2 {
				t.Fatalf("exit %d (%v), want 2:\n%s", ExitCode(s, err), err, out.String())
			}
			if !tc.want.MatchString(err.Error()) {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("specs ran:\n%s", out.String())
			}
		})
	}
	// The correct receiver and its probe pass the preflight.
	s, err := Run(context.Background(), Options{Provider: "roamify", Target: good, Secret: secret, Probe: goodProbe, LabelFilter: "ACK-001 || IDM-002"})
	if err != nil || s.Verdict != VerdictPassed {
		t.Errorf("correct receiver: %v, %+v", err, s)
	}
}

func lit(s string) *regexp.Regexp { return regexp.MustCompile("^" + regexp.QuoteMeta(s) + "$") }

// TestPreflightLeavesGradingToTheSpecs: what the preflight cannot tell
// from a setup error (5xx, 429, a 2xx other than 200 for Airalo) is graded by
// the specs, exit 1; an unsigned provider's rejection names no secret.
func TestPreflightLeavesGradingToTheSpecs(t *testing.T) {
	for _, tc := range []struct {
		provider, filter, failed string
		status                   int
	}{
		{"roamify", "ACK-001", "ACK-001", http.StatusInternalServerError},
		{"roamify", "ACK-001", "ACK-001", http.StatusTooManyRequests},
		{"airalo", "ACK-003", "ACK-003", http.StatusAccepted},
	} {
		v, _ := providers.MustBuiltin().Variant(tc.provider, "")
		url, n := answering(t, tc.status, `{"ok":false}`)
		s, err := Run(context.Background(), Options{Provider: tc.provider, Target: url + "/hook", Secret: secretFor(t, v), LabelFilter: tc.filter})
		if err != nil || ExitCode(s, err) != 1 {
			t.Errorf("%s answering %d: exit %d (%v), want 1", tc.provider, tc.status, ExitCode(s, err), err)
			continue
		}
		if r := outcomeOf(t, s, tc.failed); r.Outcome != OutcomeFailed || !strings.Contains(r.Evidence, fmt.Sprintf(`%d in`, tc.status)) || !strings.Contains(r.Evidence, `{"ok":false}`) {
			t.Errorf("%s: %s %q, want failed with the status and body", tc.failed, r.Outcome, r.Evidence)
		}
		if n.Load() < 2 {
			t.Errorf("%d requests: the specs did not run", n.Load())
		}
	}

	url, _ := answering(t, http.StatusBadRequest, `{"error":"unknown"}`)
	s, err := Run(context.Background(), Options{Provider: "esimaccess", Target: url + "/hook", LabelFilter: "ACK-001"})
	if ExitCode(s, err) != 2 || !regexp.MustCompile(`^the receiver rejected a valid delivery \(400 \{"error":"unknown"\}\): esimaccess@\S+ signs nothing`).MatchString(err.Error()) {
		t.Errorf("unsigned provider: exit %d, %v", ExitCode(s, err), err)
	}
}

// TestSignatureHint describes each scheme from the profile's spec, a
// custom profile's included.
func TestSignatureHint(t *testing.T) {
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			h := signatureHint(v.Signature)
			if v.Signature.Scheme != "none" && !strings.Contains(h, v.Signature.Header) && !strings.Contains(h, "webhook-signature") {
				t.Errorf("%s: %q names no header", v.ID(), h)
			}
		}
	}
	for spec, want := range map[providers.SignatureSpec]string{
		{Scheme: "hmac-hex", Hash: "sha512", Header: "X-Custom-Sig", Prefix: "sha512=", Message: "raw"}: `the provider signs in header X-Custom-Sig ("sha512=" followed by the hex HMAC-SHA512 of the raw body)`,
		{Scheme: "hmac-hex", Hash: "sha512", Header: "airalo-signature", Message: "php-json"}:           `the provider signs in header airalo-signature (hex HMAC-SHA512 of PHP's json_encode(json_decode(body, true)))`,
		{Scheme: "hmac-hex", Hash: "sha256", Header: "X-eSIMfly-Signature", Message: "js-stringify"}:    `the provider signs in header X-eSIMfly-Signature (hex HMAC-SHA256 of JSON.stringify(JSON.parse(body)))`,
	} {
		if got := signatureHint(spec); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// TestBodySnippet: evidence quotes at most 120 bytes of a body, on one
// printable line, never splitting a rune.
func TestBodySnippet(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		"ok":                            "ok",
		"line 1\r\nline\t2\x00\x1b[31m": "line 1 line 2??[31m",
		strings.Repeat("x", 200):        strings.Repeat("x", 120) + "…",
		strings.Repeat("x", 119) + "ü":  strings.Repeat("x", 119) + "…",
		"\xff\xfebad":                   "??bad",
	} {
		if got := bodySnippet([]byte(in)); got != want {
			t.Errorf("bodySnippet(%q) = %q, want %q", in, got, want)
		}
	}
	r := response{Status: 401, Body: []byte(`{"error":"invalid signature"}`), Latency: 3 * time.Millisecond}
	if got := r.String(); got != `401 in 3.0 ms: {"error":"invalid signature"}` {
		t.Errorf("String() = %q", got)
	}
	// A transport error the suite has no words for stays apart from the
	// label before it ("got DELETE transport error (…)", issue 11).
	r = response{Err: errors.New("net/http: HTTP/1.x transport connection broken: x"), Latency: 3 * time.Millisecond, Timeout: time.Second}
	if got := r.String(); got != "transport error (net/http: HTTP/1.x transport connection broken: x) after 3.0 ms" {
		t.Errorf("String() = %q", got)
	}
}

// BenchmarkPreflight measures the preflight against the example receiver
// with its probe (the README's figure).
func BenchmarkPreflight(b *testing.B) {
	v, _ := providers.MustBuiltin().Variant("roamify", "")
	secret := secretFor(b, v)
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	st, err := newRunState(context.Background(), Options{Provider: "roamify", Target: srv.URL + "/hook", Secret: secret, Probe: srv.URL + receiver.ProbePrefix})
	if err != nil {
		b.Fatal(err)
	}
	defer st.c.close()
	b.ResetTimer()
	for range b.N {
		if err := st.preflight(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
