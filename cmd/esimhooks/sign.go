package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/signing"
)

func init() {
	register("sign", "sign a body read from stdin the way a provider does; prints the signature headers", runSign)
	register("verify", "verify a body on stdin and its signature headers the way the provider documents", runVerify)
}

const maxStdin = 16 << 20

func readBody(e *env) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(e.stdin, maxStdin+1))
	if err != nil {
		return nil, usageErr("reading the body from stdin: %v", err)
	}
	if len(b) > maxStdin {
		return nil, usageErr("the body on stdin is larger than %d MiB", maxStdin>>20)
	}
	return b, nil
}

func runSign(ctx context.Context, e *env, args []string) error {
	fs := newFlags("sign", "--provider P [--variant V] --secret S [--id ID] [--timestamp UNIX] < body.json", e)
	var pf providerFlags
	pf.register(fs)
	secret := fs.String("secret", "", "the signing secret")
	id := fs.String("id", "msg_esimhooks", "the message id (Standard Webhooks' webhook-id)")
	ts := fs.Int64("timestamp", 0, "the unix time to sign with where the scheme signs one (default: now)")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, v, err := pf.resolve()
	if err != nil {
		return err
	}
	if v.Signature.Scheme == "none" {
		return usageErr("%s documents no signature: there is nothing to sign", v.ID())
	}
	body, err := readBody(e)
	if err != nil {
		return err
	}
	s, err := v.Signer(*secret)
	if err != nil {
		return usageErr("--secret: %v", err)
	}
	at := time.Now()
	if *ts != 0 {
		at = time.Unix(*ts, 0)
	}
	h, err := s.Sign(signing.Message{ID: *id, Timestamp: at, Body: body})
	if err != nil {
		return failErr("%v", err)
	}
	printHeaders(e.stdout, h)
	return nil
}

func printHeaders(w io.Writer, h http.Header) {
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags("verify", "--provider P [--variant V] --secret S --header 'Name: value'... < body.json", e)
	var pf providerFlags
	pf.register(fs)
	secret := fs.String("secret", "", "the signing secret")
	var hdrs multi
	fs.Var(&hdrs, "header", "a received header 'Name: value' (the signature, and webhook-id/webhook-timestamp for standard); repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	_, v, err := pf.resolve()
	if err != nil {
		return err
	}
	if v.Signature.Scheme == "none" {
		fmt.Fprintf(e.stdout, "%s documents no signature: a receiver can only check the source IP (%s).\n", v.ID(), strings.Join(v.SourceIPs, ", "))
		return nil
	}
	body, err := readBody(e)
	if err != nil {
		return err
	}
	h := http.Header{}
	for _, x := range hdrs {
		k, val, ok := strings.Cut(x, ":")
		if !ok {
			return usageErr("--header %q: want 'Name: value'", x)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(val))
	}
	s, err := v.Signer(*secret)
	if err != nil {
		return usageErr("--secret: %v", err)
	}
	err = s.Verify(h, body)
	if err != nil {
		fmt.Fprintf(e.stdout, "signature INVALID for %s: %s\n", v.ID(), userMessage(err.Error()))
	} else {
		fmt.Fprintf(e.stdout, "signature valid for %s (%s)\n", v.ID(), signatureText(v))
	}
	if strings.EqualFold(v.Signature.Header, signing.HeaderAiralo) {
		explainAiralo(e.stdout, body, *secret, h.Get(signing.HeaderAiralo))
	}
	if err != nil {
		explain(e.stdout, v, *secret, body)
		return failErr("")
	}
	return nil
}

// explainAiralo says, for each official Airalo SDK path, whether it accepts
// the body and signature and why not: the SDKs re-encode the body before
// hashing, and disagree (README "Body bytes: why they matter").
func explainAiralo(w io.Writer, body []byte, secret, sig string) {
	fmt.Fprintln(w, "Airalo's official SDKs, given this body and signature:")
	for _, r := range signing.CheckAiralo(body, secret, sig) {
		verdict := "accepts"
		if !r.Accepts {
			verdict = "rejects: " + r.Reason
		}
		fmt.Fprintf(w, "  %-29s %s\n", r.SDK.Name, verdict)
	}
}

// explain prints the digests of the body forms receivers commonly hash by
// mistake, so a developer can see which one their code computed.
func explain(w io.Writer, v *providers.Variant, secret string, body []byte) {
	sig := v.Signature
	if sig.Scheme != "hmac-hex" {
		fmt.Fprintln(w, "hint: Standard Webhooks signs \"{webhook-id}.{webhook-timestamp}.{raw body}\" with the base64-decoded part of the whsec_ secret; check all three headers are passed and the clock is within 5 minutes.")
		return
	}
	newHash := map[string]func() hash.Hash{"sha256": sha256.New, "sha512": sha512.New}[sig.Hash]
	digest := func(msg []byte) string {
		m := hmac.New(newHash, []byte(secret))
		m.Write(msg)
		return sig.Prefix + hex.EncodeToString(m.Sum(nil))
	}
	fmt.Fprintf(w, "%s is %s over %s. Digests of the forms a receiver might hash:\n", sig.Header, strings.ToUpper(sig.Hash), sig.Message)
	forms := []struct {
		name string
		fn   func([]byte) ([]byte, error)
	}{
		{"raw body bytes", func(b []byte) ([]byte, error) { return b, nil }},
		{"JSON.stringify(JSON.parse(body))", jsonv.StringifyJS},
		{"PHP json_encode(json_decode(body, true))", jsonv.PHPRoundTrip},
		{"SimplifyTrip flattened k=v&… form", jsonv.FlattenBody},
	}
	for _, f := range forms {
		msg, err := f.fn(body)
		if err != nil {
			fmt.Fprintf(w, "  %-42s (cannot compute: %v)\n", f.name, errors.Unwrap(err))
			continue
		}
		fmt.Fprintf(w, "  %-42s %s\n", f.name, digest(msg))
	}
}
