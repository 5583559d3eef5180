package scenario

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// post makes one attempt and reads at most MaxAnswer bytes of the answer,
// all within the provider's ack deadline.
func (p *player) post(ctx context.Context, h http.Header, body []byte) Attempt {
	deadline := p.v.Ack.Deadline.D()
	actx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, p.url.String(), bytes.NewReader(body))
	if err != nil {
		return Attempt{Err: err.Error()}
	}
	req.Header = h.Clone()
	start := time.Now()
	resp, err := p.client.Do(req)
	lat := time.Since(start)
	if err != nil {
		return Attempt{Latency: lat, Err: describe(ctx, actx, err, ackLimit(deadline))}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	return Attempt{Status: resp.StatusCode, Latency: lat, Acked: p.v.Ack.Accepts(resp.StatusCode), Answer: oneLine(b)}
}

// cut writes one attempt on a connection of its own and closes it as soon
// as the first byte of the answer arrives, without reading the answer: the
// receiver has the whole request and has answered, the provider never sees
// the acknowledgement. (Closing right after writing would race with the
// receiver reading the body.)
func (p *player) cut(ctx context.Context, h http.Header, body []byte) Attempt {
	deadline := p.v.Ack.Deadline.D()
	actx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	fail := func(err error) Attempt {
		return Attempt{Cut: true, Latency: time.Since(start), Err: describe(ctx, actx, err, ackLimit(deadline))}
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, p.url.String(), bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header = h.Clone()
	req.Close = true
	conn, err := p.dial(actx)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	if dl, ok := actx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	bw := bufio.NewWriter(conn)
	if err := req.Write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	// Wait for the answer to begin (bounded by the deadline set above);
	// a receiver that never answers still had the request.
	_, _ = conn.Read(make([]byte, 1))
	return Attempt{Cut: true, Latency: time.Since(start)}
}

// dial connects to the target, with TLS for https.
func (p *player) dial(ctx context.Context) (net.Conn, error) {
	host, port := p.url.Hostname(), p.url.Port()
	if port == "" {
		port = "80"
		if p.url.Scheme == "https" {
			port = "443"
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil || p.url.Scheme != "https" {
		return conn, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tr, ok := p.client.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// describe says why an attempt got no answer, without the URL (which may
// carry a token).
func describe(ctx, actx context.Context, err error, limit string) string {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return "no answer within " + limit
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// ackLimit words the ack deadline for describe.
func ackLimit(d time.Duration) string { return fmt.Sprintf("the %s ack deadline", d) }

// oneLine squeezes an answer body onto one line of at most 200 bytes.
func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// statusSummary prints answer counts by status: "200×10" or "200, 202×2".
func statusSummary(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
		if m[c] > 1 {
			parts[i] += "×" + strconv.Itoa(m[c])
		}
	}
	return strings.Join(parts, ", ")
}
