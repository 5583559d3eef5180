package signing

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Message is what a provider signs for one delivery attempt.
//
// ID and Timestamp are signed only by StandardWebhooks; the HMAC schemes
// sign the body alone (a provider that sends a delivery id or a timestamp
// header sends it unsigned, and adding it is the caller's job).
type Message struct {
	// ID identifies the message; Standard Webhooks sends it as webhook-id
	// and it must stay the same on every attempt of one message.
	ID string
	// Timestamp is when the attempt is signed; Standard Webhooks sends it
	// as webhook-timestamp in unix seconds.
	Timestamp time.Time
	// Body is the exact request body that will be sent.
	Body []byte
	// Signed, when not nil, is what the scheme signs for Body (see
	// HMAC.SignedBytes), already known to the caller: a sender whose body
	// is already in the signed form, or that sends one body many times,
	// saves re-deriving it on every attempt. The caller must make sure it
	// is exactly SignedBytes(Body); Standard Webhooks ignores it.
	Signed []byte
}

// Signer signs outgoing deliveries and verifies incoming ones.
//
// Sign and Verify are safe for concurrent use once the Signer is built and
// its exported fields (if any) are no longer being changed.
type Signer interface {
	// Sign returns the headers that carry the signature of m (for Standard
	// Webhooks also webhook-id and webhook-timestamp). The caller must add
	// them to the request unchanged and send m.Body byte for byte.
	Sign(m Message) (http.Header, error)
	// Verify returns nil when h and body carry a valid signature, checked
	// exactly as the provider documents, and otherwise an error that wraps
	// one of this package's sentinel errors. The caller must pass the raw
	// request body, read before any JSON decoding.
	Verify(h http.Header, body []byte) error
}

// HeaderAdder is implemented by the signers of this package: AddHeaders
// does what Sign does but sets the headers in h (replacing values of the
// same names) instead of returning a new map, which saves an allocation
// per attempt. h must not be nil; on error it may hold some of them.
type HeaderAdder interface {
	AddHeaders(h http.Header, m Message) error
}

// Sentinel errors. Verify, Sign, New and NewSecret wrap them with context;
// the caller must test them with errors.Is, never by comparing strings.
var (
	// ErrNoSignature means the signature header is missing or empty.
	ErrNoSignature = errors.New("signing: no signature")
	// ErrSignatureMismatch means the signature is well formed but does not
	// match the body (tampered body, wrong secret, or a stale key).
	ErrSignatureMismatch = errors.New("signing: signature mismatch")
	// ErrMalformedSignature means the signature header is present but not
	// in the provider's format: wrong prefix, not lowercase hex, wrong
	// length, or for Standard Webhooks no well-formed "v1,<base64>" entry.
	ErrMalformedSignature = errors.New("signing: malformed signature")
	// ErrNoMessageID means the Standard Webhooks webhook-id header is
	// missing or empty, or Sign was given a Message without an ID.
	ErrNoMessageID = errors.New("signing: no message id")
	// ErrNoTimestamp means the Standard Webhooks webhook-timestamp header
	// is missing or empty.
	ErrNoTimestamp = errors.New("signing: no timestamp")
	// ErrMalformedTimestamp means webhook-timestamp is not an integer
	// number of unix seconds.
	ErrMalformedTimestamp = errors.New("signing: malformed timestamp")
	// ErrTimestampTooOld means webhook-timestamp is further in the past
	// than the tolerance allows (a possible replay).
	ErrTimestampTooOld = errors.New("signing: timestamp too old")
	// ErrTimestampTooNew means webhook-timestamp is further in the future
	// than the tolerance allows.
	ErrTimestampTooNew = errors.New("signing: timestamp too new")
	// ErrInvalidBody means the scheme signs a re-serialisation of the body
	// (JSON.stringify, PHP json_encode, SimplifyTrip's flattened string) and
	// the body does not parse as JSON, or has no such form (for example a
	// number PHP cannot encode, or a top-level array for SimplifyTrip).
	ErrInvalidBody = errors.New("signing: invalid body")
	// ErrInvalidSecret means a secret is empty where one is needed, or a
	// Standard Webhooks secret is not base64 (after an optional whsec_
	// prefix). The error never repeats the secret.
	ErrInvalidSecret = errors.New("signing: invalid secret")
	// ErrInvalidSpec means a Spec names an unknown scheme, hash, message
	// form or secret format, or combines fields that do not go together.
	ErrInvalidSpec = errors.New("signing: invalid spec")
)

// Schemes a Spec can name.
const (
	// SchemeHMACHex is a hex HMAC of one form of the body, in one header.
	SchemeHMACHex = "hmac-hex"
	// SchemeStandardWebhooks is Standard Webhooks 1.0.
	SchemeStandardWebhooks = "standard-webhooks"
	// SchemeNone means the provider documents no signature.
	SchemeNone = "none"
)

// Hashes an HMAC Spec can name.
const (
	HashSHA256 = "sha256"
	HashSHA512 = "sha512"
)

// Message forms: which bytes an HMAC scheme signs.
const (
	// MessageRaw signs the raw body bytes.
	MessageRaw = "raw"
	// MessageJSStringify signs JSON.stringify(JSON.parse(body)), as
	// eSIMfly's 2025-01 Express sample verifies.
	MessageJSStringify = "js-stringify"
	// MessagePHPJSON signs PHP's json_encode(json_decode(body, true)), as
	// Airalo's PHP SDK verifies; Verify also accepts a signature of the
	// body bytes, which Airalo bodies are (see NewAiralo).
	MessagePHPJSON = "php-json"
	// MessageFlattenSorted signs SimplifyTrip's canonical string: the
	// payload flattened to underscore-joined key paths, sorted, joined as
	// k1=v1&k2=v2.
	MessageFlattenSorted = "flatten-sorted"
)

// Secret formats for NewSecret and Spec.SecretFormat.
const (
	// SecretWhsec is "whsec_" followed by the standard base64 of 24
	// random bytes (Standard Webhooks, eSIMfly 2026-04).
	SecretWhsec = "whsec"
	// SecretHex32 is 64 lowercase hex characters (32 random bytes).
	SecretHex32 = "hex32"
	// SecretCKTest is "ck_test_" followed by 32 lowercase hex characters
	// (a SimplifyTrip test-mode checksum key).
	SecretCKTest = "ck_test"
	// SecretToken is 32 URL-safe base64 characters (24 random bytes).
	SecretToken = "token"
)

// DefaultTolerance is how far webhook-timestamp may be from the verifier's
// clock, in either direction, when no tolerance is set.
const DefaultTolerance = 5 * time.Minute

// Spec is the data form of a signing scheme, as a provider profile (YAML or
// JSON) states it. The zero value is not valid; call Validate or New.
type Spec struct {
	// Scheme is SchemeHMACHex, SchemeStandardWebhooks or SchemeNone.
	Scheme string `json:"scheme" yaml:"scheme"`
	// Hash is HashSHA256 or HashSHA512; required for hmac-hex, and empty or
	// sha256 for standard-webhooks.
	Hash string `json:"hash,omitempty" yaml:"hash,omitempty"`
	// Header is the signature header; required for hmac-hex, and empty or
	// webhook-signature for standard-webhooks.
	Header string `json:"header,omitempty" yaml:"header,omitempty"`
	// Prefix precedes the hex digest in the header, e.g. "sha256=";
	// hmac-hex only.
	Prefix string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	// Message is the message form an hmac-hex scheme signs: MessageRaw
	// (the default when empty), MessageJSStringify, MessagePHPJSON or
	// MessageFlattenSorted.
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Tolerance is the Standard Webhooks replay window, written "5m" or
	// "300s" (or a number of seconds); zero means DefaultTolerance.
	// standard-webhooks only: the HMAC schemes sign no timestamp.
	Tolerance Duration `json:"tolerance,omitempty" yaml:"tolerance,omitempty"`
	// SecretFormat is how a fresh secret for this provider looks, for
	// NewSecret: SecretWhsec, SecretHex32, SecretCKTest or SecretToken.
	SecretFormat string `json:"secret_format,omitempty" yaml:"secret_format,omitempty"`
}

// Validate reports, wrapping ErrInvalidSpec, the first thing wrong with s.
// It does not look at any secret.
func (s Spec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))
	}
	if s.SecretFormat != "" {
		if _, ok := secretFormats[s.SecretFormat]; !ok {
			return bad("unknown secret format %q (want whsec, hex32, ck_test or token)", s.SecretFormat)
		}
	}
	if s.Tolerance < 0 {
		return bad("negative tolerance %s", time.Duration(s.Tolerance))
	}
	switch s.Scheme {
	case SchemeHMACHex:
		switch s.Hash {
		case HashSHA256, HashSHA512:
		case "":
			return bad("hmac-hex needs a hash (sha256 or sha512)")
		default:
			return bad("unknown hash %q (want sha256 or sha512)", s.Hash)
		}
		if strings.TrimSpace(s.Header) == "" {
			return bad("hmac-hex needs a header")
		}
		if _, ok := messageForms[s.Message]; !ok && s.Message != "" {
			return bad("unknown message form %q (want raw, js-stringify, php-json or flatten-sorted)", s.Message)
		}
		if s.Tolerance != 0 {
			return bad("hmac-hex signs no timestamp, so a tolerance means nothing")
		}
	case SchemeStandardWebhooks:
		if s.Hash != "" && s.Hash != HashSHA256 {
			return bad("standard-webhooks v1 is HMAC-SHA256, not %q", s.Hash)
		}
		if s.Header != "" && !strings.EqualFold(s.Header, HeaderWebhookSignature) {
			return bad("standard-webhooks signs in %s, not %q", HeaderWebhookSignature, s.Header)
		}
		if s.Prefix != "" {
			return bad("standard-webhooks takes no prefix")
		}
		if s.Message != "" {
			return bad("standard-webhooks signs {id}.{timestamp}.{body}; message must be empty")
		}
		if s.SecretFormat != "" && s.SecretFormat != SecretWhsec {
			return bad("standard-webhooks secrets are whsec, not %q", s.SecretFormat)
		}
	case SchemeNone:
		if s.Hash != "" || s.Header != "" || s.Prefix != "" || s.Message != "" || s.Tolerance != 0 || s.SecretFormat != "" {
			return bad("scheme none takes no other fields")
		}
	case "":
		return bad("no scheme")
	default:
		return bad("unknown scheme %q (want hmac-hex, standard-webhooks or none)", s.Scheme)
	}
	return nil
}

// New returns the Signer that spec describes, keyed with secret. It fails
// with ErrInvalidSpec when spec does not validate, and with ErrInvalidSecret
// when the scheme needs a secret and secret is empty or (Standard Webhooks)
// not base64. For SchemeNone the secret is ignored.
func New(spec Spec, secret string) (Signer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	switch spec.Scheme {
	case SchemeHMACHex:
		return newHMAC(spec, secret)
	case SchemeStandardWebhooks:
		s, err := NewStandardWebhooks(secret)
		if err != nil {
			return nil, err
		}
		s.Tolerance = time.Duration(spec.Tolerance)
		return s, nil
	default: // SchemeNone; Validate rejected everything else.
		return None{}, nil
	}
}

// headerValue returns the first value of name in h. It uses h.Get and, for
// a header map built by hand with non-canonical keys, falls back to a
// case-insensitive search, because HTTP header names are case-insensitive.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 && vs[0] != "" {
			return vs[0]
		}
	}
	return ""
}
