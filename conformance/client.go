package conformance

import (
	"cmp"
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
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// client sends crafted requests to the target and reads the probe. Every
// attempt is a wire.Send, the one sender of the project, with the
// protections a hostile target calls for: a deadline on every request,
// no redirects followed, bounded head and body reads (wire.MaxResponseBody
// of the body), the answer read even after the receiver stopped reading a
// large body, and the run's TLS settings (CA file, insecure). The client
// adds what is the suite's own: the target and probe URLs, the run's extra
// headers and the evidence. It is safe for concurrent use.
type client struct {
	wire    *wire.Sender
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
	return &client{
		wire:    wire.New(wire.Options{TLS: tlsCfg, Conns: 64}),
		tls:     tlsCfg,
		target:  o.Target,
		probe:   strings.TrimRight(o.Probe, "/"),
		extra:   o.Headers,
		timeout: o.RequestTimeout,
	}
}

// close drops the idle connections.
func (c *client) close() { c.wire.Close() }

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
	Body    []byte // at most wire.MaxResponseBody bytes
	Latency time.Duration
	Err     error
	Timeout time.Duration // the request's bound, for the evidence
}

// send makes one request to the target and never returns before its
// bound.
func (c *client) send(ctx context.Context, r request) response {
	if r.Timeout <= 0 {
		r.Timeout = c.timeout
	}
	return c.do(ctx, r.Method, c.target, r.Header, r.Body, r.Timeout)
}

func (c *client) do(ctx context.Context, method, u string, h http.Header, body []byte, timeout time.Duration) response {
	hdr := make(http.Header, len(c.extra)+len(h)+1)
	for k, vs := range c.extra {
		hdr[k] = append([]string(nil), vs...)
	}
	for k, vs := range h {
		hdr[k] = vs // the provider's own headers win over extras
	}
	if hdr.Get("User-Agent") == "" {
		hdr.Set("User-Agent", "esimhooks-conformance")
	}
	res := c.wire.Send(ctx, wire.Request{Method: method, URL: u, Header: hdr, Body: body, Deadline: timeout})
	if res.Status == 0 {
		// No answer; an answer whose body broke off, or a redirect, is
		// still the answer (its status is what the specs grade).
		return response{Err: cmp.Or(res.Cause, errors.New(res.Err)), Latency: res.Latency, Timeout: timeout}
	}
	return response{Status: res.Status, Header: res.Header, Body: res.Body, Latency: res.Latency, Timeout: timeout}
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
