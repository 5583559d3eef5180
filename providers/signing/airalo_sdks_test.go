package signing

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"strings"
	"testing"
)

func airaloSig(secret, msg string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestCheckAiraloFollowsTheMeasuredTable is providers.md's measured
// acceptance table (raw, PHP, Node, Python str, Python dict), each body
// signed over its own bytes. The models behind it are checked against the
// real runtimes in providers' proof test.
func TestCheckAiraloFollowsTheMeasuredTable(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		accept     string // keys of AiraloSDKs that accept, space-separated
		reason     map[string]string
	}{
		{"low data (ASCII, no slash)", `{"level":"3days","package_name":"bonbon-7gb-10days","remaining_percentage":43,"iccid":"87123123456889019"}`,
			"raw php node python-str python-dict", nil},
		{"credit limit", `{"message":"Surpassed 80% of the credit limit balance","remaining":225.35}`,
			"raw php node python-str python-dict", nil},
		{"slash written \\/", `{"qrcode_url":"https:\/\/sandbox.airalo.com\/qr"}`, "raw php node python-dict",
			map[string]string{"python-str": "the body contains `\\/`, which it turns into `\\\\/` before hashing"}},
		{"slash literal", `{"qrcode_url":"https://sandbox.airalo.com/qr"}`, "raw python-str",
			map[string]string{"php": "the body has a literal `/`, which it hashes as `\\/`", "node": "literal `/`"}},
		{"non-ASCII escaped", `{"name":"Caf\u00e9"}`, "raw php",
			map[string]string{"node": "as `\\uXXXX` escapes, which it hashes as literal UTF-8", "python-dict": "literal UTF-8"}},
		{"non-ASCII literal", `{"name":"Café"}`, "raw node python-str python-dict",
			map[string]string{"php": "literal UTF-8 (non-ASCII) text, which it hashes as `\\uXXXX` escapes"}},
		{"empty object", `{"a":{}}`, "raw node python-str python-dict", map[string]string{"php": "it hashes an array where the body has the object"}},
		{"integer-like keys", `{"b":1,"2":3}`, "raw php python-str python-dict", map[string]string{"node": "it hashes"}},
		{"integer beyond 2^53", `{"n":9007199254740993}`, "raw php python-str python-dict",
			map[string]string{"node": "it re-prints the number 9007199254740993 as 9007199254740992"}},
		{"integral float", `{"n":20.00}`, "raw", map[string]string{"php": "20.00 as 20", "python-dict": "20.00 as 20.0"}},
		{"negative zero", `{"n":-0.0}`, "raw python-str python-dict", map[string]string{"php": "-0.0 as -0", "node": "-0.0 as 0"}},
		{"small decimal", `{"n":0.00001}`, "raw node", map[string]string{"php": "as 1.0e-5", "python-str": "as 1e-05"}},
	} {
		sig := airaloSig("k", tc.body)
		var got []string
		for _, v := range CheckAiralo([]byte(tc.body), "k", sig) {
			if v.Accepts {
				got = append(got, v.SDK.Key)
				if v.Reason != "" {
					t.Errorf("%s: %s accepts with a reason %q", tc.name, v.SDK.Key, v.Reason)
				}
				continue
			}
			if want, ok := tc.reason[v.SDK.Key]; ok && !strings.Contains(v.Reason, want) {
				t.Errorf("%s: %s reason %q, want it to contain %q", tc.name, v.SDK.Key, v.Reason, want)
			}
		}
		if strings.Join(got, " ") != tc.accept {
			t.Errorf("%s: accepted by %q, want %q", tc.name, strings.Join(got, " "), tc.accept)
		}
	}
}

func TestCheckAiraloRejectsWrongSignatures(t *testing.T) {
	body := []byte(`{"remaining":225.35}`)
	for _, tc := range []struct{ sig, node, other string }{
		{"", "missing or empty", "missing or empty"},
		{"abc", "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "not the HMAC-SHA512 of the body"},
		{airaloSig("other", string(body)), "not the HMAC-SHA512 of the body", "not the HMAC-SHA512 of the body"},
		{strings.ToUpper(airaloSig("k", string(body))), "not the HMAC-SHA512 of the body", "not the HMAC-SHA512 of the body"},
	} {
		for _, v := range CheckAiralo(body, "k", tc.sig) {
			want := tc.other
			if v.SDK.Key == "node" {
				want = tc.node
			}
			if v.Accepts || !strings.Contains(v.Reason, want) {
				t.Errorf("sig %q: %s accepts=%v %q, want a rejection containing %q", tc.sig, v.SDK.Key, v.Accepts, v.Reason, want)
			}
		}
	}
	for _, v := range CheckAiralo([]byte(`{"a":`), "k", airaloSig("k", `{"a":`)) {
		if v.SDK.Key != "raw" && (v.Accepts || !strings.Contains(v.Reason, "cannot re-encode")) {
			t.Errorf("invalid JSON: %s accepts=%v %q", v.SDK.Key, v.Accepts, v.Reason)
		}
	}
}

func TestAiraloRejectionsLeaveOutTheUnavoidablePythonStr(t *testing.T) {
	if r := AiraloRejections([]byte(`{"u":"a\/b","n":1}`)); len(r) != 0 {
		t.Errorf("a rule-conforming body draws %v", r)
	}
	r := AiraloRejections([]byte(`{"u":"a\/b","x":{}}`))
	if len(r) != 1 || r[0].SDK.Key != "php" {
		t.Errorf("{} should draw the PHP SDK only, got %+v", r)
	}
}

// TestAiraloVerifyAcceptsTheBodyBytesAndThePHPForm: Airalo bodies are the
// signed string in either non-ASCII form, so NewAiralo's Verify accepts a
// signature of the bytes (php-utf8 bodies) as well as one of PHP's form.
func TestAiraloVerifyAcceptsTheBodyBytesAndThePHPForm(t *testing.T) {
	s, _ := NewAiralo("k")
	body := `{"name":"Café","u":"a\/b"}`
	for name, tc := range map[string]struct {
		sig  string
		want bool
	}{
		"bytes":        {airaloSig("k", body), true},
		"PHP form":     {airaloSig("k", `{"name":"Caf\u00e9","u":"a\/b"}`), true},
		"Node form":    {airaloSig("k", `{"name":"Café","u":"a/b"}`), false},
		"wrong secret": {airaloSig("x", body), false},
	} {
		err := s.Verify(map[string][]string{"Airalo-Signature": {tc.sig}}, []byte(body))
		if (err == nil) != tc.want {
			t.Errorf("%s: Verify = %v, want ok=%v", name, err, tc.want)
		}
	}
	notJSON := `{"name":`
	if err := s.Verify(map[string][]string{"Airalo-Signature": {airaloSig("k", notJSON)}}, []byte(notJSON)); err == nil {
		t.Error("a body that is not JSON verified")
	}
}
