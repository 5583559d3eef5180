package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAnswerAfterWriteError sends a 5 MiB body, many times, to receivers
// that answer 413 before reading it: one that writes the 413 and closes
// the connection at once (a proxy's body cap without lingering), and one
// behind http.MaxBytesReader; over plaintext (the h1 pool) and TLS
// (net/http). Every attempt must report the 413, never the write's broken
// pipe or reset (a reset may still cut the answer's body short), and the next attempt must not be sent into the connection
// whose write failed.
func TestAnswerAfterWriteError(t *testing.T) {
	closeAtOnce := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, "too large\n")
		rc := http.NewResponseController(w)
		if rc.Flush() == nil {
			if conn, _, err := rc.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	})
	maxBytes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	body := bytes.Repeat([]byte("x"), 5<<20)
	for name, h := range map[string]http.Handler{"close at once": closeAtOnce, "MaxBytesReader": maxBytes} {
		for _, useTLS := range []bool{false, true} {
			t.Run(name+map[bool]string{false: " http", true: " https"}[useTLS], func(t *testing.T) {
				srv := httptest.NewUnstartedServer(h)
				srv.Config.ErrorLog = log.New(io.Discard, "", 0)
				var o Options
				if useTLS {
					srv.StartTLS()
					pool := x509.NewCertPool()
					pool.AddCert(srv.Certificate())
					o.TLS = &tls.Config{RootCAs: pool}
				} else {
					srv.Start()
				}
				defer srv.Close()
				s := New(o)
				defer s.Close()
				for i := range 20 {
					r := s.Send(context.Background(), Request{URL: srv.URL, Header: http.Header{}, Body: body, Deadline: 10 * time.Second})
					// The answer's body may be lost to the receiver's reset
					// (ErrKindReset while reading it); its status is not.
					if r.Status != http.StatusRequestEntityTooLarge {
						t.Fatalf("attempt %d: %d %s %s, want 413", i+1, r.Status, r.ErrKind, r.Err)
					}
				}
			})
		}
	}
}

// TestMethod sends HEAD (through net/http: its answer has no body to wait
// for) and GET (through the plaintext path).
func TestMethod(t *testing.T) {
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	s := New(Options{})
	defer s.Close()
	for method, want := range map[string]string{http.MethodHead: "", http.MethodGet: "hello"} {
		r := s.Send(context.Background(), Request{Method: method, URL: srv.URL, Deadline: 5 * time.Second})
		if r.Status != http.StatusOK || string(r.Body) != want || r.ErrKind != "" {
			t.Errorf("%s: %d %q %s %s, want 200 %q", method, r.Status, r.Body, r.ErrKind, r.Err, want)
		}
		select {
		case m := <-got:
			if m != method {
				t.Errorf("%s arrived as %s", method, m)
			}
		default:
			t.Errorf("%s did not arrive", method)
		}
	}
}

// TestCause checks that a failed attempt carries the error behind its
// kind: the context's deadline for a receiver that never answers.
func TestCause(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	s := New(Options{})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := s.Send(ctx, Request{URL: srv.URL, Deadline: time.Second}); r.Cause != context.Canceled {
		t.Errorf("cancelled: cause %v (%s %s), want context.Canceled", r.Cause, r.ErrKind, r.Err)
	}
	r := s.Send(context.Background(), Request{URL: srv.URL, Deadline: 50 * time.Millisecond})
	if r.ErrKind != ErrKindTimeout || r.Cause == nil {
		t.Errorf("hung: %s %v, want a timeout with its cause", r.ErrKind, r.Cause)
	}
}
