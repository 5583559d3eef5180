package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
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
	if err := addHeaderFlags(h, extra); err != nil {
		return err
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
	tlsConf, err := wire.TLSConfig("", *insecure)
	if err != nil {
		return err
	}
	results := make([]wire.Result, 1+*dups)
	// Duplicates go out as the provider's would: on kept-alive
	// connections, or each on its own with --concurrent.
	sender := wire.New(wire.Options{TLS: tlsConf, Conns: len(results), NoProxy: true})
	defer sender.Close()
	req := wire.Request{URL: *to, Header: h, Body: b.delivery.Body, Deadline: wait}
	if *concurrent {
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = sender.Send(ctx, req) }()
		}
		wg.Wait()
	} else {
		for i := range results {
			results[i] = sender.Send(ctx, req)
		}
	}
	fmt.Fprintf(e.stdout, "%s %s → %s (delivery %s, key %s)\n", v.ID(), b.event.Name, *to, b.delivery.ID, b.delivery.Key())
	failed := 0
	for i, r := range results {
		label := "delivery"
		if i > 0 {
			label = fmt.Sprintf("duplicate %d", i)
		}
		// A status is an answer, even with a body that broke off or a
		// redirect that is not followed.
		ok := r.Status != 0 && v.Ack.Accepts(r.Status)
		if !ok {
			failed++
		}
		if r.Status == 0 {
			fmt.Fprintf(e.stdout, "  %-12s error after %s: %s\n", label, latency(r.Latency), r.Err)
			continue
		}
		verdict := "acknowledged"
		if !ok {
			verdict = "NOT acknowledged (" + v.Provider.Title + " counts " + v.Ack.Success + " as success)"
		} else if r.Latency > v.Ack.Deadline.D() {
			verdict = "acknowledged, but after the " + v.Ack.Deadline.String() + " deadline"
		}
		fmt.Fprintf(e.stdout, "  %-12s %d in %s: %s\n", label, r.Status, latency(r.Latency), verdict)
		if len(r.Body) > 0 {
			fmt.Fprintf(e.stdout, "  %-12s answer: %s\n", "", oneLine(r.Body))
		}
	}
	if results[0].Unreachable {
		// The flag is right, the receiver is not there: no help hint.
		return &exitError{code: 2, msg: fmt.Sprintf("--to %s is unreachable: %s", *to, results[0].Err)}
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

func printRequest(w io.Writer, to string, h http.Header, body []byte) {
	if to == "" {
		to = "<--to URL>"
	}
	fmt.Fprintf(w, "POST %s\n", to)
	printHeaders(w, h)
	fmt.Fprintf(w, "\n%s\n", body)
}

func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
