package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// maxResponseBody is how much of an answer the suite reads: enough for an
// error message, never a never-ending body.
const maxResponseBody = 4 << 10

// client sends crafted requests to the target and reads the probe, with the
// protections a hostile target calls for: a deadline on every request,
// no redirects followed, bounded header and body reads, and the run's TLS
// settings (CA file, insecure). It is safe for concurrent use.
type client struct {
	http    *http.Client
	tls     *tls.Config
	target  string
	probe   string
	extra   http.Header
	timeout time.Duration
}

// tlsConfig builds the TLS settings of a run: the system roots plus the CA
// file, or no verification with insecure.
func tlsConfig(caFile string, insecure bool) (*tls.Config, error) {
	cfg, err := wire.TLSConfig(caFile, insecure)
	if err != nil {
		return nil, usagef("--ca-file: %v", err)
	}
	return cfg, nil
}

func newClient(o Options, tlsCfg *tls.Config) *client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            answerAfterWriteError(dialer.DialContext),
		TLSClientConfig:        tlsCfg,
		TLSHandshakeTimeout:    5 * time.Second,
		MaxIdleConns:           128,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true,
		ExpectContinueTimeout:  time.Second,
	}
	return &client{
		http: &http.Client{
			Transport: tr,
			// A provider never follows a redirect: a 3xx is the answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		tls:     tlsCfg,
		target:  o.Target,
		probe:   strings.TrimRight(o.Probe, "/"),
		extra:   o.Headers,
		timeout: o.RequestTimeout,
	}
}

// answerAfterWriteError wraps a dialer so that a failed write does not end
// the request before its answer is read. A receiver may answer early and
// close the connection while the body is still being written: a 413 from
// nginx's client_max_body_size or Go's MaxBytesReader to a 5 MiB body
// (ROB-004). Go's transport returns the write error ("broken pipe",
// "connection reset") whenever it comes before the answer, so the verdict
// would depend on timing. The wrapped connection reports every write from
// the first failed one on as done, discarding the bytes (the peer reads no
// more of them anyway), and the transport goes on to read what the
// receiver answered; where it answered nothing, the read fails and the
// evidence says the connection was closed or reset.
func answerAfterWriteError(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &writeTolerantConn{Conn: c}, nil
	}
}

// writeTolerantConn is a connection whose writes never fail once one has:
// see answerAfterWriteError. Reads are untouched.
type writeTolerantConn struct {
	net.Conn
	failed atomic.Bool
}

// Write writes p, or discards it once a write has failed because the peer
// closed or reset the connection.
func (c *writeTolerantConn) Write(p []byte) (int, error) {
	if c.failed.Load() {
		return len(p), nil
	}
	n, err := c.Conn.Write(p)
	if err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
		c.failed.Store(true)
		return len(p), nil
	}
	return n, err
}

// close drops the idle connections.
func (c *client) close() { c.http.CloseIdleConnections() }

// request is one crafted request to the target.
type request struct {
	// Method defaults to POST.
	Method string
	// Header holds the provider's headers (signature included); the run's
	// extra headers are added where the provider sets none.
	Header http.Header
	Body   []byte
	// Timeout bounds the request; 0 is the client's default.
	Timeout time.Duration
}

// response is what came back, or why nothing did.
type response struct {
	Status  int
	Header  http.Header
	Body    []byte // at most maxResponseBody bytes
	Latency time.Duration
	Err     error
	Timeout time.Duration // the request's bound, for the evidence
}

// send makes one request to the target and never returns before its
// bound.
func (c *client) send(ctx context.Context, r request) response {
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	if r.Timeout <= 0 {
		r.Timeout = c.timeout
	}
	return c.do(ctx, r.Method, c.target, r.Header, r.Body, r.Timeout)
}

func (c *client) do(ctx context.Context, method, u string, h http.Header, body []byte, timeout time.Duration) response {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return response{Err: err, Timeout: timeout}
	}
	for k, vs := range c.extra {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range h {
		req.Header[k] = vs // the provider's own headers win over extras
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "esimhooks-conformance")
	}
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return response{Err: err, Latency: time.Since(start), Timeout: timeout}
	}
	defer res.Body.Close()
	// Read a bounded prefix; a never-ending body is cut by the limit and
	// the deadline, and the connection is then dropped, not drained.
	data, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBody))
	return response{Status: res.StatusCode, Header: res.Header, Body: data, Latency: time.Since(start), Timeout: timeout}
}

// Is2xx reports a 2xx answer.
func (r response) Is2xx() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Is4xx reports a 4xx answer.
func (r response) Is4xx() bool { return r.Err == nil && r.Status >= 400 && r.Status < 500 }

// String describes the answer in a few words, with the start of its body:
// `401 in 3 ms: {"error":"invalid signature"}`, "302 redirect to
// https://x (not followed) in 2 ms", "no answer within 10s after 10.0s",
// "connection reset after 4 ms".
func (r response) String() string {
	if r.Err != nil {
		return describeErr(r.Err, r.Timeout) + " after " + ms(r.Latency)
	}
	s := fmt.Sprintf("%d in %s", r.Status, ms(r.Latency))
	if r.Status >= 300 && r.Status < 400 {
		s = fmt.Sprintf("%d redirect to %q (not followed) in %s", r.Status, r.Header.Get("Location"), ms(r.Latency))
	}
	if b := bodySnippet(r.Body); b != "" {
		s += ": " + b
	}
	return s
}

// maxSnippet is how much of an answer's body evidence quotes.
const maxSnippet = 120

// bodySnippet is the start of a body for evidence: at most maxSnippet
// bytes, on one line, control and invalid bytes shown as "?", "…" where
// it was cut.
func bodySnippet(body []byte) string {
	cut := len(body) > maxSnippet
	if cut {
		body = body[:maxSnippet]
	}
	var b strings.Builder
	for len(body) > 0 {
		r, size := utf8.DecodeRune(body)
		switch {
		case r == utf8.RuneError && size <= 1 && cut && !utf8.FullRune(body):
			body = nil // a rune split by the cut
			continue
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r) && r != ' ':
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
		body = body[size:]
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if cut && s != "" {
		s += "…"
	}
	return s
}

// describeErr names a transport failure in a few words.
func describeErr(err error, timeout time.Duration) string {
	var opErr *net.OpError
	var uErr *url.Error
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return "run cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed without an answer"
	case errors.As(err, &certErr):
		return "certificate not valid: " + certErr.Err.Error()
	case errors.As(err, &recErr):
		return "not a TLS server"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return "malformed HTTP answer"
	case errors.As(err, &opErr):
		return "transport error (" + opErr.Op + ": " + opErr.Err.Error() + ")"
	case errors.As(err, &uErr):
		return "transport error (" + uErr.Err.Error() + ")"
	}
	return "transport error (" + err.Error() + ")"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ms formats a latency for evidence as everything esimhooks prints one
// (wire.FormatLatency): "0.4 ms", "35 ms", "3.4 s".
func ms(d time.Duration) string { return wire.FormatLatency(d) }

// probeApplied asks the probe how many times the event with the given
// idempotency key was applied (404 is 0).
func (c *client) probeApplied(ctx context.Context, key string) (int, error) {
	var v struct {
		Applied *int `json:"applied"`
	}
	found, err := c.probeGet(ctx, "/events/"+url.PathEscape(key), &v)
	if err != nil || !found {
		return 0, err
	}
	if v.Applied == nil {
		return 0, errors.New(`probe: events answer without "applied"`)
	}
	return *v.Applied, nil
}

// probeStatus asks the probe for a resource's status; found is false on
// 404.
func (c *client) probeStatus(ctx context.Context, id string) (status string, found bool, err error) {
	var v struct {
		Status *string `json:"status"`
	}
	found, err = c.probeGet(ctx, "/resources/"+url.PathEscape(id), &v)
	if err != nil || !found {
		return "", found, err
	}
	if v.Status == nil {
		return "", true, errors.New(`probe: resources answer without "status"`)
	}
	return *v.Status, true, nil
}

// probeGet reads one probe URL into v; found is false on 404.
func (c *client) probeGet(ctx context.Context, path string, v any) (found bool, err error) {
	r := c.do(ctx, http.MethodGet, c.probe+path, nil, nil, 5*time.Second)
	switch {
	case r.Err != nil:
		return false, fmt.Errorf("probe %s: %s", path, describeErr(r.Err, r.Timeout))
	case r.Status == http.StatusNotFound:
		return false, nil
	case r.Status != http.StatusOK:
		return false, fmt.Errorf("probe %s: answered %s", path, r)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return false, fmt.Errorf("probe %s: %v", path, err)
	}
	return true, nil
}

// reachable checks, before a run, that something listens at u: a TCP
// connection within a few seconds. TLS problems are left to the specs,
// whose evidence names them.
func (c *client) reachable(ctx context.Context, u string) error {
	pu, err := url.Parse(u)
	if err != nil {
		return err
	}
	host := pu.Host
	if pu.Port() == "" {
		if pu.Scheme == "https" {
			host = net.JoinHostPort(pu.Hostname(), "443")
		} else {
			host = net.JoinHostPort(pu.Hostname(), "80")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return errors.New(describeErr(err, 5*time.Second))
	}
	_ = conn.Close()
	return nil
}
