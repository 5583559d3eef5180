// Package wire makes one HTTP attempt the way a provider makes it: a POST
// with the provider's headers and body, no redirect followed, at most
// MaxResponseBody bytes of the answer read, everything within a deadline,
// and the failure classified into an ErrKind with a message that carries
// neither the request's headers nor the URL's credentials. Request.Cut
// makes the lost acknowledgement: the connection is cut as soon as the
// answer begins.
//
// It is the one sender of the project: the delivery engine
// (mockserver), the scenario player (conformance/scenario),
// `esimhooks send` and the conformance suite's client all make their
// attempts through a Sender. Plaintext
// http:// URLs that no proxy applies to go through a small HTTP/1.1 pool
// that works on the calling goroutine (see h1Pool); everything else goes
// through net/http. TLSConfig loads a CA file for either, and RedactURL
// shortens a URL for messages.
package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// MaxResponseBody is how much of a receiver's answer body an attempt reads
// and records; the rest is never read (the connection is closed).
const MaxResponseBody = 4 << 10

// errCut is the cause of a request the sender cancelled on purpose after
// writing it (Request.Cut; the engine's Chaos.CutAfterBody).
var errCut = errors.New("connection cut before the answer was read (chaos cut_after_body)")

// Sender makes single HTTP attempts: no redirects followed, a bounded read
// of the answer, errors classified into ErrKind values. It is safe for
// concurrent use; Close drops its idle connections.
type Sender struct {
	client *http.Client
	// rt, when not nil, is the client's transport, called directly: the
	// client would add only redirect handling, which is disabled, and a
	// copy of the headers.
	rt http.RoundTripper
	// h1, on a Sender without Options.Client, sends to plaintext URLs that no
	// proxy applies to; httpProxy says whether the environment names an
	// HTTP proxy at all (if not, none applies).
	h1        *h1Pool
	httpProxy bool
	// transport is the Sender's own transport, closed by Close; nil when
	// the caller supplied the client.
	transport *http.Transport
}

// Options configure a Sender.
type Options struct {
	// Client, when not nil, makes every attempt: a copy of it with
	// redirects disabled (its transport called directly where the client
	// would add nothing else). Without it the Sender builds its own
	// transport and sends plaintext requests on the calling goroutine.
	Client *http.Client
	// TLS is the TLS configuration of the Sender's own transport (see
	// TLSConfig); nil is the system roots.
	TLS *tls.Config
	// Conns is how many idle connections per host the Sender keeps (at
	// least 1).
	Conns int
	// NoProxy ignores HTTP_PROXY, HTTPS_PROXY and NO_PROXY: every request
	// goes straight to its host.
	NoProxy bool
}

// New builds a Sender.
func New(o Options) *Sender {
	client, tlsConf, conns := o.Client, o.TLS, max(o.Conns, 1)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if client != nil {
		c := *client
		c.CheckRedirect = noRedirect
		s := &Sender{client: &c}
		if c.Jar == nil && c.Timeout == 0 && c.Transport != nil {
			s.rt = c.Transport
		}
		return s
	}
	var tc *tls.Config
	if tlsConf != nil {
		tc = tlsConf.Clone()
	}
	proxy := http.ProxyFromEnvironment
	if o.NoProxy {
		proxy = nil
	}
	t := &http.Transport{
		Proxy: proxy,
		DialContext: answerAfterWriteError((&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext),
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        conns * 4,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		// Bodies are tiny; a 100-continue round trip would only add latency.
		ExpectContinueTimeout: 0,
		// As the plaintext path: the answer's head is bounded alike, and
		// no Accept-Encoding is added (the body is recorded as sent).
		MaxResponseHeaderBytes: maxAnswerHeader,
		DisableCompression:     true,
	}
	return &Sender{
		client: &http.Client{Transport: t, CheckRedirect: noRedirect}, transport: t, rt: t,
		h1: newH1Pool(conns), httpProxy: !o.NoProxy && (os.Getenv("HTTP_PROXY") != "" || os.Getenv("http_proxy") != ""),
	}
}

// Close closes the idle connections of the Sender's own transport and
// pool; attempts in flight are not interrupted.
func (s *Sender) Close() {
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	if s.h1 != nil {
		s.h1.close()
	}
}

// Request is one attempt: a POST (or Method) of Body with Header to URL.
type Request struct {
	// Method is the request's method; empty is POST, the only one a
	// provider sends (the conformance suite sends others). HEAD goes
	// through net/http, which knows that its answer has no body.
	Method string
	// URL is the target, http:// or https://. Parsed, when not nil, is URL
	// parsed already (the engine keeps it per endpoint); Send parses URL
	// otherwise.
	URL    string
	Parsed *url.URL
	// Header is sent as it is (URL credentials become basic auth unless it
	// has an Authorization header); Header and Body must not be modified
	// until Send returns.
	Header http.Header
	Body   []byte
	// Deadline bounds the whole attempt, the answer's head and the
	// MaxResponseBody bytes of its body included; 0 is none beyond ctx.
	Deadline time.Duration
	// Cut cuts the connection as soon as the first byte of the answer
	// arrives: the receiver has the whole request and has answered, but
	// the sender never reads the acknowledgement (cutting right after the
	// request is written would race with the receiver reading it: a reset
	// can discard the unread body). The Result is ErrKindCut.
	Cut bool
}

// Result is what one HTTP attempt produced: an answer (Status not 0), or
// why there was none (ErrKind and Err). A redirect, a truncated or broken
// body have both.
type Result struct {
	Status    int
	Header    http.Header
	Body      []byte // at most MaxResponseBody bytes of the answer's body
	Truncated bool   // the body was longer than MaxResponseBody
	Latency   time.Duration
	// ErrKind is empty, or one of the ErrKind values; Err says what went
	// wrong without the request's headers or URL credentials.
	ErrKind string
	Err     string
	// Unreachable says that no connection could be made: the host name
	// did not resolve, or the dial failed (refused, no route, timeout).
	Unreachable bool
	// Cause is the error behind ErrKind, for callers that describe it in
	// their own words (the conformance suite's evidence); nil with none.
	Cause error
}

// Send makes the attempt r and reads at most MaxResponseBody bytes of the
// answer. Plaintext URLs that no proxy applies to go through the h1 pool
// on the calling goroutine (but for HEAD), the rest through the transport.
func (s *Sender) Send(ctx context.Context, rq Request) Result {
	u, rawURL, h, body, deadline, cut := rq.Parsed, rq.URL, rq.Header, rq.Body, rq.Deadline, rq.Cut
	start := time.Now()
	method := rq.Method
	if method == "" {
		method = http.MethodPost
	}
	if method != http.MethodHead && s.plain(u) {
		var dl time.Time
		if deadline > 0 {
			dl = start.Add(deadline)
		}
		return s.h1.send(ctx, method, u, withBasicAuth(u, h), body, dl, cut, start)
	}
	target := rawURL
	if u != nil {
		target = "" // parsed already: set below
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return Result{ErrKind: ErrKindOther, Err: "bad request: " + err.Error(), Latency: time.Since(start), Cause: err}
	}
	if u != nil {
		req.URL, req.Host = u, u.Host
	}
	if h != nil {
		req.Header = h
	}
	var cancel context.CancelFunc
	if deadline > 0 {
		ctx, cancel = context.WithTimeout(ctx, deadline)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	var cutDone atomic.Bool
	if cut {
		cctx, ccancel := context.WithCancelCause(ctx)
		defer ccancel(nil)
		ctx = httptrace.WithClientTrace(cctx, &httptrace.ClientTrace{
			GotFirstResponseByte: func() {
				cutDone.Store(true)
				ccancel(errCut)
			},
		})
	}
	req = req.WithContext(ctx)
	resp, err := s.roundTrip(req)
	if cutDone.Load() {
		// The answer, if any, is treated as lost: that is the point.
		if err == nil {
			resp.Body.Close()
		}
		return Result{ErrKind: ErrKindCut, Err: errCut.Error(), Latency: time.Since(start), Cause: errCut}
	}
	if err != nil {
		r := Result{Latency: time.Since(start), Cause: err}
		r.ErrKind, r.Err = classify(ctx, err)
		r.Unreachable = unreachable(err)
		return r
	}
	r := Result{Status: resp.StatusCode, Header: resp.Header}
	r.Body, r.Truncated, err = ReadLimited(resp.Body, MaxResponseBody)
	resp.Body.Close()
	r.Latency = time.Since(start)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.ErrKind, r.Err = ErrKindRedirect, notFollowed(resp)
	case err != nil:
		kind, msg := classify(ctx, err)
		r.ErrKind, r.Err, r.Cause = kind, "reading the answer: "+msg, err
	}
	return r
}

// notFollowed says which redirect was not followed, without the
// Location's credentials or query.
func notFollowed(resp *http.Response) string {
	msg := "redirect not followed: " + resp.Status
	if loc := resp.Header.Get("Location"); loc != "" {
		msg += " (Location: " + RedactURL(loc) + ")"
	}
	return msg
}

// roundTrip sends req through the transport directly when it can, as
// http.Client would with redirects disabled: URL credentials become
// basic auth unless the request has an Authorization header.
func (s *Sender) roundTrip(req *http.Request) (*http.Response, error) {
	if s.rt == nil || req.URL.Scheme != "http" && req.URL.Scheme != "https" || req.URL.Host == "" {
		return s.client.Do(req)
	}
	basicAuth(req)
	return s.rt.RoundTrip(req)
}

// plain reports whether a request to u goes through the plaintext
// sender: a Sender with its own transport, an http:// URL with an ASCII
// host, and no proxy for it.
func (s *Sender) plain(u *url.URL) bool {
	if s.h1 == nil || u == nil || u.Scheme != "http" || u.Host == "" || !isASCII(u.Host) {
		return false
	}
	if !s.httpProxy {
		return true
	}
	proxy, err := s.transport.Proxy(&http.Request{URL: u})
	return err == nil && proxy == nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// basicAuth turns URL credentials into basic auth, as http.Client does,
// unless the request has an Authorization header; the caller's header map
// is not modified.
func basicAuth(req *http.Request) {
	req.Header = withBasicAuth(req.URL, req.Header)
}

// withBasicAuth returns h, or a copy of it with basic auth from u's
// credentials when u has some and h has no Authorization header.
func withBasicAuth(u *url.URL, h http.Header) http.Header {
	ui := u.User
	if ui == nil {
		return h
	}
	if _, ok := h["Authorization"]; ok {
		return h
	}
	pw, _ := ui.Password()
	h = h.Clone()
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ui.Username()+":"+pw)))
	return h
}

// readBufs holds MaxResponseBody+1 byte buffers for ReadLimited.
var readBufs = sync.Pool{New: func() any { b := make([]byte, MaxResponseBody+1); return &b }}

// ReadLimited reads up to max bytes of r (max at most MaxResponseBody). It
// reports truncated when r had more; it never reads further than max+1
// bytes. An empty answer gives a nil slice; otherwise the slice is exactly
// as long as what was read.
func ReadLimited(r io.Reader, max int) ([]byte, bool, error) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := (*bp)[:min(max, MaxResponseBody)+1]
	n, err := io.ReadFull(r, buf)
	switch {
	case n > max:
		return bytes.Clone(buf[:max]), true, nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		err = nil
	}
	if n == 0 {
		return nil, false, err
	}
	return bytes.Clone(buf[:n]), false, err
}
