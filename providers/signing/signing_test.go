package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSpecValidate(t *testing.T) {
	ok := []Spec{
		{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Roamify-Signature"},
		{Scheme: "hmac-hex", Hash: "sha512", Header: "airalo-signature", Message: "php-json", SecretFormat: "token"},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Webhook-Signature", Prefix: "sha256=", Message: "raw", SecretFormat: "whsec"},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Simplify-Trip-Signature", Message: "flatten-sorted", SecretFormat: "ck_test"},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "X-eSIMfly-Signature", Message: "js-stringify", SecretFormat: "hex32"},
		{Scheme: "standard-webhooks"},
		{Scheme: "standard-webhooks", Hash: "sha256", Header: "webhook-signature", Tolerance: Duration(time.Minute), SecretFormat: "whsec"},
		{Scheme: "none"},
	}
	for _, s := range ok {
		if err := s.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
	bad := []Spec{
		{},
		{Scheme: "hmac"},
		{Scheme: "HMAC-HEX", Hash: "sha256", Header: "h"},
		{Scheme: "hmac-hex", Header: "h"},
		{Scheme: "hmac-hex", Hash: "md5", Header: "h"},
		{Scheme: "hmac-hex", Hash: "SHA256", Header: "h"},
		{Scheme: "hmac-hex", Hash: "sha256"},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "  "},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "h", Message: "json"},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "h", Tolerance: Duration(time.Minute)},
		{Scheme: "hmac-hex", Hash: "sha256", Header: "h", SecretFormat: "base64"},
		{Scheme: "standard-webhooks", Hash: "sha512"},
		{Scheme: "standard-webhooks", Header: "X-Signature"},
		{Scheme: "standard-webhooks", Prefix: "v1,"},
		{Scheme: "standard-webhooks", Message: "raw"},
		{Scheme: "standard-webhooks", SecretFormat: "hex32"},
		{Scheme: "standard-webhooks", Tolerance: Duration(-time.Second)},
		{Scheme: "none", Header: "x"},
		{Scheme: "none", SecretFormat: "token"},
	}
	for _, s := range bad {
		err := s.Validate()
		if !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidSpec", s, err)
		}
		if _, err := New(s, "secret"); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("New(%+v) = %v, want ErrInvalidSpec", s, err)
		}
	}
}

func TestNew(t *testing.T) {
	hm, err := New(Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Roamify-Signature"}, "your_secret")
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := hm.(*HMAC); !ok || h.Spec().Message != MessageRaw {
		t.Errorf("New(hmac-hex) = %#v; want *HMAC with message raw by default", hm)
	}
	if _, err := New(Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "h"}, ""); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("empty HMAC secret: %v", err)
	}
	if _, err := NewHMAC(Spec{Scheme: "standard-webhooks"}, "whsec_AAAA"); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("NewHMAC(standard) = %v", err)
	}

	sw, err := New(Spec{Scheme: "standard-webhooks", Tolerance: Duration(time.Minute)}, vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	std, ok := sw.(*StandardWebhooks)
	if !ok || std.Tolerance != time.Minute {
		t.Fatalf("New(standard) = %#v; want *StandardWebhooks with 1m tolerance", sw)
	}
	std.Now = fixedClock(time.Unix(vecTS, 0).Add(90 * time.Second))
	if err := std.Verify(vecHeader(), []byte(vecBody)); !errors.Is(err, ErrTimestampTooOld) {
		t.Errorf("1m tolerance from spec not applied: %v", err)
	}
	for _, secret := range []string{"", "whsec_", "whsec_***"} {
		if _, err := New(Spec{Scheme: "standard-webhooks"}, secret); !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("New(standard, %q) = %v, want ErrInvalidSecret", secret, err)
		}
	}

	for _, secret := range []string{"", "anything"} {
		n, err := New(Spec{Scheme: "none"}, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := n.(None); !ok {
			t.Errorf("New(none) = %T", n)
		}
	}
}

func TestSpecJSON(t *testing.T) {
	in := `{"scheme":"standard-webhooks","tolerance":"5m","secret_format":"whsec"}`
	var s Spec
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tolerance != Duration(5*time.Minute) || s.Scheme != SchemeStandardWebhooks || s.SecretFormat != SecretWhsec {
		t.Errorf("decoded %+v", s)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"scheme":"standard-webhooks","tolerance":"5m0s","secret_format":"whsec"}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
	out, _ = json.Marshal(Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Roamify-Signature", Message: "raw"})
	if want := `{"scheme":"hmac-hex","hash":"sha256","header":"X-Roamify-Signature","message":"raw"}`; string(out) != want {
		t.Errorf("encoded %s, want %s (tolerance omitted when zero)", out, want)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`"5m"`: 5 * time.Minute, `"300s"`: 5 * time.Minute, `300`: 5 * time.Minute, `"300"`: 5 * time.Minute,
		`"1m30s"`: 90 * time.Second, `0`: 0, `"250ms"`: 250 * time.Millisecond,
	} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("json %s -> %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{`"5 minutes"`, `""`, `1.5`, `true`, `"5"x`, `{}`, `9223372036854775807`} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("json %s -> %v, want an error", in, time.Duration(d))
		}
	}
	d := Duration(time.Minute)
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || d != Duration(time.Minute) {
		t.Errorf("null changed the duration: %v %v", d, err)
	}

	// yaml.v3 calls UnmarshalYAML with a function that decodes the scalar
	// into the value given: a string for 5m, an int for 300.
	yamlScalar := func(v any) func(any) error {
		return func(p any) error { *(p.(*any)) = v; return nil }
	}
	for _, c := range []struct {
		scalar any
		want   time.Duration
	}{{"5m", 5 * time.Minute}, {300, 5 * time.Minute}, {"300s", 5 * time.Minute}, {int64(60), time.Minute}, {uint64(1), time.Second}} {
		var d Duration
		if err := d.UnmarshalYAML(yamlScalar(c.scalar)); err != nil || time.Duration(d) != c.want {
			t.Errorf("yaml %v -> %v, %v; want %v", c.scalar, time.Duration(d), err, c.want)
		}
	}
	for _, bad := range []any{1.5, true, "soon", []any{1}} {
		var d Duration
		if err := d.UnmarshalYAML(yamlScalar(bad)); err == nil {
			t.Errorf("yaml %v accepted", bad)
		}
	}
	if err := d.UnmarshalYAML(func(any) error { return errors.New("boom") }); err == nil {
		t.Error("decoder error swallowed")
	}
	if txt, _ := Duration(90 * time.Second).MarshalText(); string(txt) != "1m30s" {
		t.Errorf("MarshalText = %s", txt)
	}
}

func TestNewSecret(t *testing.T) {
	patterns := map[string]*regexp.Regexp{
		SecretWhsec:  regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{32}$`),
		SecretHex32:  regexp.MustCompile(`^[0-9a-f]{64}$`),
		SecretCKTest: regexp.MustCompile(`^ck_test_[0-9a-f]{32}$`),
		SecretToken:  regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`),
	}
	for format, re := range patterns {
		a, err := NewSecret(format, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := NewSecret(format, nil)
		if !re.MatchString(a) || a == b {
			t.Errorf("%s: %q, %q", format, a, b)
		}
		// Deterministic with a seeded reader.
		s1, _ := NewSecret(format, rand.NewChaCha8([32]byte{1}))
		s2, _ := NewSecret(format, rand.NewChaCha8([32]byte{1}))
		s3, _ := NewSecret(format, rand.NewChaCha8([32]byte{2}))
		if s1 != s2 || s1 == s3 || !re.MatchString(s1) {
			t.Errorf("%s seeded: %q %q %q", format, s1, s2, s3)
		}
		if _, err := NewSecret(format, bytes.NewReader([]byte{1, 2, 3})); err == nil {
			t.Errorf("%s: short reader accepted", format)
		}
	}
	// Fixed input bytes give a known secret.
	if s, _ := NewSecret(SecretCKTest, bytes.NewReader(bytes.Repeat([]byte{0xab}, 16))); s != "ck_test_"+strings.Repeat("ab", 16) {
		t.Errorf("ck_test from 0xab bytes = %q", s)
	}
	if _, err := NewSecret("uuid", nil); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("unknown format: %v", err)
	}
	// Every format makes a secret its scheme accepts.
	w, _ := NewSecret(SecretWhsec, nil)
	if _, err := NewStandardWebhooks(w); err != nil {
		t.Errorf("whsec secret rejected: %v", err)
	}
	if sp := (&StandardWebhooks{}).Spec(); sp.SecretFormat != SecretWhsec {
		t.Errorf("standard SecretFormat = %q", sp.SecretFormat)
	}
}

// TestNoSecretLeaks prints the signers with every fmt verb, embedded in
// other structs, and collects every error the package returns for bad
// input, and checks that no secret (in any encoding) and no computed
// signature appears.
func TestNoSecretLeaks(t *testing.T) {
	const hmacSecret = "s3cr3t-HMAC-key-value"
	hm, err := NewRoamify(hmacSecret)
	if err != nil {
		t.Fatal(err)
	}
	std := mustStandard(t, vecSecret)
	std.Now = fixedClock(time.Unix(vecTS, 0))
	stdKey := strings.TrimPrefix(vecSecret, "whsec_")
	body := []byte(roamifyStatus)
	good, _ := hm.Sign(Message{Body: body})
	goodSig := good.Get(HeaderRoamify)

	forbidden := []string{
		hmacSecret, hex.EncodeToString([]byte(hmacSecret)), fmt.Sprint([]byte(hmacSecret)),
		stdKey, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", goodSig,
		strings.TrimPrefix(vecSig, "v1,"),
	}
	stdKeyBytes, err := base64.StdEncoding.DecodeString(stdKey)
	if err != nil {
		t.Fatal(err)
	}
	forbidden = append(forbidden, fmt.Sprint(stdKeyBytes), hex.EncodeToString(stdKeyBytes), string(stdKeyBytes))

	var outputs []string
	type holder struct {
		h  HMAC
		s  StandardWebhooks
		hp *HMAC
	}
	for _, v := range []any{hm, std, *hm, *std, holder{*hm, *std, hm}, &holder{*hm, *std, hm}, []Signer{hm, std}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	if !strings.Contains(hm.String(), "[redacted]") || !strings.Contains(std.String(), "[redacted]") {
		t.Errorf("String does not say it redacts: %s / %s", hm, std)
	}

	errs := []error{}
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, e := NewStandardWebhooks("whsec_" + hmacSecret + "!")
	add(e)
	_, e = NewStandardWebhooks(hmacSecret)
	add(e)
	_, e = New(Spec{Scheme: "standard-webhooks"}, "whsec_"+hmacSecret+"#")
	add(e)
	for _, sig := range []string{"", strings.ToUpper(goodSig), goodSig[:10], "sha256=" + goodSig, "0" + goodSig[1:]} {
		add(hm.Verify(http.Header{HeaderRoamify: {sig}}, body))
	}
	other, _ := NewRoamify("different")
	add(other.Verify(good, body))
	es, _ := NewESIMfly(hmacSecret)
	add(es.Verify(good, []byte(`{"not json`)))
	h := vecHeader()
	h.Set("webhook-id", "other")
	add(std.Verify(h, []byte(vecBody)))
	h = vecHeader()
	h.Set("webhook-timestamp", "1")
	add(std.Verify(h, []byte(vecBody)))
	if len(errs) < 10 {
		t.Fatalf("expected at least 10 errors, got %d", len(errs))
	}
	for _, err := range errs {
		outputs = append(outputs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}

	for _, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("output leaks %q: %s", f, out)
			}
		}
	}
}
