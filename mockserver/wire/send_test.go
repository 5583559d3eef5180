package wire

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadLimited checks the bounded read on its own.
func TestReadLimited(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 4095, 4096, 4097, 100000} {
		b, trunc, err := ReadLimited(strings.NewReader(strings.Repeat("a", n)), MaxResponseBody)
		if err != nil || len(b) != min(n, MaxResponseBody) || trunc != (n > MaxResponseBody) {
			t.Errorf("n=%d: %d bytes, truncated %v, %v", n, len(b), trunc, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example/in?token=abc#frag": "https://hooks.example/in?redacted",
		"http://127.0.0.1:3000/webhooks":                  "http://127.0.0.1:3000/webhooks",
		"/relative?k=v":                                   "/relative?redacted",
		"http://[::1]:namedport":                          "(unparseable URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// receiver is a loopback receiver that hands every request's body to got
// before answering 200.
func receiver(t *testing.T, tls bool) (*httptest.Server, chan string) {
	got := make(chan string, 4)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
		_, _ = io.WriteString(w, "ok")
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // untrusted handshakes are expected
		srv.StartTLS()
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, got
}

// caFile writes srv's certificate as a PEM file.
func caFile(t *testing.T, srv *httptest.Server) string {
	f := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestTLSConfig(t *testing.T) {
	srv, got := receiver(t, true)
	send := func(caFile string, insecure bool) Result {
		t.Helper()
		cfg, err := TLSConfig(caFile, insecure)
		if err != nil {
			t.Fatal(err)
		}
		s := New(Options{TLS: cfg, Conns: 1})
		defer s.Close()
		return s.Send(context.Background(), Request{URL: srv.URL, Header: http.Header{}, Body: []byte(`{}`), Deadline: 5 * time.Second})
	}
	if r := send("", false); r.ErrKind != ErrKindTLS {
		t.Errorf("untrusted certificate: %+v, want a TLS error", r)
	}
	if r := send(caFile(t, srv), false); r.Status != 200 || r.ErrKind != "" {
		t.Errorf("trusted through the CA file: %+v", r)
	} else if b := <-got; b != "{}" {
		t.Errorf("receiver got %q", b)
	}
	if r := send("", true); r.Status != 200 {
		t.Errorf("insecure: %+v", r)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	if _, err := TLSConfig(missing, false); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing CA file: %v, want an error naming it", err)
	}
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	_ = os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	if _, err := TLSConfig(notPEM, false); err == nil || !strings.Contains(err.Error(), notPEM+": no PEM certificate") {
		t.Errorf("file without PEM: %v, want an error naming it", err)
	}
}

// TestCut: on both paths the receiver gets the whole request and answers,
// and the sender reports the answer lost.
func TestCut(t *testing.T) {
	for _, https := range []bool{false, true} {
		srv, got := receiver(t, https)
		s := New(Options{Client: nil, Conns: 1, TLS: srv.Client().Transport.(*http.Transport).TLSClientConfig})
		body := strings.Repeat("x", 64<<10)
		r := s.Send(context.Background(), Request{URL: srv.URL, Header: http.Header{}, Body: []byte(body), Deadline: 5 * time.Second, Cut: true})
		s.Close()
		if r.ErrKind != ErrKindCut || r.Status != 0 {
			t.Errorf("https=%v: %+v, want a cut", https, r)
		}
		if b := <-got; b != body {
			t.Errorf("https=%v: receiver got %d bytes, want %d", https, len(b), len(body))
		}
	}
}

// TestRedirectNotFollowed: a 3xx is the answer, and its Location is
// redacted in the message.
func TestRedirectNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://u:p@elsewhere.example/x?secret=1", http.StatusFound)
	}))
	defer srv.Close()
	for _, o := range []Options{{Conns: 1}, {Client: srv.Client()}} {
		s := New(o)
		r := s.Send(context.Background(), Request{URL: srv.URL, Header: http.Header{}, Deadline: 5 * time.Second})
		s.Close()
		if r.Status != http.StatusFound || r.ErrKind != ErrKindRedirect || r.Err != "redirect not followed: 302 Found (Location: https://elsewhere.example/x?redacted)" {
			t.Errorf("client %v: %+v", o.Client != nil, r)
		}
	}
}
