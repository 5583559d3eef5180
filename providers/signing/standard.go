package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Standard Webhooks 1.0 headers and secret prefix.
const (
	// HeaderWebhookID carries the message id; it is the same on every
	// attempt of one message and is the receiver's idempotency key.
	HeaderWebhookID = "webhook-id"
	// HeaderWebhookTimestamp carries the attempt time in unix seconds.
	HeaderWebhookTimestamp = "webhook-timestamp"
	// HeaderWebhookSignature carries space-separated "v1,<base64>"
	// signatures.
	HeaderWebhookSignature = "webhook-signature"
	// WhsecPrefix starts a Standard Webhooks secret; the rest is base64.
	WhsecPrefix = "whsec_"
)

// StandardWebhooks is Standard Webhooks 1.0: webhook-signature holds one or
// more space-separated "v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>"
// signatures, one per key, and webhook-timestamp must lie within Tolerance
// of the verifier's clock. Build one with NewStandardWebhooks or
// NewStandardWebhooksRaw; the zero value's Sign and Verify fail with
// ErrInvalidSecret.
//
// Set Tolerance and Now before first use and do not change them while
// Sign or Verify may run. String, GoString and every fmt verb redact the
// keys.
type StandardWebhooks struct {
	// Tolerance is how far webhook-timestamp may be from Now, in either
	// direction; a timestamp exactly Tolerance away is accepted. Zero or
	// negative means DefaultTolerance (5 minutes).
	Tolerance time.Duration
	// Now is the verifier's clock, and Sign's clock for a Message without
	// a Timestamp; nil means time.Now. Tests inject a fixed clock.
	Now func() time.Time

	// keys holds one MAC function per key; the key bytes live only in
	// the closures, where no reflection-based printer can reach them.
	keys []keyedMAC
}

// keyedMAC returns the v1 MAC of "{id}.{ts}.{body}" under one key.
type keyedMAC func(id string, ts int64, body []byte) []byte

// NewStandardWebhooks returns a Standard Webhooks signer for one or more
// secrets, as the Standard Webhooks libraries read them: an optional whsec_
// prefix is removed and the rest is decoded as standard, padded base64;
// the decoded bytes are the key. Sign writes one signature per secret, in
// the order given, and Verify accepts a delivery that matches any of them,
// so passing the new and the old secret rotates keys without downtime.
//
// It fails with ErrInvalidSecret when no secret is given, or one is empty,
// not base64, or decodes to nothing. A secret that is not base64 is
// rejected rather than used as raw bytes; for raw key bytes use
// NewStandardWebhooksRaw.
func NewStandardWebhooks(secrets ...string) (*StandardWebhooks, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: standard webhooks needs at least one secret", ErrInvalidSecret)
	}
	keys := make([][]byte, 0, len(secrets))
	for i, s := range secrets {
		if s == "" {
			return nil, fmt.Errorf("%w: standard webhooks secret #%d is empty", ErrInvalidSecret, i+1)
		}
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, WhsecPrefix))
		if err != nil {
			// The base64 error names a byte offset only, never the secret.
			return nil, fmt.Errorf("%w: standard webhooks secret #%d is not %s followed by base64: %v",
				ErrInvalidSecret, i+1, WhsecPrefix, err)
		}
		keys = append(keys, k)
	}
	return NewStandardWebhooksRaw(keys...)
}

// NewStandardWebhooksRaw is NewStandardWebhooks for keys given as raw
// bytes. It fails with ErrInvalidSecret when no key is given or one is
// empty. The keys are copied.
func NewStandardWebhooksRaw(keys ...[]byte) (*StandardWebhooks, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: standard webhooks needs at least one key", ErrInvalidSecret)
	}
	s := &StandardWebhooks{keys: make([]keyedMAC, len(keys))}
	for i, k := range keys {
		if len(k) == 0 {
			return nil, fmt.Errorf("%w: standard webhooks key #%d is empty", ErrInvalidSecret, i+1)
		}
		s.keys[i] = newKeyedMAC(append([]byte(nil), k...))
	}
	return s, nil
}

// The header names as net/http keys them, computed once.
var (
	canonWebhookID        = http.CanonicalHeaderKey(HeaderWebhookID)
	canonWebhookTimestamp = http.CanonicalHeaderKey(HeaderWebhookTimestamp)
	canonWebhookSignature = http.CanonicalHeaderKey(HeaderWebhookSignature)
)

func (s *StandardWebhooks) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *StandardWebhooks) tolerance() time.Duration {
	if s.Tolerance > 0 {
		return s.Tolerance
	}
	return DefaultTolerance
}

func (s *StandardWebhooks) ready() error {
	if s == nil || len(s.keys) == 0 {
		return fmt.Errorf("%w: StandardWebhooks not built with NewStandardWebhooks", ErrInvalidSecret)
	}
	return nil
}

// Spec returns the scheme as data, without the secrets.
func (s *StandardWebhooks) Spec() Spec {
	sp := Spec{Scheme: SchemeStandardWebhooks, SecretFormat: SecretWhsec}
	if s != nil && s.Tolerance > 0 && s.Tolerance != DefaultTolerance {
		sp.Tolerance = Duration(s.Tolerance)
	}
	return sp
}

func newKeyedMAC(key []byte) keyedMAC {
	// A keyed HMAC is reused through a pool; Reset returns it to its keyed
	// state.
	pool := &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	return func(id string, ts int64, body []byte) []byte {
		m := pool.Get().(hash.Hash)
		m.Reset()
		var buf [96]byte
		prefix := append(append(buf[:0], id...), '.')
		prefix = append(strconv.AppendInt(prefix, ts, 10), '.')
		m.Write(prefix)
		m.Write(body)
		sum := m.Sum(make([]byte, 0, sha256.Size))
		pool.Put(m)
		return sum
	}
}

// Sign returns webhook-id (m.ID), webhook-timestamp (m.Timestamp in unix
// seconds, or Now when m.Timestamp is zero) and webhook-signature with one
// v1 signature per key. It fails with ErrNoMessageID when m.ID is empty.
func (s *StandardWebhooks) Sign(m Message) (http.Header, error) {
	h := make(http.Header, 3)
	if err := s.AddHeaders(h, m); err != nil {
		return nil, err
	}
	return h, nil
}

// AddHeaders implements HeaderAdder: Sign's three headers, set in h.
func (s *StandardWebhooks) AddHeaders(h http.Header, m Message) error {
	if err := s.ready(); err != nil {
		return err
	}
	if m.ID == "" {
		return fmt.Errorf("%w: a Standard Webhooks message needs an ID", ErrNoMessageID)
	}
	t := m.Timestamp
	if t.IsZero() {
		t = s.now()
	}
	ts := t.Unix()
	sig := make([]byte, 0, len(s.keys)*(4+base64.StdEncoding.EncodedLen(sha256.Size)))
	for i, k := range s.keys {
		if i > 0 {
			sig = append(sig, ' ')
		}
		sig = base64.StdEncoding.AppendEncode(append(sig, "v1,"...), k(m.ID, ts, m.Body))
	}
	h[canonWebhookID] = []string{m.ID}
	h[canonWebhookTimestamp] = []string{strconv.FormatInt(ts, 10)}
	h[canonWebhookSignature] = []string{string(sig)}
	return nil
}

// Verify checks a Standard Webhooks delivery: body must be the raw request
// body. It returns nil when webhook-timestamp is within Tolerance of Now and
// at least one v1 entry of webhook-signature matches one key. Entries of
// other versions (such as v1a) are skipped.
//
// Otherwise the error wraps, in the order checked: ErrNoSignature
// (webhook-signature missing or empty), ErrNoMessageID, ErrNoTimestamp,
// ErrMalformedTimestamp (not integer unix seconds), ErrTimestampTooOld,
// ErrTimestampTooNew, ErrMalformedSignature (no entry is a well-formed
// "v1,<base64 of 32 bytes>") or ErrSignatureMismatch (well-formed v1
// entries, none matching).
func (s *StandardWebhooks) Verify(h http.Header, body []byte) error {
	if err := s.ready(); err != nil {
		return err
	}
	sigHeader := headerValue(h, HeaderWebhookSignature)
	if sigHeader == "" {
		return fmt.Errorf("%w: %s header missing or empty", ErrNoSignature, HeaderWebhookSignature)
	}
	id := headerValue(h, HeaderWebhookID)
	if id == "" {
		return fmt.Errorf("%w: %s header missing or empty", ErrNoMessageID, HeaderWebhookID)
	}
	tsHeader := headerValue(h, HeaderWebhookTimestamp)
	if tsHeader == "" {
		return fmt.Errorf("%w: %s header missing or empty", ErrNoTimestamp, HeaderWebhookTimestamp)
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not integer unix seconds", ErrMalformedTimestamp, HeaderWebhookTimestamp)
	}
	if err := s.checkTime(ts); err != nil {
		return err
	}

	wellFormed := 0
	var want [][]byte
	for _, entry := range strings.Fields(sigHeader) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		wellFormed++
		if want == nil {
			want = make([][]byte, len(s.keys))
			for i, k := range s.keys {
				want[i] = k(id, ts, body)
			}
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return nil
			}
		}
	}
	if wellFormed == 0 {
		return fmt.Errorf("%w: %s has no well-formed v1,<base64> entry", ErrMalformedSignature, HeaderWebhookSignature)
	}
	return fmt.Errorf("%w: none of %d v1 signatures matches any of %d keys", ErrSignatureMismatch, wellFormed, len(s.keys))
}

// checkTime applies the tolerance to a webhook-timestamp of ts unix seconds.
func (s *StandardWebhooks) checkTime(ts int64) error {
	now := s.now()
	// Clamp far-off values so time.Unix cannot overflow; 2^40 s is more
	// than any time.Duration tolerance, so the verdict is unchanged.
	const far = int64(1) << 40
	n := now.Unix()
	if ts > n+far {
		ts = n + far
	} else if ts < n-far {
		ts = n - far
	}
	age := now.Sub(time.Unix(ts, 0))
	tol := s.tolerance()
	switch {
	case age > tol:
		return fmt.Errorf("%w: %s is more than %s before now", ErrTimestampTooOld, HeaderWebhookTimestamp, tol)
	case age < -tol: // not -age > tol: -age overflows when Sub saturates
		return fmt.Errorf("%w: %s is more than %s after now", ErrTimestampTooNew, HeaderWebhookTimestamp, tol)
	}
	return nil
}

// String describes the signer with the keys redacted.
func (s *StandardWebhooks) String() string {
	if s == nil {
		return "signing.StandardWebhooks(nil)"
	}
	return fmt.Sprintf("signing.StandardWebhooks{keys=%d tolerance=%s secret=[redacted]}", len(s.keys), s.tolerance())
}

// GoString is String, so %#v redacts the keys too.
func (s *StandardWebhooks) GoString() string { return s.String() }

// Format prints String for every verb, so no verb can print a key.
func (s *StandardWebhooks) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }
