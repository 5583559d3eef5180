package faulty

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// The faults real receivers were found with (issue 9): each breaks the
// IDs it names on every variant it applies to, and nothing else.

var optionalSignatureCheck = Fault{
	Name: "optional-signature-check",
	Doc: "Verifies the signature only when the header carries a value (`if (req.headers[h]) verify()`): " +
		"an unsigned delivery, or one whose header is empty, is accepted and applied. Breaks: reject a " +
		"delivery without the signature header (SIG-001), apply nothing from it (SIG-005), and answer an " +
		"empty signature header with 4xx (SIG-006).",
	Breaks:  []string{"SIG-001", "SIG-005", "SIG-006"},
	Applies: (*providers.Variant).Signed,
	New: withFaults(func(v *providers.Variant, secret string) (*receiver.Faults, error) {
		s, err := v.Signer(secret)
		if err != nil {
			return nil, err
		}
		name := signatureHeader(v)
		return &receiver.Faults{Verify: func(h http.Header, body []byte) error {
			if h.Get(name) == "" {
				return nil
			}
			return s.Verify(h, body)
		}}, nil
	}),
}

var nodeSDKSignature = Fault{
	Name: "node-sdk-signature",
	Doc: "Verifies as Airalo's Node SDK checkSignature does (providers.md; the algorithm reproduced, " +
		"not the SDK's code): HMAC over JSON.stringify(JSON.parse(body)) with every \"/\" written " +
		"\"\\/\", which keeps non-ASCII text literal where PHP's json_encode writes \\u00fc. Breaks: " +
		"accept a correctly signed body holding non-ASCII text as PHP escapes it (SIG-007). Nothing " +
		"else: the text the suite generates for Airalo (every spec's and every scenario's) is ASCII-only, " +
		"as Airalo's bodies are (providers.md), and so verifies under every SDK.",
	Breaks:  []string{"SIG-007"},
	Applies: (*providers.Variant).SignsPHPReencoding,
	New: withFaults(func(v *providers.Variant, secret string) (*receiver.Faults, error) {
		sp := v.Signature
		raw, err := signing.New(signing.Spec{Scheme: sp.Scheme, Hash: sp.Hash, Header: sp.Header, Prefix: sp.Prefix,
			Message: signing.MessageRaw, SecretFormat: sp.SecretFormat}, secret)
		if err != nil {
			return nil, err
		}
		return &receiver.Faults{Verify: func(h http.Header, body []byte) error {
			js, err := jsonv.StringifyJS(body)
			if err != nil {
				return fmt.Errorf("%w: %v", signing.ErrInvalidBody, err)
			}
			return raw.Verify(h, bytes.ReplaceAll(js, []byte("/"), []byte(`\/`)))
		}}, nil
	}),
}

var duplicate500 = Fault{
	Name: "duplicate-500",
	Doc: "Answers 500 to a copy of an event it already applied, as a receiver whose unique-key " +
		"violation escapes as an error does (the event is applied once). Breaks: answer a duplicate " +
		"with 2xx (IDM-001): the provider retries the 500.",
	Breaks:  []string{"IDM-001"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{DuplicateStatus: http.StatusInternalServerError}, nil
	}),
}

var dedupOnSignature = Fault{
	Name: "dedup-on-signature",
	Doc: "Deduplicates on the signature header's value instead of the provider's idempotency key. " +
		"Where the signature covers the attempt's time (Standard Webhooks), a retry or a later copy " +
		"carries another signature and is applied again. Breaks: apply a duplicated event once " +
		"(IDM-002) and a retried one once (RTY-001).",
	Breaks:  []string{"IDM-002", "RTY-001"},
	Applies: (*providers.Variant).SignsAttemptTime,
	New: func(v *providers.Variant, secret string) (Receiver, error) {
		r, err := build(v, secret, &receiver.Faults{NoDedup: true})
		if err != nil {
			return nil, err
		}
		return &wrapped{Receiver: r, hook: &sigDedup{next: r, header: signatureHeader(v), seen: map[string]bool{}}}, nil
	},
}

// sigDedup answers 200 to a POST whose signature header value it has seen
// accepted before, and passes the rest on; one POST at a time, so that
// copies arriving together are deduplicated too.
type sigDedup struct {
	next   http.Handler
	header string
	mu     sync.Mutex
	seen   map[string]bool
}

func (s *sigDedup) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		s.next.ServeHTTP(w, req)
		return
	}
	sig := req.Header.Get(s.header)
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig != "" && s.seen[sig] {
		w.WriteHeader(http.StatusOK)
		return
	}
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, req)
	res := rec.Result()
	if sig != "" && res.StatusCode >= 200 && res.StatusCode < 300 {
		s.seen[sig] = true
	}
	maps.Copy(w.Header(), res.Header)
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(rec.Body.Bytes())
}

var ack201 = Fault{
	Name: "ack-201",
	Doc: "Acknowledges a delivery with 201 Created instead of 200. Breaks: answer a valid delivery " +
		"with exactly 200 where the provider counts no other status as delivered (ACK-003).",
	Breaks:  []string{"ACK-003"},
	Applies: (*providers.Variant).Only200,
	New:     withWrapper(func(_ *providers.Variant, next http.Handler) http.Handler { return ackAs(http.StatusCreated, next) }),
}

var head404 = Fault{
	Name: "head-404",
	Doc: "Answers the provider's HEAD registration check with 404, as a router with no HEAD route " +
		"does. Breaks: pass the provider's registration check (REG-001).",
	Breaks:  []string{"REG-001"},
	Applies: func(v *providers.Variant) bool { return v.Registration.Check == "head" },
	New:     withWrapper(answerHead(http.StatusNotFound)),
}

var wrongLength500 = Fault{
	Name: "wrong-length-500",
	Doc: "Crashes with 500 when the signature's digest has another length than the hash's, as " +
		"crypto.timingSafeEqual throws (Airalo's Node SDK, the providers' Node samples). Breaks: answer " +
		"a malformed signature header with 4xx, not 5xx (SIG-006).",
	Breaks:  []string{"SIG-006"},
	Applies: (*providers.Variant).Signed,
	New: withWrapper(func(v *providers.Variant, next http.Handler) http.Handler {
		name := signatureHeader(v)
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if sig := req.Header.Get(name); req.Method == http.MethodPost && sig != "" && !digestLengthOK(v, sig) {
				http.Error(w, "RangeError [ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH]: Input buffers must have the same byte length", http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, req)
		})
	}),
}

// digestLengthOK reports whether the first signature in sig has the
// length of the variant's digest, read as a naive receiver does: strip the
// prefix ("sha256=", "v1,") if there, decode hex or base64, count bytes.
func digestLengthOK(v *providers.Variant, sig string) bool {
	if v.Signature.Scheme == "standard-webhooks" {
		first, _, _ := strings.Cut(sig, " ")
		_, b64, _ := strings.Cut(first, ",")
		raw, err := base64.StdEncoding.DecodeString(b64)
		return err != nil || len(raw) == 32 // not base64: a different error path
	}
	size := 32
	if v.Signature.Hash == "sha512" {
		size = 64
	}
	digest := strings.TrimPrefix(sig, v.Signature.Prefix)
	return len(digest) == 2*size
}

// signatureHeader names the header that carries v's signature.
func signatureHeader(v *providers.Variant) string {
	if v.Signature.Scheme == "standard-webhooks" {
		return "webhook-signature"
	}
	return v.Signature.Header
}

// ackAs turns the 200 of a POST into status, also the implicit 200 of a
// Write without WriteHeader.
func ackAs(status int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			w = &acked{ResponseWriter: w, status: status}
		}
		next.ServeHTTP(w, req)
	})
}

// early413 is a correct receiver in front of which a proxy answers 413 to
// a body declared larger than the cap and closes the connection at once,
// without reading the body (nginx's client_max_body_size when it does not
// linger). It breaks nothing: the suite must read the 413 although its
// write of the body fails.
var early413 = Fault{
	Name: "early-413",
	Doc: "Answers 413 to a POST whose Content-Length exceeds 1 MiB before reading any of it, and " +
		"closes the connection at once. Breaks nothing: a conforming body cap (ROB-004 passes).",
	Applies: always,
	New: withWrapper(func(_ *providers.Variant, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodPost && req.ContentLength > receiver.DefaultMaxBody {
				w.Header().Set("Connection", "close")
				w.Header().Set("Content-Length", strconv.Itoa(len("body too large\n")))
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				_, _ = w.Write([]byte("body too large\n"))
				if rc := http.NewResponseController(w); rc.Flush() == nil {
					if conn, _, err := rc.Hijack(); err == nil {
						_ = conn.Close()
					}
				}
				return
			}
			next.ServeHTTP(w, req)
		})
	}),
}

// Conforming returns receivers that break nothing but do something
// unusual the suite must not mistake for a fault (Breaks is empty).
func Conforming() []Fault { return []Fault{early413} }
