package wire

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// h1Server accepts connections on 127.0.0.1 and serves each with handle on
// its own goroutine; it counts the connections.
type h1Server struct {
	url   string
	conns atomic.Int32
}

func newH1Server(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) *h1Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &h1Server{url: "http://" + ln.Addr().String() + "/hook"}
	done := make(chan struct{})
	live := make(chan net.Conn, 64)
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(live)
		for c := range live {
			c.Close()
		}
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			select {
			case live <- c:
			default:
			}
			go func() {
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return s
}

// h1Send makes one attempt through an engine-built sender.
func h1Send(t *testing.T, s *Sender, raw string, cut bool) Result {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return s.Send(context.Background(), Request{URL: raw, Parsed: u, Header: h, Body: []byte(`{"a":1}`), Deadline: 2 * time.Second, Cut: cut})
}

// serveRequests answers every request on the connection with answer until
// the client closes it.
func serveRequests(c net.Conn, br *bufio.Reader, answer func(n int, req *http.Request) string) {
	for n := 1; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if _, err := io.WriteString(c, answer(n, req)); err != nil {
			return
		}
	}
}

const h1OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestH1KeepsConnectionsAlive(t *testing.T) {
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		serveRequests(c, br, func(int, *http.Request) string { return h1OK })
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	for i := range 5 {
		if r := h1Send(t, s, srv.url, false); r.Status != 200 || string(r.Body) != "ok" || r.ErrKind != "" {
			t.Fatalf("attempt %d: status %d body %q error %s %s", i, r.Status, r.Body, r.ErrKind, r.Err)
		}
	}
	if n := srv.conns.Load(); n != 1 {
		t.Fatalf("5 sequential attempts used %d connections, want 1", n)
	}
}

// TestH1DropsClosedConnections: a connection the receiver closed while it
// was idle is never used again: the next attempt dials afresh and succeeds.
func TestH1DropsClosedConnections(t *testing.T) {
	closed := make(chan struct{}, 8)
	// This receiver closes each connection after one answer, without saying
	// so in a Connection header.
	once := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		_, _ = io.WriteString(c, h1OK)
		c.Close()
		closed <- struct{}{}
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	for i := range 3 {
		if r := h1Send(t, s, once.url, false); r.Status != 200 || r.ErrKind != "" {
			t.Fatalf("attempt %d: status %d error %s %s", i, r.Status, r.ErrKind, r.Err)
		}
		<-closed
	}
	if n := once.conns.Load(); n != 3 {
		t.Fatalf("3 attempts used %d connections, want 3", n)
	}
}

// TestH1DoesNotReuseUnfinishedAnswers: a connection whose answer was cut
// short (a body longer than the mock reads, a cut, Connection: close) is
// closed, never drained and never reused.
func TestH1DoesNotReuseUnfinishedAnswers(t *testing.T) {
	long := "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000)
	for name, tc := range map[string]struct {
		answer string
		cut    bool
	}{
		"long body":        {answer: long},
		"cut":              {answer: h1OK, cut: true},
		"connection close": {answer: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
				serveRequests(c, br, func(int, *http.Request) string { return tc.answer })
			})
			s := New(Options{Conns: 4})
			defer s.Close()
			for range 2 {
				r := h1Send(t, s, srv.url, tc.cut)
				if tc.cut && r.ErrKind != ErrKindCut || !tc.cut && r.Status != 200 {
					t.Fatalf("status %d error %s %s", r.Status, r.ErrKind, r.Err)
				}
			}
			if n := srv.conns.Load(); n != 2 {
				t.Fatalf("2 attempts used %d connections, want 2", n)
			}
		})
	}
}

// TestH1EndlessHeaders: an answer whose headers never end is given up after
// 1 MiB, as a protocol error, long before the deadline.
func TestH1EndlessHeaders(t *testing.T) {
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		line := []byte("X-Filler: " + strings.Repeat("y", 1000) + "\r\n")
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	r := h1Send(t, s, srv.url, false)
	if r.ErrKind != ErrKindProtocol || !strings.Contains(r.Err, "exceed 1 MiB") {
		t.Fatalf("error %s %q, want a protocol error naming the 1 MiB limit", r.ErrKind, r.Err)
	}
}

// TestH1InterimAnswers: 1xx answers before the final one are skipped; 101
// to a POST is a protocol error.
func TestH1InterimAnswers(t *testing.T) {
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		serveRequests(c, br, func(n int, _ *http.Request) string {
			if n == 1 {
				return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + h1OK
			}
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"
		})
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	if r := h1Send(t, s, srv.url, false); r.Status != 200 || string(r.Body) != "ok" {
		t.Fatalf("status %d body %q error %s %s", r.Status, r.Body, r.ErrKind, r.Err)
	}
	if r := h1Send(t, s, srv.url, false); r.ErrKind != ErrKindProtocol {
		t.Fatalf("101: error %s %q, want protocol", r.ErrKind, r.Err)
	}
}

// TestH1Request: what the receiver gets: the path and query, Host, the
// headers, the body with its length, and URL credentials as basic auth
// (which do not appear in the recorded headers).
func TestH1Request(t *testing.T) {
	got := make(chan *http.Request, 1)
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		serveRequests(c, br, func(_ int, req *http.Request) string {
			got <- req
			return h1OK
		})
	})
	raw := strings.Replace(srv.url, "http://", "http://user:pa%20ss@", 1) + "?x=1"
	u, _ := url.Parse(raw)
	h := http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {"msg_1"}}
	s := New(Options{Conns: 4})
	defer s.Close()
	r := s.Send(context.Background(), Request{URL: raw, Parsed: u, Header: h, Body: []byte(`{"a":1}`), Deadline: 2 * time.Second})
	if r.Status != 200 {
		t.Fatalf("status %d error %s %s", r.Status, r.ErrKind, r.Err)
	}
	req := <-got
	user, pw, ok := req.BasicAuth()
	want := fmt.Sprintf("%s %s %s %d %v", "POST", "/hook?x=1", "msg_1", 7, true)
	if have := fmt.Sprintf("%s %s %s %d %v", req.Method, req.RequestURI, req.Header.Get("Webhook-Id"), req.ContentLength, ok); have != want {
		t.Fatalf("request %q, want %q", have, want)
	}
	if user != "user" || pw != "pa ss" || req.Host != u.Host {
		t.Fatalf("basic auth %q/%q host %q", user, pw, req.Host)
	}
	if _, leaked := h["Authorization"]; leaked {
		t.Fatalf("the caller's headers gained the credentials")
	}
}

// TestH1RefusesBadHeaders: a header name or value that would break the
// request's framing is refused before anything is sent, as net/http's
// Transport refuses it.
func TestH1RefusesBadHeaders(t *testing.T) {
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		serveRequests(c, br, func(int, *http.Request) string { return h1OK })
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	u, _ := url.Parse(srv.url)
	for _, h := range []http.Header{
		{"X-A: b\r\nX-Evil": {"1"}},
		{"X-Env": {"staging\r\nX-Evil: 1"}},
	} {
		r := s.Send(context.Background(), Request{URL: srv.url, Parsed: u, Header: h, Body: []byte(`{}`), Deadline: 2 * time.Second})
		if r.ErrKind != ErrKindOther || !strings.Contains(r.Err, "header") {
			t.Errorf("%q: error %s %q, want the header refused", h, r.ErrKind, r.Err)
		}
	}
	if n := srv.conns.Load(); n != 0 {
		t.Fatalf("%d connections made for refused requests", n)
	}
}

// TestH1Cancel: cancelling the caller's context ends an attempt that waits
// for an answer at once, as a cancellation and not as a timeout, and the
// connection is not kept.
func TestH1Cancel(t *testing.T) {
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		got <- struct{}{}
		<-release
	})
	s := New(Options{Conns: 4})
	defer s.Close()
	u, _ := url.Parse(srv.url)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-got
		cancel()
	}()
	r := s.Send(ctx, Request{URL: srv.url, Parsed: u, Header: http.Header{}, Body: []byte(`{}`), Deadline: time.Minute})
	if r.ErrKind == ErrKindTimeout || !strings.Contains(r.Err, "canceled") {
		t.Fatalf("error %s %q, want a cancellation", r.ErrKind, r.Err)
	}
	if n := s.h1.kept(); n != 0 {
		t.Fatalf("%d connections kept after a cancelled attempt", n)
	}
}

// TestH1WireFormat: the request as written: request line with path and
// query, Host (without an IPv6 zone), Content-Length, then the headers
// sorted by name, then the body; the framing headers of h are not written.
func TestH1WireFormat(t *testing.T) {
	for _, tc := range []struct{ url, line, host string }{
		{"http://127.0.0.1:8080/hook?x=1", "POST /hook?x=1 HTTP/1.1", "127.0.0.1:8080"},
		{"http://example.test", "POST / HTTP/1.1", "example.test"},
		{"http://[fe80::1%25eth0]:9/h", "POST /h HTTP/1.1", "[fe80::1]:9"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		bw := bufio.NewWriter(&b)
		h := http.Header{"X-B": {"2"}, "Content-Type": {"application/json"}, "X-A": {"1"},
			"Content-Length": {"999"}, "Host": {"evil.test"}, "Transfer-Encoding": {"chunked"}}
		if err := writeRequest(bw, http.MethodPost, u, h, []byte(`{"a":1}`)); err != nil {
			t.Fatal(err)
		}
		want := tc.line + "\r\nHost: " + tc.host + "\r\nContent-Length: 7\r\n" +
			"Content-Type: application/json\r\nX-A: 1\r\nX-B: 2\r\n\r\n" + `{"a":1}`
		if b.String() != want {
			t.Errorf("%s: wrote\n%q\nwant\n%q", tc.url, b.String(), want)
		}
	}
}

// TestH1HeadersAsNetHTTP: the headers are written as http.Header.WriteSubset
// writes them: sorted, every value on a line of its own, line breaks in a
// value turned to spaces and the value trimmed, the framing headers left
// out; also past the 16 names writeHeaders sorts without allocating.
func TestH1HeadersAsNetHTTP(t *testing.T) {
	h := http.Header{"X-Multi": {"a", " b\t"}, "X-Break": {"one\r\ntwo\n"}, "x-lower": {"v"},
		"Empty": {}, "Host": {"evil.test"}, "Trailer": {"X"}}
	for i := range 20 {
		h[fmt.Sprintf("X-N%02d", 19-i)] = []string{fmt.Sprint(i)}
	}
	var got, want strings.Builder
	bw := bufio.NewWriter(&got)
	writeHeaders(bw, h)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteSubset(&want, framingHeaders); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("wrote\n%q\nnet/http writes\n%q", got.String(), want.String())
	}
}

// TestH1StatusLineTrickle: a receiver that has sent part of its status
// line when the ack deadline passes got no answer within the deadline (the
// evidence says how much arrived); it did not send a malformed one.
func TestH1StatusLineTrickle(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	for _, tc := range []struct{ sent, want string }{
		{"HTTP/", "5 bytes of the status line received"},
		{"HTTP/1.1 200 OK\r\nContent-Ty", "27 bytes of the status line and headers received"},
	} {
		srv := newH1Server(t, func(c net.Conn, br *bufio.Reader) {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			_, _ = io.WriteString(c, tc.sent)
			<-release
		})
		s := New(Options{Conns: 4})
		u, _ := url.Parse(srv.url)
		r := s.Send(context.Background(), Request{URL: srv.url, Parsed: u, Header: http.Header{}, Body: []byte(`{}`), Deadline: 300 * time.Millisecond})
		s.Close()
		if r.ErrKind != ErrKindTimeout || !strings.Contains(r.Err, "no answer within the ack deadline ("+tc.want+")") || strings.Contains(r.Err, "malformed") {
			t.Errorf("after %q: error %s %q, want a timeout saying %q", tc.sent, r.ErrKind, r.Err, tc.want)
		}
	}
}

// kept returns how many connections the pool keeps.
func (p *h1Pool) kept() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := 0
	for _, h := range p.hosts {
		h.mu.Lock()
		n += len(h.idle)
		h.mu.Unlock()
	}
	return n
}

// TestH1HostsDoNotShareALock: while one host's connections are locked (a
// storm's attempts taking and giving back theirs), another host's are
// taken and given back without waiting.
func TestH1HostsDoNotShareALock(t *testing.T) {
	p := newH1Pool(4)
	defer p.close()
	busy := p.host("127.0.0.1:1")
	busy.mu.Lock()
	defer busy.mu.Unlock()
	done := make(chan int)
	go func() {
		a, b := net.Pipe()
		defer b.Close()
		p.put("127.0.0.1:2", &h1Conn{Conn: a, probe: newAliveProbe(a), br: bufio.NewReader(a)})
		c, err := p.get(context.Background(), "127.0.0.1:2", time.Time{})
		if err != nil || c.Conn != a {
			t.Errorf("got %v, %v; want the connection given back", c, err)
		}
		done <- len(p.host("127.0.0.1:2").idle)
	}()
	select {
	case n := <-done:
		if n != 0 {
			t.Errorf("%d connections left after taking the one kept", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another host's connections waited for the locked host's")
	}
}
