package signing_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/signing"
)

// deliver sends body with the given headers to handler, as the provider
// would, and prints the status code the handler answers.
func deliver(handler http.Handler, h http.Header, body string) {
	req := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
}

// A partner's net/http handler for Roamify webhooks: read the raw body,
// verify X-Roamify-Signature over it, acknowledge with 200 at once.
func ExampleNewRoamify_verify() {
	verifier, err := signing.NewRoamify("your_secret") // from your secret store
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := verifier.Verify(r.Header, body); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK) // within 3 s; process body in the background
	})

	// What Roamify sends, and the same delivery with a tampered body.
	body := `{"event_category":"esim","event_type":"esim_status","data":{"timestamp":1736985600,"iccid":"8910300000012345678","status":"ACTIVATED"}}`
	h, _ := verifier.Sign(signing.Message{Body: []byte(body)})
	deliver(handler, h, body)
	deliver(handler, h, strings.Replace(body, "ACTIVATED", "EXPIRED", 1))
	deliver(handler, http.Header{}, body)
	// Output:
	// 200
	// 401
	// 401
}

// A partner's handler for eSIMfly (2025-01) webhooks. Verify computes the
// HMAC over JSON.stringify(JSON.parse(body)), exactly as eSIMfly's Express
// sample does, so pass it the raw body.
func ExampleNewESIMfly_verify() {
	verifier, err := signing.NewESIMfly("your_webhook_secret")
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		switch err := verifier.Verify(r.Header, body); {
		case errors.Is(err, signing.ErrInvalidBody):
			http.Error(w, "body is not JSON", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var event struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(body, &event)
		// Deduplicate on X-eSIMfly-Delivery-ID, then queue the event.
		w.WriteHeader(http.StatusOK)
	})

	body := `{"event":"order.created","timestamp":"2025-01-16T10:30:00Z","data":{"order_id":"ORD-123456","amount":5.5,"status":"processing"}}`
	h, _ := verifier.Sign(signing.Message{Body: []byte(body)})
	fmt.Println(h.Get(signing.HeaderESIMfly) != "")
	deliver(handler, h, body)
	deliver(handler, h, `{"event":`)
	// Output:
	// true
	// 200
	// 400
}

// A partner's handler for Standard Webhooks, holding the new and the old
// secret during a key rotation. Verify also rejects a delivery whose
// webhook-timestamp is more than 5 minutes from the clock (a replay).
func ExampleNewStandardWebhooks_verify() {
	verifier, err := signing.NewStandardWebhooks(
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",     // current
		"whsec_b2xkLWtleS1mb3Itcm90YXRpb24tdGVzdA==", // previous, until rotation ends
	)
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		switch err := verifier.Verify(r.Header, body); {
		case errors.Is(err, signing.ErrTimestampTooOld), errors.Is(err, signing.ErrTimestampTooNew):
			http.Error(w, "stale delivery", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// r.Header.Get("webhook-id") is the idempotency key.
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"type":"order.completed","data":{"order_id":"ORD-1"}}`
	sender, _ := signing.NewStandardWebhooks("whsec_b2xkLWtleS1mb3Itcm90YXRpb24tdGVzdA==") // still on the old key
	fresh, _ := sender.Sign(signing.Message{ID: "msg_1", Timestamp: time.Now(), Body: []byte(body)})
	replayed, _ := sender.Sign(signing.Message{ID: "msg_1", Timestamp: time.Now().Add(-time.Hour), Body: []byte(body)})
	deliver(handler, fresh, body)
	deliver(handler, replayed, body)
	// Output:
	// 204
	// 401
}

// A provider profile states its scheme as data; New builds the Signer.
func ExampleNew() {
	profile := []byte(`{"scheme":"hmac-hex","hash":"sha512","header":"airalo-signature","message":"php-json","secret_format":"token"}`)
	var spec signing.Spec
	if err := json.Unmarshal(profile, &spec); err != nil {
		log.Fatal(err)
	}
	secret, err := signing.NewSecret(spec.SecretFormat, rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := signing.New(spec, secret)
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"level":"3days","package_name":"bonbon-7gb-10days","remaining_percentage":43,"iccid":"87123123456889019"}`)
	h, err := signer.Sign(signing.Message{Body: body})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(h.Get(signing.HeaderAiralo)), signer.Verify(h, body))
	fmt.Println(signer) // the secret is never printed
	// Output:
	// 128 <nil>
	// signing.HMAC{header="airalo-signature" hash=sha512 message=php-json secret=[redacted]}
}

// NewSecret makes secrets in each provider's shape; a seeded reader makes
// them reproducible in tests.
func ExampleNewSecret() {
	s, err := signing.NewSecret(signing.SecretCKTest, bytes.NewReader(bytes.Repeat([]byte{0x5a}, 16)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)
	// Output:
	// ck_test_5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
}
