package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
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
	var sf signFlags
	sf.register(fs)
	id := fs.String("id", "msg_esimhooks", "the message id (Standard Webhooks' webhook-id)")
	ts := fs.Int64("timestamp", 0, "the unix time to sign with where the scheme signs one (default: now)")
	v, body, s, err := sf.parse(fs, args, e)
	if err != nil {
		return err
	}
	if s == nil {
		return usageErr("%s documents no signature: there is nothing to sign", v.ID())
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

// signFlags are the flags sign and verify share: the provider and the
// secret.
type signFlags struct {
	providerFlags
	secret string
}

func (f *signFlags) register(fs *flag.FlagSet) {
	f.providerFlags.register(fs)
	fs.StringVar(&f.secret, "secret", "", "the signing secret")
}

// parse parses args into fs, resolves the variant, reads the body from
// stdin and builds the variant's signer of the secret; for a variant that
// documents no signature it returns the variant alone, before reading
// stdin.
func (f *signFlags) parse(fs *flag.FlagSet, args []string, e *env) (*providers.Variant, []byte, signing.Signer, error) {
	if err := parse(fs, args); err != nil {
		return nil, nil, nil, err
	}
	_, v, err := f.resolve()
	if err != nil || v.Signature.Scheme == "none" {
		return v, nil, nil, err
	}
	body, err := readBody(e)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := v.Signer(f.secret)
	if err != nil {
		return nil, nil, nil, usageErr("--secret: %v", err)
	}
	return v, body, s, nil
}

// addHeaderFlags adds the --header values xs ("Name: value") to h.
func addHeaderFlags(h http.Header, xs []string) error {
	for _, x := range xs {
		k, v, err := conformance.ParseHeader(x)
		if err != nil {
			return usageErr("%v", err)
		}
		h.Add(k, v)
	}
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
	var sf signFlags
	sf.register(fs)
	var hdrs multi
	fs.Var(&hdrs, "header", "a received header 'Name: value' (the signature, and webhook-id/webhook-timestamp for standard); repeatable")
	v, body, s, err := sf.parse(fs, args, e)
	if err != nil {
		return err
	}
	if s == nil {
		fmt.Fprintf(e.stdout, "%s documents no signature: a receiver can only check the source IP (%s).\n", v.ID(), strings.Join(v.SourceIPs, ", "))
		return nil
	}
	h := http.Header{}
	if err := addHeaderFlags(h, hdrs); err != nil {
		return err
	}
	err = s.Verify(h, body)
	if err != nil {
		fmt.Fprintf(e.stdout, "signature INVALID for %s: %s\n", v.ID(), userMessage(err.Error()))
	} else {
		fmt.Fprintf(e.stdout, "signature valid for %s (%s)\n", v.ID(), signatureText(v))
	}
	if strings.EqualFold(v.Signature.Header, signing.HeaderAiralo) {
		explainAiralo(e.stdout, body, sf.secret, h.Get(signing.HeaderAiralo))
	}
	if err != nil {
		explain(e.stdout, v, sf.secret, body)
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
