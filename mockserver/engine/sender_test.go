package engine

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// engRawServer accepts connections on 127.0.0.1 and hands each to handle.
func engRawServer(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c.(*net.TCPConn))
		}
	}()
	return "http://" + ln.Addr().String()
}

// engReadRequest reads one request's head and body from c.
func engReadRequest(c net.Conn) {
	r := bufio.NewReader(c)
	req, err := http.ReadRequest(r)
	if err == nil {
		_, _ = r.Discard(int(req.ContentLength))
	}
}

// engOneShot is an engine config whose deliveries get a single attempt: the
// fast profile with a fake clock that nobody advances.
func engOneShot(t *testing.T) *Engine {
	return engTestEngine(t, EngineConfig{Catalogue: engFastCatalogue(t), Clock: NewFakeClock(time.Unix(1_700_000_000, 0))})
}

// engFirstAttempt triggers a fast-profile event to url and returns the first
// attempt (later ones wait for a clock that never moves).
func engFirstAttempt(t *testing.T, e *Engine, url string) *Attempt {
	t.Helper()
	return engFirstAttemptOf(t, e, "fast", url)
}

// engFirstAttemptOf is engFirstAttempt for any provider's order.created.
func engFirstAttemptOf(t *testing.T, e *Engine, provider, url string) *Attempt {
	t.Helper()
	ep := engAddEndpoint(t, e, provider, "", url, Chaos{})
	res := engTrigger(t, e, provider, "order.created", ep)
	id := res.Deliveries[0].ID
	var as []*Attempt
	engEventually(t, 10*time.Second, "the first attempt", func() bool {
		as = engAttempts(t, e, id)
		return len(as) > 0
	})
	return as[0]
}

func TestSenderRedirectNotFollowed(t *testing.T) {
	target := newEngReceiver(t, nil)
	rc := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/elsewhere?token=s3cr3t", http.StatusFound)
	})
	e := engOneShot(t)
	a := engFirstAttempt(t, e, rc.srv.URL)
	if a.Success || a.ErrorKind != ErrKindRedirect || a.Status != http.StatusFound {
		t.Fatalf("attempt = status %d kind %q success %v", a.Status, a.ErrorKind, a.Success)
	}
	if strings.Contains(a.Error, "s3cr3t") {
		t.Errorf("error repeats the Location's query: %q", a.Error)
	}
	if target.count() != 0 {
		t.Fatalf("the redirect was followed")
	}
}

func TestSenderEndlessBody(t *testing.T) {
	stop := make(chan struct{})
	rc := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 1024))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				return
			default:
			}
		}
	})
	defer close(stop)
	e := engOneShot(t)
	a := engFirstAttempt(t, e, rc.srv.URL)
	if !a.Success || !a.ResponseTruncated || len(a.ResponseBody) != MaxResponseBody {
		t.Fatalf("attempt = success %v truncated %v body %d bytes kind %q", a.Success, a.ResponseTruncated, len(a.ResponseBody), a.ErrorKind)
	}
	if a.Latency >= 300*time.Millisecond {
		t.Errorf("reading an endless body took %v: it should stop at 4 KiB", a.Latency)
	}
}

func TestSenderGarbageStatusLine(t *testing.T) {
	url := engRawServer(t, func(c *net.TCPConn) {
		engReadRequest(c)
		c.Write([]byte("garbage\r\n\r\n"))
		c.Close()
	})
	a := engFirstAttempt(t, engOneShot(t), url)
	if a.Success || a.ErrorKind != ErrKindProtocol {
		t.Fatalf("attempt = kind %q error %q", a.ErrorKind, a.Error)
	}
}

func TestSenderConnectionReset(t *testing.T) {
	url := engRawServer(t, func(c *net.TCPConn) {
		engReadRequest(c)
		c.SetLinger(0) // close with RST
		c.Close()
	})
	a := engFirstAttempt(t, engOneShot(t), url)
	if a.Success || a.ErrorKind != ErrKindReset {
		t.Fatalf("attempt = kind %q error %q", a.ErrorKind, a.Error)
	}
}

func TestSenderRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	a := engFirstAttempt(t, engOneShot(t), url)
	if a.Success || a.ErrorKind != ErrKindRefused {
		t.Fatalf("attempt = kind %q error %q", a.ErrorKind, a.Error)
	}
}

// TestSenderTimeout: a receiver that never answers costs the ack deadline
// (300 ms in the fast profile), even when it trickles bytes.
func TestSenderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	hang := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	trickle := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-release:
				return
			case <-r.Context().Done():
				return
			case <-tk.C:
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
			}
		}
	})
	e := engOneShot(t)
	for _, url := range []string{hang.srv.URL, trickle.srv.URL} {
		a := engFirstAttempt(t, e, url)
		if a.Success || a.ErrorKind != ErrKindTimeout {
			t.Fatalf("attempt = status %d kind %q error %q", a.Status, a.ErrorKind, a.Error)
		}
		if a.Latency < 300*time.Millisecond || a.Latency > 2*time.Second {
			t.Errorf("timed out after %v, want about 300ms", a.Latency)
		}
	}
}

// TestSenderTLS uses the standard profile's 5 s deadline: a handshake
// under the race detector on a busy machine can take longer than the fast
// profile's 300 ms. The fake clock never moves, so there is one attempt.
func TestSenderTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake is expected
	srv.StartTLS()
	defer srv.Close()
	clock := func() Clock { return NewFakeClock(time.Unix(1_700_000_000, 0)) }
	a := engFirstAttemptOf(t, engTestEngine(t, EngineConfig{Clock: clock()}), "standard", srv.URL)
	if a.Success || a.ErrorKind != ErrKindTLS {
		t.Fatalf("untrusted: kind %q error %q", a.ErrorKind, a.Error)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	e := engTestEngine(t, EngineConfig{Clock: clock(), TLSConfig: &tls.Config{RootCAs: pool}})
	if a := engFirstAttemptOf(t, e, "standard", srv.URL); !a.Success {
		t.Fatalf("trusted CA: kind %q error %q", a.ErrorKind, a.Error)
	}
	e = engTestEngine(t, EngineConfig{Clock: clock(), TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if a := engFirstAttemptOf(t, e, "standard", srv.URL); !a.Success {
		t.Fatalf("insecure: kind %q error %q", a.ErrorKind, a.Error)
	}
}

// TestSenderHeaders: endpoint headers are added but never replace the
// provider's (signature, content type); every attempt is freshly signed
// with the same id.
func TestSenderHeaders(t *testing.T) {
	rc := newEngReceiver(t, nil)
	e := engOneShot(t)
	ep := engAddEndpoint(t, e, "esimfly", "", rc.srv.URL, Chaos{})
	ep.Headers = map[string]string{"X-Env": "staging", "x-esimfly-signature": "forged", "Content-Type": "text/plain"}
	if err := e.store.PutEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	res := engTrigger(t, e, "esimfly", "order.created", ep)
	engWaitState(t, e, res.Deliveries[0].ID, 5*time.Second)
	h := rc.all()[0].header
	if h.Get("X-Env") != "staging" || h.Get("Content-Type") != "application/json" || h.Get("X-eSIMfly-Signature") == "forged" {
		t.Fatalf("headers = %v", h)
	}
	v, _ := e.cat.Variant("esimfly", "")
	s, _ := v.Signer(ep.Secret)
	if err := s.Verify(h, rc.all()[0].body); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if h.Get("X-eSIMfly-Delivery-ID") != res.Deliveries[0].WireID {
		t.Fatalf("delivery id header %q, want %q", h.Get("X-eSIMfly-Delivery-ID"), res.Deliveries[0].WireID)
	}
}
