package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

func init() {
	register("send", "send one signed event (plus duplicates) to a URL, like `stripe trigger`", runSend)
	register("generate", "print a generated payload body (deterministic with --seed)", runGenerate)
}

func runGenerate(ctx context.Context, e *env, args []string) error {
	fs := newFlags("generate", "--provider P [--variant V] --event E [--seed N] [--now T] [--set PATH=TEXT | PATH:=JSON]...", e)
	var f eventFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := f.build()
	if err != nil {
		return err
	}
	b.printWarnings(e.stderr)
	_, err = fmt.Fprintf(e.stdout, "%s\n", b.delivery.Body)
	return err
}

func runSend(ctx context.Context, e *env, args []string) error {
	fs := newFlags("send", "--provider P [--variant V] --event E --to URL --secret S [--secret S2]... [--seed N] [--set PATH=TEXT | PATH:=JSON]... [--duplicates N] [--dry-run]", e)
	var f eventFlags
	f.register(fs)
	to := fs.String("to", "", "the receiver's URL")
	var secrets multi
	fs.Var(&secrets, "secret", "the signing secret (not needed for providers without a signature, e.g. esimaccess); repeatable for Standard Webhooks key rotation: one v1 signature per secret, in order")
	dups := fs.Int("duplicates", 0, "send N more byte-identical copies (same body, same headers) after the first")
	concurrent := fs.Bool("concurrent", false, "send the duplicates at the same moment as the first instead of one after another")
	dry := fs.Bool("dry-run", false, "print the exact request (headers and body) instead of sending it")
	timeout := fs.Duration("timeout", 0, "how long to wait for the answer (default: the provider's ack deadline)")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate (staging with self-signed certificates)")
	var extra multi
	fs.Var(&extra, "header", "an extra header 'Name: value' a gateway needs (not signed); repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dups < 0 || *dups > 1000 {
		return usageErr("--duplicates must be 0..1000, got %d", *dups)
	}
	b, err := f.build()
	if err != nil {
		return err
	}
	if !*dry {
		if err := checkURL(*to); err != nil {
			return err
		}
	}
	v := b.variant
	if v.Signature.Scheme != "none" && len(secrets) == 0 {
		return usageErr("--secret is required for %s (%s)", v.ID(), signatureText(v))
	}
	var h http.Header
	// Signing (attempt) times are now, as the provider's are, so that
	// receivers with a replay window accept them; only a dry run with an
	// explicit --now signs at the event's time in the life, for output
	// that is the same on every run.
	now := time.Now()
	at := now
	if *dry && f.explicitNow() {
		at = b.start.Add(b.event.At.D())
	}
	signer, err := v.Signers(secrets)
	if v.Signature.Scheme == "none" {
		signer, err = nil, nil
	}
	if err != nil {
		return usageErr("--secret: %v", err)
	}
	if h, err = b.delivery.Request(signer, at); err != nil {
		return err
	}
	for _, x := range extra {
		k, val, ok := strings.Cut(x, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return usageErr("--header %q: want 'Name: value'", x)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(val))
	}
	b.printWarnings(e.stderr)
	if w := v.ReplayWarning(h, b.delivery.Payload, now); w != "" {
		fmt.Fprintf(e.stderr, "warning: %s. %s\n", w, replayAdvice(v, &f, *dry))
	}
	if *dry {
		printRequest(e.stdout, *to, h, b.delivery.Body)
		return nil
	}
	wait := v.Ack.Deadline.D()
	if *timeout > 0 {
		wait = *timeout
	}
	client := newClient(wait, *insecure)
	results := make([]sendResult, 1+*dups)
	if *concurrent {
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = post(ctx, client, *to, h, b.delivery.Body) }()
		}
		wg.Wait()
	} else {
		for i := range results {
			results[i] = post(ctx, client, *to, h, b.delivery.Body)
		}
	}
	fmt.Fprintf(e.stdout, "%s %s → %s (delivery %s, key %s)\n", v.ID(), b.event.Name, *to, b.delivery.ID, b.delivery.Key())
	failed := 0
	for i, r := range results {
		label := "delivery"
		if i > 0 {
			label = fmt.Sprintf("duplicate %d", i)
		}
		ok := r.err == nil && v.Ack.Accepts(r.status)
		if !ok {
			failed++
		}
		if r.err != nil {
			fmt.Fprintf(e.stdout, "  %-12s error after %s: %v\n", label, r.latency.Round(time.Millisecond), r.err)
			continue
		}
		verdict := "acknowledged"
		if !ok {
			verdict = "NOT acknowledged (" + v.Provider.Title + " counts " + v.Ack.Success + " as success)"
		} else if r.latency > v.Ack.Deadline.D() {
			verdict = "acknowledged, but after the " + v.Ack.Deadline.String() + " deadline"
		}
		fmt.Fprintf(e.stdout, "  %-12s %d in %s: %s\n", label, r.status, r.latency.Round(time.Millisecond), verdict)
		if len(r.body) > 0 {
			fmt.Fprintf(e.stdout, "  %-12s answer: %s\n", "", oneLine(r.body))
		}
	}
	if results[0].err != nil && isUnreachable(results[0].err) {
		return usageErr("%s is unreachable: %v", *to, results[0].err)
	}
	if failed > 0 {
		return failErr("%d of %d requests were not acknowledged", failed, len(results))
	}
	return nil
}

// replayAdvice says how to send a request that replayWarning found stale.
func replayAdvice(v *providers.Variant, f *eventFlags, dry bool) string {
	if strings.HasPrefix(v.Replay.Time, "header:") {
		return "This dry run signs at the event's time in the life because --now is given; without --now, or without --dry-run, it signs at the current time"
	}
	life := "the life of --now " + f.now
	if !f.explicitNow() {
		life = "the --seed life, which starts at " + payload.Epoch.Format(time.RFC3339)
	}
	return "Its time comes from " + life + "; add --now now for the same ids in a fresh event, or --now with a start inside the window"
}

type sendResult struct {
	status  int
	body    []byte
	latency time.Duration
	err     error
}

func newClient(timeout time.Duration, insecure bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		// Providers do not follow redirects: a 3xx is a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func post(ctx context.Context, c *http.Client, to string, h http.Header, body []byte) sendResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to, bytes.NewReader(body))
	if err != nil {
		return sendResult{err: err}
	}
	req.Header = h.Clone()
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return sendResult{latency: time.Since(start), err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return sendResult{status: resp.StatusCode, body: b, latency: time.Since(start)}
}

func checkURL(s string) error {
	if s == "" {
		return usageErr("--to is required (the receiver's URL, e.g. http://127.0.0.1:3000/webhooks)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("--to %q: want an http:// or https:// URL", s)
	}
	return nil
}

func isUnreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns)
}

func printRequest(w io.Writer, to string, h http.Header, body []byte) {
	if to == "" {
		to = "<--to URL>"
	}
	fmt.Fprintf(w, "POST %s\n", to)
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\n%s\n", body)
}

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
