package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks public test vector.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func vecHeader() http.Header {
	h := http.Header{}
	h.Set("webhook-id", vecID)
	h.Set("webhook-timestamp", strconv.Itoa(vecTS))
	h.Set("webhook-signature", vecSig)
	return h
}

func mustStandard(t testing.TB, secrets ...string) *StandardWebhooks {
	t.Helper()
	s, err := NewStandardWebhooks(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStandardVector(t *testing.T) {
	s := mustStandard(t, vecSecret)
	s.Now = fixedClock(time.Unix(vecTS, 0))
	h, err := s.Sign(Message{ID: vecID, Timestamp: time.Unix(vecTS, 0), Body: []byte(vecBody)})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != vecSig {
		t.Errorf("webhook-signature = %q, want %q", got, vecSig)
	}
	if got := h.Get("webhook-id"); got != vecID {
		t.Errorf("webhook-id = %q", got)
	}
	if got := h.Get("webhook-timestamp"); got != "1614265330" {
		t.Errorf("webhook-timestamp = %q", got)
	}
	if len(h) != 3 {
		t.Errorf("Sign returned %d headers, want 3", len(h))
	}
	if err := s.Verify(vecHeader(), []byte(vecBody)); err != nil {
		t.Errorf("Verify vector: %v", err)
	}

	// Independently of the signer: HMAC-SHA256 keyed with the base64 part
	// of the secret, over "{id}.{timestamp}.{body}".
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(vecSecret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(vecID + "." + strconv.Itoa(vecTS) + "." + vecBody))
	if want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)); want != vecSig {
		t.Fatalf("independent computation %q disagrees with the published vector", want)
	}

	// The whsec_ prefix is optional, as in the Standard Webhooks libraries.
	bare := mustStandard(t, strings.TrimPrefix(vecSecret, "whsec_"))
	bare.Now = s.Now
	if err := bare.Verify(vecHeader(), []byte(vecBody)); err != nil {
		t.Errorf("secret without whsec_: %v", err)
	}
	raw, err := NewStandardWebhooksRaw(key)
	if err != nil {
		t.Fatal(err)
	}
	raw.Now = s.Now
	if err := raw.Verify(vecHeader(), []byte(vecBody)); err != nil {
		t.Errorf("raw key: %v", err)
	}
}

func TestStandardTolerance(t *testing.T) {
	ts := time.Unix(vecTS, 0)
	tests := []struct {
		name      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"same second", ts, 0, nil},
		{"exactly 5m late", ts.Add(5 * time.Minute), 0, nil},
		{"5m and 1ns late", ts.Add(5*time.Minute + 1), 0, ErrTimestampTooOld},
		{"5m1s late", ts.Add(5*time.Minute + time.Second), 0, ErrTimestampTooOld},
		{"exactly 5m early", ts.Add(-5 * time.Minute), 0, nil},
		{"5m and 1ns early", ts.Add(-5*time.Minute - 1), 0, ErrTimestampTooNew},
		{"5m1s early", ts.Add(-5*time.Minute - time.Second), 0, ErrTimestampTooNew},
		{"a day late", ts.Add(24 * time.Hour), 0, ErrTimestampTooOld},
		{"custom 1m, 59s late", ts.Add(59 * time.Second), time.Minute, nil},
		{"custom 1m, 61s late", ts.Add(61 * time.Second), time.Minute, ErrTimestampTooOld},
		{"custom 1m, 61s early", ts.Add(-61 * time.Second), time.Minute, ErrTimestampTooNew},
		{"custom 1h, 30m late", ts.Add(30 * time.Minute), time.Hour, nil},
		{"negative means default, 4m late", ts.Add(4 * time.Minute), -time.Second, nil},
		{"negative means default, 6m late", ts.Add(6 * time.Minute), -time.Second, ErrTimestampTooOld},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustStandard(t, vecSecret)
			s.Now = fixedClock(tc.now)
			s.Tolerance = tc.tolerance
			err := s.Verify(vecHeader(), []byte(vecBody))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify at %s = %v, want %v", tc.now.Sub(ts), err, tc.want)
			}
		})
	}
}

func TestStandardExtremeTimestamps(t *testing.T) {
	s := mustStandard(t, vecSecret)
	s.Now = fixedClock(time.Unix(vecTS, 0))
	for ts, want := range map[string]error{
		"9223372036854775807":  ErrTimestampTooNew,
		"-9223372036854775808": ErrTimestampTooOld,
		"0":                    ErrTimestampTooOld,
		"99999999999":          ErrTimestampTooNew,
	} {
		h := vecHeader()
		h.Set("webhook-timestamp", ts)
		if err := s.Verify(h, []byte(vecBody)); !errors.Is(err, want) {
			t.Errorf("timestamp %s: Verify = %v, want %v", ts, err, want)
		}
	}
}

func TestStandardSignUsesClockForZeroTimestamp(t *testing.T) {
	now := time.Date(2026, 4, 2, 9, 15, 30, 500, time.UTC)
	s := mustStandard(t, vecSecret)
	s.Now = fixedClock(now)
	h, err := s.Sign(Message{ID: "msg_1", Body: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("webhook-timestamp"), strconv.FormatInt(now.Unix(), 10); got != want {
		t.Errorf("webhook-timestamp = %s, want %s", got, want)
	}
	if err := s.Verify(h, []byte(`{}`)); err != nil {
		t.Error(err)
	}
	if _, err := s.Sign(Message{Body: []byte(`{}`)}); !errors.Is(err, ErrNoMessageID) {
		t.Errorf("Sign without ID = %v, want ErrNoMessageID", err)
	}
}

func TestStandardKeyRotation(t *testing.T) {
	const oldSecret = vecSecret
	newSecret, err := NewSecret(SecretWhsec, strings.NewReader(strings.Repeat("n", 24)))
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, _ := NewSecret(SecretWhsec, strings.NewReader(strings.Repeat("o", 24)))
	now := fixedClock(time.Unix(vecTS, 0))
	msg := Message{ID: vecID, Timestamp: time.Unix(vecTS, 0), Body: []byte(vecBody)}

	both := mustStandard(t, newSecret, oldSecret)
	both.Now = now
	h, err := both.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(h.Get("webhook-signature"), " ")
	if len(entries) != 2 || entries[1] != vecSig || !strings.HasPrefix(entries[0], "v1,") || entries[0] == vecSig {
		t.Fatalf("webhook-signature = %q, want a new-key entry then %q", h.Get("webhook-signature"), vecSig)
	}
	for name, secrets := range map[string][]string{
		"old only": {oldSecret}, "new only": {newSecret}, "both": {oldSecret, newSecret},
		"other then old": {otherSecret, oldSecret},
	} {
		v := mustStandard(t, secrets...)
		v.Now = now
		if err := v.Verify(h, msg.Body); err != nil {
			t.Errorf("%s: Verify = %v", name, err)
		}
	}
	v := mustStandard(t, otherSecret)
	v.Now = now
	if err := v.Verify(h, msg.Body); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("unrelated key: Verify = %v, want ErrSignatureMismatch", err)
	}
	// A verifier holding both keys accepts a sender that signs with the old
	// one only.
	if err := both.Verify(vecHeader(), msg.Body); err != nil {
		t.Errorf("two-key verifier, one-key sender: %v", err)
	}
}

func TestStandardMalformed(t *testing.T) {
	s := mustStandard(t, vecSecret)
	s.Now = fixedClock(time.Unix(vecTS, 0))
	valid := strings.TrimPrefix(vecSig, "v1,")
	short := base64.StdEncoding.EncodeToString(make([]byte, 31))
	tests := []struct {
		name string
		edit func(h http.Header)
		body string
		want error
	}{
		{"no signature header", func(h http.Header) { h.Del("webhook-signature") }, vecBody, ErrNoSignature},
		{"no headers at all", func(h http.Header) { clear(h) }, vecBody, ErrNoSignature},
		{"empty signature", func(h http.Header) { h.Set("webhook-signature", "") }, vecBody, ErrNoSignature},
		{"no id", func(h http.Header) { h.Del("webhook-id") }, vecBody, ErrNoMessageID},
		{"no timestamp", func(h http.Header) { h.Del("webhook-timestamp") }, vecBody, ErrNoTimestamp},
		{"timestamp not a number", func(h http.Header) { h.Set("webhook-timestamp", "yesterday") }, vecBody, ErrMalformedTimestamp},
		{"timestamp with fraction", func(h http.Header) { h.Set("webhook-timestamp", "1614265330.5") }, vecBody, ErrMalformedTimestamp},
		{"timestamp in ms", func(h http.Header) { h.Set("webhook-timestamp", "1614265330000") }, vecBody, ErrTimestampTooNew},
		{"timestamp ISO", func(h http.Header) { h.Set("webhook-timestamp", "2021-02-25T15:02:10Z") }, vecBody, ErrMalformedTimestamp},
		{"no comma", func(h http.Header) { h.Set("webhook-signature", "v1"+valid) }, vecBody, ErrMalformedSignature},
		{"bare base64", func(h http.Header) { h.Set("webhook-signature", valid) }, vecBody, ErrMalformedSignature},
		{"not base64", func(h http.Header) { h.Set("webhook-signature", "v1,not*base64!") }, vecBody, ErrMalformedSignature},
		{"hex instead of base64", func(h http.Header) {
			h.Set("webhook-signature", "v1,"+strings.Repeat("ab", 32))
		}, vecBody, ErrMalformedSignature},
		{"31 bytes", func(h http.Header) { h.Set("webhook-signature", "v1,"+short) }, vecBody, ErrMalformedSignature},
		{"unpadded", func(h http.Header) { h.Set("webhook-signature", "v1,"+strings.TrimRight(valid, "=")) }, vecBody, ErrMalformedSignature},
		{"only other versions", func(h http.Header) { h.Set("webhook-signature", "v1a,"+valid+" v2,"+valid) }, vecBody, ErrMalformedSignature},
		{"upper-case version", func(h http.Header) { h.Set("webhook-signature", "V1,"+valid) }, vecBody, ErrMalformedSignature},
		{"tampered body", nil, `{"test": 2432232315}`, ErrSignatureMismatch},
		{"tampered id", func(h http.Header) { h.Set("webhook-id", vecID+"x") }, vecBody, ErrSignatureMismatch},
		{"tampered timestamp", func(h http.Header) { h.Set("webhook-timestamp", strconv.Itoa(vecTS+1)) }, vecBody, ErrSignatureMismatch},
		{"one base64 char changed", func(h http.Header) { h.Set("webhook-signature", "v1,h"+valid[1:]) }, vecBody, ErrSignatureMismatch},
		{"garbage then valid", func(h http.Header) { h.Set("webhook-signature", "v1,@@@ junk v1a,xyz "+vecSig) }, vecBody, nil},
		{"extra spaces", func(h http.Header) { h.Set("webhook-signature", "  "+vecSig+"   ") }, vecBody, nil},
		{"wrong then valid", func(h http.Header) { h.Set("webhook-signature", "v1,"+short+" v1,h"+valid[1:]+" "+vecSig) }, vecBody, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := vecHeader()
			if tc.edit != nil {
				tc.edit(h)
			}
			err := s.Verify(h, []byte(tc.body))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewStandardWebhooksSecrets(t *testing.T) {
	for _, bad := range [][]string{nil, {""}, {"whsec_"}, {"whsec_not base64!"}, {vecSecret, "whsec_%%%%"}, {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"}} {
		if s, err := NewStandardWebhooks(bad...); !errors.Is(err, ErrInvalidSecret) || s != nil {
			t.Errorf("NewStandardWebhooks(%q) = %v, %v; want ErrInvalidSecret", bad, s, err)
		}
	}
	if _, err := NewStandardWebhooksRaw(); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("NewStandardWebhooksRaw() = %v", err)
	}
	if _, err := NewStandardWebhooksRaw([]byte{}); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("NewStandardWebhooksRaw(empty) = %v", err)
	}
	// Raw keys are copied.
	k := []byte("0123456789abcdef0123456789abcdef")
	s, err := NewStandardWebhooksRaw(k)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = fixedClock(time.Unix(vecTS, 0))
	h, _ := s.Sign(Message{ID: "m", Timestamp: time.Unix(vecTS, 0), Body: []byte("x")})
	k[0] ^= 0xff
	if err := s.Verify(h, []byte("x")); err != nil {
		t.Errorf("changing the caller's key slice changed the signer: %v", err)
	}
	var zero StandardWebhooks
	if _, err := zero.Sign(Message{ID: "m"}); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("zero StandardWebhooks Sign = %v", err)
	}
	if err := zero.Verify(vecHeader(), nil); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("zero StandardWebhooks Verify = %v", err)
	}
}

func TestNone(t *testing.T) {
	var s Signer = None{}
	h, err := s.Sign(Message{ID: "x", Body: []byte(`{"eventType":"ORDER_STATUS"}`)})
	if err != nil || h == nil || len(h) != 0 {
		t.Errorf("None.Sign = %v, %v; want an empty header", h, err)
	}
	if err := s.Verify(nil, nil); err != nil {
		t.Errorf("None.Verify = %v", err)
	}
	if err := s.Verify(http.Header{"X-Anything": {"forged"}}, []byte("anything")); err != nil {
		t.Errorf("None.Verify = %v", err)
	}
}
