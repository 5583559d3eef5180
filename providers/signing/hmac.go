package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Signature headers of the HMAC providers, spelled as each provider
// documents them. HTTP header names are case-insensitive and http.Header
// stores them canonicalised (X-eSIMfly-Signature becomes
// X-Esimfly-Signature); use http.Header.Get, which canonicalises too.
const (
	// HeaderAiralo carries Airalo's hex HMAC-SHA512.
	HeaderAiralo = "airalo-signature"
	// HeaderESIMfly carries eSIMfly's (2025-01) hex HMAC-SHA256.
	HeaderESIMfly = "X-eSIMfly-Signature"
	// HeaderESIMfly2026 carries eSIMfly's (2026-04) "sha256=<hex>".
	HeaderESIMfly2026 = "X-Webhook-Signature"
	// HeaderRoamify carries Roamify's hex HMAC-SHA256.
	HeaderRoamify = "X-Roamify-Signature"
	// HeaderSimplifyTrip carries SimplifyTrip's hex HMAC-SHA256.
	HeaderSimplifyTrip = "X-Simplify-Trip-Signature"
)

// PrefixSHA256 precedes the hex digest in eSIMfly's 2026-04 header.
const PrefixSHA256 = "sha256="

// The schemes of the HMAC providers, the data behind NewAiralo, NewESIMfly,
// NewESIMfly2026, NewRoamify and NewSimplifyTrip. The provider profiles
// (package providers, profiles/*.yaml) are the source of these facts; this
// package cannot read them (package providers imports signing), so the
// data is restated here and providers' TestConstructorsMatchTheProfiles
// fails when a field here differs from the profile's signature spec.
// SecretFormat is what the mock hands out; where the provider does not say,
// it is an assumption.
var (
	airaloSpec = Spec{Scheme: SchemeHMACHex, Hash: HashSHA512, Header: HeaderAiralo,
		Message: MessagePHPJSON, SecretFormat: SecretToken}
	esimflySpec = Spec{Scheme: SchemeHMACHex, Hash: HashSHA256, Header: HeaderESIMfly,
		Message: MessageJSStringify, SecretFormat: SecretHex32}
	esimfly2026Spec = Spec{Scheme: SchemeHMACHex, Hash: HashSHA256, Header: HeaderESIMfly2026,
		Prefix: PrefixSHA256, Message: MessageRaw, SecretFormat: SecretWhsec}
	roamifySpec = Spec{Scheme: SchemeHMACHex, Hash: HashSHA256, Header: HeaderRoamify,
		Message: MessageRaw, SecretFormat: SecretHex32}
	simplifyTripSpec = Spec{Scheme: SchemeHMACHex, Hash: HashSHA256, Header: HeaderSimplifyTrip,
		Message: MessageFlattenSorted, SecretFormat: SecretCKTest}
)

// messageForms maps a message form to the function that turns a body into
// the bytes that are signed. The empty form is raw.
var messageForms = map[string]func([]byte) ([]byte, error){
	"":                   rawForm,
	MessageRaw:           rawForm,
	MessageJSStringify:   jsonv.StringifyJS,
	MessagePHPJSON:       jsonv.PHPRoundTrip,
	MessageFlattenSorted: jsonv.FlattenBody,
}

func rawForm(body []byte) ([]byte, error) { return body, nil }

// HMAC is a signature scheme that sends, in one header, an optional prefix
// followed by the lowercase hex HMAC of one form of the body (see the
// Message* constants). Airalo, eSIMfly, Roamify and SimplifyTrip sign this
// way. Build one with a provider constructor (NewAiralo, ...), NewHMAC or
// New; the zero value's Sign and Verify fail with ErrInvalidSecret.
//
// Hex case: Sign writes lowercase hex, as the providers do, and Verify
// accepts only lowercase hex. Every verification sample the providers
// publish compares the hex strings exactly (Roamify's !==, eSIMfly's
// timingSafeEqual, compare_digest and hash_equals, the hash_equals of
// Airalo's PHP SDK), so an upper-case signature would fail there too;
// Verify reports it as ErrMalformedSignature. The comparison itself is constant-time
// (hmac.Equal on the decoded bytes).
//
// The key is the secret string's bytes, used as they are (a whsec_ secret
// is not decoded). String, GoString and every fmt verb print the header,
// hash and message form and redact the key.
type HMAC struct {
	header  string
	canon   string // header as net/http keys it
	prefix  string
	hash    string
	message string
	// secretFormat is kept only to give Spec back; it does not affect
	// signing.
	secretFormat string
	size         int // digest size in bytes
	form         func([]byte) ([]byte, error)
	// mac returns the HMAC of its argument. The key lives only in this
	// closure, where no reflection-based printer can reach it.
	mac func([]byte) []byte
}

// NewHMAC returns the HMAC scheme spec describes, keyed with secret. spec
// must have Scheme SchemeHMACHex; it fails with ErrInvalidSpec otherwise or
// when spec does not validate, and with ErrInvalidSecret when secret is
// empty.
func NewHMAC(spec Spec, secret string) (*HMAC, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Scheme != SchemeHMACHex {
		return nil, fmt.Errorf("%w: NewHMAC needs scheme %s, not %q", ErrInvalidSpec, SchemeHMACHex, spec.Scheme)
	}
	return newHMAC(spec, secret)
}

// newHMAC builds an HMAC from a validated hmac-hex spec.
func newHMAC(spec Spec, secret string) (*HMAC, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: %s needs a secret, got an empty one", ErrInvalidSecret, spec.Header)
	}
	h := &HMAC{
		header:       spec.Header,
		canon:        http.CanonicalHeaderKey(spec.Header),
		prefix:       spec.Prefix,
		hash:         spec.Hash,
		message:      spec.Message,
		secretFormat: spec.SecretFormat,
		form:         messageForms[spec.Message],
	}
	if h.message == "" {
		h.message = MessageRaw
	}
	newHash := sha256.New
	if spec.Hash == HashSHA512 {
		newHash = sha512.New
	}
	h.size = newHash().Size()
	key := []byte(secret)
	// A keyed HMAC is reused through a pool: hashing the key pads once,
	// and Reset returns the HMAC to its keyed state.
	pool := &sync.Pool{New: func() any { return hmac.New(newHash, key) }}
	h.mac = func(content []byte) []byte {
		m := pool.Get().(hash.Hash)
		m.Reset()
		m.Write(content)
		sum := m.Sum(nil)
		pool.Put(m)
		return sum
	}
	return h, nil
}

// NewAiralo returns Airalo's scheme: header airalo-signature, lowercase hex
// HMAC-SHA512 keyed with the partner's client secret, over PHP's
// json_encode(json_decode(body)) as the official PHP SDK's
// Signature::checkSignature computes it. Bodies the mock sends follow
// Airalo's encoding rule (jsonv.EncodeAiralo), whose bytes are also what the
// Node SDK and the Python SDK given a dict hash, so an HMAC of the raw body
// verifies as well; CheckAiralo says which SDK accepts any other body. secret
// must not be empty.
func NewAiralo(secret string) (*HMAC, error) { return newHMAC(airaloSpec, secret) }

// NewESIMfly returns eSIMfly's 2025-01 scheme: header X-eSIMfly-Signature,
// lowercase hex HMAC-SHA256 keyed with the webhook secret's bytes, over
// JSON.stringify(JSON.parse(body)), as the webhooks page's Express sample
// verifies. Bodies the mock sends are already in that form (compact, keys
// in order, "<", ">", "&" and non-ASCII literal, numbers as JavaScript
// prints them), so the page's PHP sample, an HMAC of the raw body, verifies
// as well. secret must not be empty.
//
// The page's Python/Flask sample cannot verify any real eSIMfly delivery.
// It computes the HMAC over json.dumps(payload), whose default separators
// put a space after every ":" and "," and whose default ensure_ascii writes
// non-ASCII as \uXXXX, so for any JSON object with at least one member those
// bytes differ from the compact body that was signed; only bodies such as
// {} or [] verify. A Python receiver must compute the HMAC over the raw
// body (request.get_data()), as the PHP sample does.
// json.dumps(payload, separators=(",", ":"), ensure_ascii=False) happens to
// reproduce the seed's payloads as the mock sends them, but not
// JavaScript's output in general: Python prints 1e-07 where JavaScript
// prints 1e-7, 8.0 for a body's 8.00 where JavaScript prints 8, and keeps
// integers above 2^53 exact.
func NewESIMfly(secret string) (*HMAC, error) { return newHMAC(esimflySpec, secret) }

// NewESIMfly2026 returns eSIMfly's 2026-04 and 2026-09 scheme: header
// X-Webhook-Signature = "sha256=" + lowercase hex HMAC-SHA256 of the raw
// body. The key is the whole secret string as shown at registration,
// whsec_ prefix included: the 2026-09 page keys its samples with the
// whsec_ string as is (no decoding).
// X-Webhook-Timestamp is not signed, so there is no replay window. secret
// must not be empty.
func NewESIMfly2026(secret string) (*HMAC, error) { return newHMAC(esimfly2026Spec, secret) }

// NewRoamify returns Roamify's scheme: header X-Roamify-Signature,
// lowercase hex HMAC-SHA256 keyed with the secret key's bytes, over the raw
// body bytes. The caller must verify the body exactly as read from the
// request, before any JSON decoding. secret must not be empty.
func NewRoamify(secret string) (*HMAC, error) { return newHMAC(roamifySpec, secret) }

// NewSimplifyTrip returns SimplifyTrip's scheme: header
// X-Simplify-Trip-Signature, lowercase hex HMAC-SHA256 keyed with the API
// key's checksum key (ck_test_... or ck_live_...), over the canonical
// string of the payload: flattened to one level with underscore-joined key
// paths, sorted by key and joined as k1=v1&k2=v2. How array indexes, null,
// booleans and numbers print is assumed; package jsonv's FlattenBody
// defines it. secret must not be empty.
func NewSimplifyTrip(secret string) (*HMAC, error) { return newHMAC(simplifyTripSpec, secret) }

// Spec returns the scheme as data, without the secret. For the provider
// constructors, SecretFormat is the shape of secret the mock hands out:
// whsec for eSIMfly 2026-04 and ck_test for SimplifyTrip, as documented,
// hex32 (assumed) for eSIMfly 2025-01 and Roamify and token (assumed) for
// Airalo, as their profiles state.
func (h *HMAC) Spec() Spec {
	if h == nil {
		return Spec{}
	}
	return Spec{Scheme: SchemeHMACHex, Hash: h.hash, Header: h.header, Prefix: h.prefix,
		Message: h.message, SecretFormat: h.secretFormat}
}

// Header returns the name of the signature header, as the provider spells
// it.
func (h *HMAC) Header() string { return h.header }

// SignedBytes returns the bytes that the MAC covers for body: body itself
// for the raw form, otherwise its re-serialisation. The mock should send
// bodies for which SignedBytes(body) equals body, so that receivers that
// MAC the raw body and receivers that re-serialise it both verify. It fails
// with ErrInvalidBody when the form needs to parse body and body is not
// JSON.
func (h *HMAC) SignedBytes(body []byte) ([]byte, error) {
	if h == nil || h.form == nil {
		return nil, fmt.Errorf("%w: HMAC not built with NewHMAC or a provider constructor", ErrInvalidSpec)
	}
	b, err := h.form(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s form of the body: %w", ErrInvalidBody, h.message, err)
	}
	return b, nil
}

func (h *HMAC) ready() error {
	if h == nil || h.mac == nil || h.form == nil {
		return fmt.Errorf("%w: HMAC not built with NewHMAC or a provider constructor", ErrInvalidSecret)
	}
	return nil
}

// Sign returns a header holding the signature of m.Body. m.ID and
// m.Timestamp are not signed by this scheme and are ignored. It fails with
// ErrInvalidBody when the message form needs to parse the body and the body
// is not JSON.
func (h *HMAC) Sign(m Message) (http.Header, error) {
	hdr := make(http.Header, 1)
	if err := h.AddHeaders(hdr, m); err != nil {
		return nil, err
	}
	return hdr, nil
}

// AddHeaders implements HeaderAdder: Sign's header, set in hdr.
func (h *HMAC) AddHeaders(hdr http.Header, m Message) error {
	if err := h.ready(); err != nil {
		return err
	}
	content := m.Signed
	if content == nil {
		var err error
		if content, err = h.SignedBytes(m.Body); err != nil {
			return err
		}
	}
	sum := h.mac(content)
	sig := make([]byte, 0, len(h.prefix)+hex.EncodedLen(len(sum)))
	sig = hex.AppendEncode(append(sig, h.prefix...), sum)
	hdr[h.canon] = []string{string(sig)}
	return nil
}

// Verify checks the signature header in hdr against body, the raw request
// body, exactly as the provider's samples do; for Airalo (php-json) a
// signature of the body bytes matches too, since Airalo bodies are sent as
// the signed string (see NewAiralo). It returns nil on a match,
// and otherwise an error wrapping ErrNoSignature (header missing or empty),
// ErrMalformedSignature (wrong or missing prefix, wrong length, not
// lowercase hex), ErrInvalidBody (the form needs JSON and body is not) or
// ErrSignatureMismatch.
func (h *HMAC) Verify(hdr http.Header, body []byte) error {
	if err := h.ready(); err != nil {
		return err
	}
	sig := headerValue(hdr, h.header)
	if sig == "" {
		return fmt.Errorf("%w: %s header missing or empty", ErrNoSignature, h.header)
	}
	digest, ok := strings.CutPrefix(sig, h.prefix)
	if !ok {
		return fmt.Errorf("%w: %s does not start with %q", ErrMalformedSignature, h.header, h.prefix)
	}
	size := h.size
	if len(digest) != 2*size {
		return fmt.Errorf("%w: %s holds %d characters after the prefix, want %d lowercase hex (%s)",
			ErrMalformedSignature, h.header, len(digest), 2*size, h.hash)
	}
	if !isLowerHex(digest) {
		return fmt.Errorf("%w: %s is not lowercase hex", ErrMalformedSignature, h.header)
	}
	got, err := hex.DecodeString(digest)
	if err != nil { // unreachable after isLowerHex, kept for safety
		return fmt.Errorf("%w: %s is not hex", ErrMalformedSignature, h.header)
	}
	// Airalo bodies are the signed string (the encoding rule of
	// jsonv.EncodeAiralo, either non-ASCII form), so for php-json the body
	// bytes themselves are accepted too; an HMAC of either form needs the
	// key, so accepting both weakens nothing.
	content, err := h.SignedBytes(body)
	if err != nil {
		return err
	}
	if h.message == MessagePHPJSON && hmac.Equal(got, h.mac(body)) {
		return nil
	}
	if !hmac.Equal(got, h.mac(content)) {
		return fmt.Errorf("%w: %s does not match the %s form of the body", ErrSignatureMismatch, h.header, h.message)
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// String describes the scheme with the secret redacted.
func (h *HMAC) String() string {
	if h == nil {
		return "signing.HMAC(nil)"
	}
	p := ""
	if h.prefix != "" {
		p = fmt.Sprintf(" prefix=%q", h.prefix)
	}
	return fmt.Sprintf("signing.HMAC{header=%q%s hash=%s message=%s secret=[redacted]}", h.header, p, h.hash, h.message)
}

// GoString is String, so %#v redacts the secret too.
func (h *HMAC) GoString() string { return h.String() }

// Format prints String for every verb, so no verb (%x, %d, %+v, ...) can
// print the key.
func (h *HMAC) Format(f fmt.State, verb rune) { fmt.Fprint(f, h.String()) }
