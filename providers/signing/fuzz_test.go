package signing

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

var sentinels = []error{
	ErrNoSignature, ErrSignatureMismatch, ErrMalformedSignature, ErrNoMessageID,
	ErrNoTimestamp, ErrMalformedTimestamp, ErrTimestampTooOld, ErrTimestampTooNew,
	ErrInvalidBody, ErrInvalidSecret, ErrInvalidSpec,
}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func fuzzHMACSigners(t testing.TB) []*HMAC {
	var out []*HMAC
	for _, fn := range []func(string) (*HMAC, error){NewAiralo, NewESIMfly, NewESIMfly2026, NewRoamify, NewSimplifyTrip} {
		s, err := fn("fuzz-secret")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// FuzzHMACVerify checks that Verify never panics on any header and body,
// always explains a rejection with a sentinel, accepts exactly one header
// value for a body (the one Sign writes), and that Sign then Verify round
// trips for every body its form accepts.
func FuzzHMACVerify(f *testing.F) {
	for _, tc := range providerCases() {
		f.Add(tc.body, "")
		f.Add(tc.body, "sha256=00")
	}
	f.Add(`{"a":"\ud800"}`, "deadbeef")
	f.Add(`[1,2,3]`, "sha256="+string(make([]byte, 64)))
	f.Add(`{"a":1e400}`, "")
	f.Add(`{"a_b":1,"a":{"b":2}}`, "")
	f.Add("\xff\xfe", "")
	signers := fuzzHMACSigners(f)
	f.Fuzz(func(t *testing.T, body, sig string) {
		for _, s := range signers {
			h := http.Header{}
			h.Set(s.Header(), sig)
			err := s.Verify(h, []byte(body))
			if err != nil && !wrapsSentinel(err) {
				t.Fatalf("%v: Verify error %v wraps no sentinel", s, err)
			}

			signed, err := s.Sign(Message{Body: []byte(body)})
			if err != nil {
				if !errors.Is(err, ErrInvalidBody) || s.Spec().Message == MessageRaw {
					t.Fatalf("%v: Sign(%q) = %v", s, body, err)
				}
				continue
			}
			if err := s.Verify(signed, []byte(body)); err != nil {
				t.Fatalf("%v: Verify(Sign(%q)) = %v", s, body, err)
			}
			if err := s.Verify(h, []byte(body)); err == nil && sig != signed.Get(s.Header()) {
				t.Fatalf("%v: accepted %q, but the signature is %q", s, sig, signed.Get(s.Header()))
			}
		}
	})
}

// FuzzStandardVerify checks that Verify never panics on any headers and
// body, always explains a rejection with a sentinel, and that Sign then
// Verify round trips for any id and body.
func FuzzStandardVerify(f *testing.F) {
	f.Add(vecID, strconv.Itoa(vecTS), vecSig, vecBody)
	f.Add(vecID, strconv.Itoa(vecTS), "v1,"+vecSig+" v1a,xx", vecBody)
	f.Add("", "", "", "")
	f.Add("id", "-1", "v1,", "")
	f.Add("id", "9223372036854775807", "v1,,,, v1 v1,====", "x")
	f.Add("a.b", "1614265330", "v2,abc v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", "{}")
	old := mustStandard(f, "whsec_"+"b2xkLWtleS1mb3Itcm90YXRpb24tdGVzdA==")
	s := mustStandard(f, vecSecret, "whsec_b2xkLWtleS1mb3Itcm90YXRpb24tdGVzdA==")
	now := time.Unix(vecTS, 0)
	s.Now = fixedClock(now)
	old.Now = s.Now
	f.Fuzz(func(t *testing.T, id, ts, sig, body string) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		if err := s.Verify(h, []byte(body)); err != nil && !wrapsSentinel(err) {
			t.Fatalf("Verify error %v wraps no sentinel", err)
		}

		if id == "" {
			if _, err := s.Sign(Message{Body: []byte(body)}); !errors.Is(err, ErrNoMessageID) {
				t.Fatalf("Sign without id = %v", err)
			}
			return
		}
		signed, err := s.Sign(Message{ID: id, Timestamp: now, Body: []byte(body)})
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := s.Verify(signed, []byte(body)); err != nil {
			t.Fatalf("Verify(Sign) = %v", err)
		}
		if err := old.Verify(signed, []byte(body)); err != nil {
			t.Fatalf("old-key verifier rejects a rotated signature: %v", err)
		}
		if len(body) > 0 {
			tampered := []byte(body)
			tampered[0] ^= 1
			if err := s.Verify(signed, tampered); !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("tampered body: %v", err)
			}
		}
	})
}
