package providers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// Delivery is one event ready to send: its body bytes are fixed, and every
// attempt and duplicate carries the same ID. Headers (signature, attempt
// timestamp) are made per attempt by Request.
type Delivery struct {
	Variant *Variant
	Event   *Event
	// ID identifies the delivery on every attempt; it is sent only where the
	// variant has a delivery-id header (or webhook-id).
	ID      string
	Payload jsonv.Value
	Body    []byte
	// Canonical is true when Body is the variant's own encoding of the
	// payload (NewDelivery sets it; so may a caller that stored such a
	// body). For a scheme that signs a re-serialisation identical to that
	// encoding (js-stringify of a js body, php-json of a php body), the
	// body is then signed as it is instead of being re-serialised on every
	// attempt: the result is the same by construction.
	Canonical bool
	// Encoding is the encoding Body is in when Canonical: the variant's,
	// unless NewDeliveryIn chose another.
	Encoding string
}

// NewDelivery encodes payload p as the body of a delivery of e with the
// given id (see NewDeliveryID).
func (v *Variant) NewDelivery(e *Event, p jsonv.Value, id string) (*Delivery, error) {
	return v.NewDeliveryIn(v.Encoding, e, p, id)
}

// NewDeliveryIn is NewDelivery with the body in the named encoding (see
// EncodeAs) instead of the variant's, e.g. php-utf8 for an Airalo body
// with non-ASCII text meant for the Node and Python SDKs.
func (v *Variant) NewDeliveryIn(encoding string, e *Event, p jsonv.Value, id string) (*Delivery, error) {
	body, err := EncodeAs(encoding, p)
	if err != nil {
		return nil, err
	}
	return &Delivery{Variant: v, Event: e, ID: id, Payload: p, Body: body, Canonical: true, Encoding: encoding}, nil
}

// NewDeliveryID returns a delivery id in the variant's format: a UUID v4, or
// "msg_" and 27 base62 characters. Variants that send no id still get a UUID
// for the delivery log.
func (v *Variant) NewDeliveryID(r *rand.Rand) string {
	if v.DeliveryID == "msg" {
		const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		b := []byte("msg_")
		for i := 0; i < 27; i++ {
			b = append(b, b62[r.IntN(len(b62))])
		}
		return string(b)
	}
	return payload.UUID(r)
}

// Signer returns the variant's signer for secret. For Standard Webhooks,
// whose secrets are base64 and never hold a space, secret may be several
// secrets separated by spaces (see Signers): that is how an endpoint
// stores the keys of a rotation.
func (v *Variant) Signer(secret string) (signing.Signer, error) {
	if v.Signature.Scheme == signing.SchemeStandardWebhooks && strings.Contains(secret, " ") {
		return v.Signers(strings.Fields(secret))
	}
	return signing.New(v.signingSpec(), secret)
}

// Signers returns the variant's signer for one or more secrets. Standard
// Webhooks signs with each, in order (webhook-signature then holds one
// space-separated "v1,…" per secret, as during key rotation), and verifies
// with any; every other scheme has exactly one secret.
func (v *Variant) Signers(secrets []string) (signing.Signer, error) {
	if len(secrets) <= 1 {
		return signing.New(v.signingSpec(), strings.Join(secrets, ""))
	}
	if v.Signature.Scheme != signing.SchemeStandardWebhooks {
		return nil, fmt.Errorf("%w: %s signs with one secret; only Standard Webhooks sends one signature per secret (key rotation)", signing.ErrInvalidSecret, v.ID())
	}
	s, err := signing.NewStandardWebhooks(secrets...)
	if err != nil {
		return nil, err
	}
	s.Tolerance = time.Duration(v.Signature.Tolerance)
	return s, nil
}

func (v *Variant) signingSpec() signing.Spec {
	s := v.Signature
	return signing.Spec{
		Scheme: s.Scheme, Hash: s.Hash, Header: s.Header, Prefix: s.Prefix,
		Message: s.Message, Tolerance: signing.Duration(s.Tolerance), SecretFormat: s.SecretFormat,
	}
}

// NewSecret returns a fresh secret in the variant's format.
func (v *Variant) NewSecret(r interface{ Read([]byte) (int, error) }) (string, error) {
	f := v.Signature.SecretFormat
	if f == "" {
		f = "token"
	}
	return signing.NewSecret(f, r)
}

// headerWorld serves header templates, which may only use per-delivery and
// per-attempt values ({{event}}, {{var delivery_id}}, {{var event_time}},
// {{attempt_time …}}); sharing one World keeps Request from allocating one
// per attempt.
var headerWorld = payload.NewWorld(0, time.Unix(0, 0))

// renderHeaders evaluates the variant's header templates; values without a
// placeholder are copied as they are. eventTime, called only when a
// template uses {{var event_time}}, returns the body's value at the event's
// time pointer.
func (v *Variant) renderHeaders(e *Event, id string, at time.Time, eventTime func() (string, error)) (http.Header, error) {
	h := make(http.Header, len(v.Headers)+3)
	var ctx *payload.Context
	for _, hd := range v.Headers {
		if !strings.Contains(hd.Value, "{{") {
			h[http.CanonicalHeaderKey(hd.Name)] = []string{hd.Value}
			continue
		}
		if ctx == nil {
			ctx = &payload.Context{World: headerWorld, Event: e.Name, Time: at, Attempt: at,
				Vars: map[string]string{"delivery_id": id}}
		}
		if strings.Contains(hd.Value, "event_time") {
			if _, done := ctx.Vars["event_time"]; !done {
				t, err := eventTime()
				switch {
				case errors.Is(err, errNoEventTime):
					// A payload of the user's own without the event's
					// time: the attempt's time stands in for it.
					t = at.UTC().Format("2006-01-02T15:04:05.000Z")
				case err != nil:
					return nil, fmt.Errorf("header %s: %w", hd.Name, err)
				}
				ctx.Vars["event_time"] = t
			}
		}
		val, err := ctx.String(hd.Value)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", hd.Name, err)
		}
		s, ok := val.(string)
		if !ok {
			s = fmt.Sprint(val)
		}
		h[http.CanonicalHeaderKey(hd.Name)] = []string{s}
	}
	return h, nil
}

// errNoEventTime: the body lacks the value at the event's time pointer.
var errNoEventTime = errors.New("the body has no value at the event's time pointer")

// eventTimeOf returns the value at e's time pointer in payload p, as
// written there (a string as it is, a number in its JSON digits); an
// error wrapping errNoEventTime when p has none.
func eventTimeOf(e *Event, p jsonv.Value) (string, error) {
	if e.Time == "" {
		return "", fmt.Errorf("event %s has no time pointer for {{var event_time}}", e.Name)
	}
	path, err := jsonv.ParsePath(e.Time)
	if err != nil {
		return "", err
	}
	val, ok := jsonv.Get(p, path)
	if !ok {
		return "", fmt.Errorf("%w %s", errNoEventTime, e.Time)
	}
	switch t := val.(type) {
	case string:
		return t, nil
	case jsonv.Number:
		return string(t), nil
	}
	return "", fmt.Errorf("the body's %s (the event's time) is not a string or number", e.Time)
}

// eventTime returns the delivery's event time as written in its payload
// (parsed from Body when Payload is not set).
func (d *Delivery) eventTime() (string, error) {
	p := d.Payload
	if p == nil {
		var err error
		if p, err = jsonv.Parse(d.Body); err != nil {
			return "", fmt.Errorf("reading the event's time: %w", err)
		}
	}
	return eventTimeOf(d.Event, p)
}

// Request returns the headers of one attempt made at time at, signed with
// signer (nil sends it unsigned, as esimaccess). Every attempt gets a fresh
// signature, and a fresh timestamp where the scheme has one.
func (d *Delivery) Request(signer signing.Signer, at time.Time) (http.Header, error) {
	h, err := d.Variant.renderHeaders(d.Event, d.ID, at, d.eventTime)
	if err != nil {
		return nil, err
	}
	if signer != nil {
		msg := signing.Message{ID: d.ID, Timestamp: at, Body: d.Body}
		if d.Canonical && d.Variant.signsEncoding(d.encoding()) {
			msg.Signed = d.Body
		}
		if ha, ok := signer.(signing.HeaderAdder); ok {
			if err := ha.AddHeaders(h, msg); err != nil {
				return nil, err
			}
			return h, nil
		}
		sh, err := signer.Sign(msg)
		if err != nil {
			return nil, err
		}
		for k, vs := range sh {
			h[k] = vs
		}
	}
	return h, nil
}

// ErrNoKey is returned by Key when the value the key is read from is absent.
var ErrNoKey = errors.New("no idempotency key")

// KeySpec returns the idempotency key rule of event e.
func (v *Variant) KeySpec(e *Event) KeySpec {
	if e != nil && e.Idempotency != nil {
		return *e.Idempotency
	}
	return v.Idempotency
}

// Key returns the idempotency key a receiver should deduplicate a request
// with headers h and body on, per the profile's table.
func (v *Variant) Key(e *Event, h http.Header, body []byte) (string, error) {
	ks := v.KeySpec(e)
	switch ks.From {
	case "header":
		if s := h.Get(ks.Name); s != "" {
			return s, nil
		}
		return "", fmt.Errorf("%w: header %s missing", ErrNoKey, ks.Name)
	case "body":
		p, err := jsonv.Parse(body)
		if err != nil {
			return "", fmt.Errorf("%w: body: %v", ErrNoKey, err)
		}
		path, _ := jsonv.ParsePath(ks.Name)
		val, ok := jsonv.Get(p, path)
		if !ok {
			return "", fmt.Errorf("%w: %s missing", ErrNoKey, ks.Name)
		}
		if s, ok := val.(string); ok {
			return s, nil
		}
		return fmt.Sprint(val), nil
	default:
		sum := sha256.Sum256(body)
		return hex.EncodeToString(sum[:]), nil
	}
}

// Key returns the delivery's idempotency key.
func (d *Delivery) Key() string {
	if ks := d.Variant.KeySpec(d.Event); ks.From == "header" {
		if strings.EqualFold(ks.Name, "webhook-id") && d.Variant.Signature.Scheme == "standard-webhooks" {
			return d.ID
		}
		for _, hd := range d.Variant.Headers {
			if strings.EqualFold(hd.Name, ks.Name) && hd.Value == "{{var delivery_id}}" {
				return d.ID
			}
		}
	}
	h, err := d.Request(nil, time.Unix(0, 0))
	if err == nil {
		h.Set("webhook-id", d.ID)
		if k, err := d.Variant.Key(d.Event, h, d.Body); err == nil {
			return k
		}
	}
	return d.ID
}

// encoding is the encoding of a canonical body.
func (d *Delivery) encoding() string {
	if d.Encoding == "" {
		return d.Variant.Encoding
	}
	return d.Encoding
}

// signsEncoding reports whether a body in encoding is signed as it is: raw
// signing, a re-serialisation that is exactly that encoding (js-stringify
// of a js body), or an Airalo body (php, php-utf8), whose bytes are the
// signed string by the encoding rule (providers.md: "the mock sends Airalo
// bodies whose bytes are the signed string").
func (v *Variant) signsEncoding(encoding string) bool {
	switch v.Signature.Message {
	case "", "raw":
		return true
	case "js-stringify":
		return encoding == "js"
	case "php-json":
		return encoding == "php" || encoding == "php-utf8"
	}
	return false
}
