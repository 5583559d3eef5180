package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// preflightWait bounds each preflight delivery (or the provider's ack
// deadline, if shorter). A delivery not answered by then proves nothing
// about the setup: the preflight lets the specs grade it (ACK-001).
const preflightWait = 2 * time.Second

// probePoll is how often the preflight asks the probe.
const probePoll = 25 * time.Millisecond

// preflight checks the setup before any requirement is graded, so that a
// wrong --target, --secret or --probe ends the run at once with exit 2 and
// a line saying what to fix, instead of failing requirements for it:
//
//   - it sends one valid delivery of the primary event, correctly signed,
//     from a fresh life; if the receiver answers it with 4xx, a second
//     one. When both got 404 or 405, the target is not the webhook;
//     when both got another 4xx, the receiver rejects what the provider
//     sends (wrong secret, a guessed header or scheme).
//   - with --probe, after a delivery the receiver accepted (2xx), it asks
//     the probe for its key until the probe counts it, for at most
//     ProbeWait: a probe that answers 404 all along, or anything that is
//     not a probe answer, is the wrong URL.
//
// A 5xx, a 3xx, a 408 or 429, a late or no answer is not a setup error:
// the specs grade it. The deliveries are fresh lives the specs never reuse; the receiver
// applies them like any other (they show in its probe and its data).
func (st *runState) preflight(ctx context.Context) error {
	first, d := st.preflightDelivery(ctx)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	if d == nil || first.Err != nil {
		return nil
	}
	if first.Is2xx() {
		return st.preflightProbe(ctx, d)
	}
	if !refused(first) {
		return nil
	}
	second, d := st.preflightDelivery(ctx)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("preflight: %w", ctx.Err())
	case d == nil || second.Err != nil:
		return nil
	case second.Is2xx():
		return st.preflightProbe(ctx, d)
	case !refused(second):
		return nil
	}
	if notWebhook(first.Status) && notWebhook(second.Status) {
		msg := fmt.Sprintf("every valid delivery got %d: is --target the webhook URL?", second.Status)
		if b := bodySnippet(second.Body); b != "" {
			msg += " (it answered " + b + ")"
		}
		return usagef("%s", msg)
	}
	if st.v.Signature.Scheme == signing.SchemeNone {
		return usagef("the receiver rejected a valid delivery (%s): %s signs nothing, so the receiver should accept it; is --target the %s webhook?",
			answerOf(second), st.v.ID(), st.v.Provider.Name)
	}
	return usagef("the receiver rejected a correctly signed delivery (%s): check --secret; %s",
		answerOf(second), signatureHint(st.v.Signature))
}

// refused reports a 4xx that says the receiver will not take the
// delivery: any but 408 and 429, which say "not now" and are the specs'
// to grade.
func refused(r response) bool {
	return r.Is4xx() && r.Status != http.StatusRequestTimeout && r.Status != http.StatusTooManyRequests
}

// notWebhook reports a status that says the URL serves no webhook.
func notWebhook(status int) bool {
	return status == http.StatusNotFound || status == http.StatusMethodNotAllowed
}

// preflightDelivery sends a valid delivery of the primary event from a
// fresh life, signed now; d is nil when the suite could not build one (the
// specs then say why).
func (st *runState) preflightDelivery(ctx context.Context) (response, *providers.Delivery) {
	d, err := st.fx.fresh(st.fx.primary())
	if err != nil {
		return response{}, nil
	}
	h, err := st.fx.signed(d)
	if err != nil {
		return response{}, nil
	}
	bound := min(preflightWait, st.v.Ack.Deadline.D())
	if bound <= 0 {
		bound = preflightWait
	}
	return st.c.send(ctx, request{Header: h, Body: d.Body, Timeout: bound}), d
}

// preflightProbe asks the probe for the key of d, which the receiver
// accepted, until the probe counts it or ProbeWait has passed.
func (st *runState) preflightProbe(ctx context.Context, d *providers.Delivery) error {
	if st.opts.Probe == "" {
		return nil
	}
	key := d.Key()
	path := "/events/" + url.PathEscape(key)
	end := time.Now().Add(st.opts.ProbeWait)
	tick := time.NewTicker(probePoll)
	defer tick.Stop()
	var last response
	for {
		left := time.Until(end)
		// An answer is not replaced by a later poll's failure: the last
		// poll's bound is what is left of ProbeWait, which a loaded
		// machine may overrun.
		if r := st.c.do(ctx, http.MethodGet, st.c.probe+path, nil, nil, max(left, probePoll)); r.Err == nil || last.Status == 0 {
			last = r
		}
		switch applied, isProbe := probeCount(last); {
		case applied > 0:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("preflight: %w", ctx.Err())
		case last.Err == nil && !isProbe && last.Status != http.StatusNotFound && last.Status < 500:
			// Not a probe answer and not one that may change: stop now.
			return st.brokenProbe(path, last)
		}
		if time.Now().After(end) {
			return st.brokenProbe(path, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("preflight: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// probeCount reads a probe's events answer: the applied count, and whether
// it is a probe answer at all (200 {"applied": N}, or 404).
func probeCount(r response) (applied int, isProbe bool) {
	if r.Err != nil || r.Status != http.StatusOK {
		return 0, r.Err == nil && r.Status == http.StatusNotFound
	}
	var v struct {
		Applied *int `json:"applied"`
	}
	if json.Unmarshal(r.Body, &v) != nil || v.Applied == nil {
		return 0, false
	}
	return *v.Applied, true
}

// brokenProbe is the preflight's finding about a probe that does not count
// an event the receiver accepted.
func (st *runState) brokenProbe(path string, r response) error {
	if r.Err == nil && r.Status == http.StatusNotFound {
		return usagef("the probe at %s knows no event the receiver just accepted (GET %s: %s, for %s): is --probe the base URL?",
			st.opts.Probe, path, answerOf(r), st.opts.ProbeWait)
	}
	return usagef("the probe at %s does not count an event the receiver just accepted (GET %s: %s; openapi/probe.yaml wants 200 {\"applied\": N}): is --probe the base URL?",
		st.opts.Probe, path, r.String())
}

// answerOf is a refusal in a few words: its status and the start of its
// body, `401 {"error":"invalid signature"}`.
func answerOf(r response) string {
	if r.Err != nil {
		return r.String()
	}
	if b := bodySnippet(r.Body); b != "" {
		return fmt.Sprintf("%d %s", r.Status, b)
	}
	return fmt.Sprint(r.Status)
}

// signatureHint says how the provider signs, from the variant's signature
// spec (any profile, --profile-file ones included): "the provider signs in
// header X-Roamify-Signature (hex HMAC-SHA256 of the raw body)".
func signatureHint(s providers.SignatureSpec) string {
	switch s.Scheme {
	case signing.SchemeStandardWebhooks:
		return "the provider signs in header webhook-signature (v1,<base64 HMAC-SHA256 of webhook-id.webhook-timestamp.body> keyed with the base64 after whsec_)"
	case signing.SchemeHMACHex:
		mac := "hex HMAC-" + strings.ToUpper(s.Hash)
		if s.Prefix != "" {
			mac = fmt.Sprintf("%q followed by the %s", s.Prefix, mac)
		}
		return fmt.Sprintf("the provider signs in header %s (%s of %s)", s.Header, mac, signedForm(s.Message))
	}
	return "the provider signs with " + s.Scheme
}

// signedForm names what an HMAC message form covers.
func signedForm(message string) string {
	switch message {
	case signing.MessageJSStringify:
		return "JSON.stringify(JSON.parse(body))"
	case signing.MessagePHPJSON:
		return "PHP's json_encode(json_decode(body, true))"
	case signing.MessageFlattenSorted:
		return "the body flattened to sorted key=value pairs joined with &"
	}
	return "the raw body"
}
