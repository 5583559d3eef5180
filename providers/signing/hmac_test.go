package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// independentHex is the check a provider's documentation describes, written
// here without any of the package's code: hex(HMAC(key, content)).
func independentHex(newHash func() hash.Hash, key string, content []byte) string {
	m := hmac.New(newHash, []byte(key))
	m.Write(content)
	return hex.EncodeToString(m.Sum(nil))
}

// simplifyTripOrderCanonical is simplifyTripOrder's canonical string,
// written by hand from the documented rule and jsonv's stated choices
// (zero-based array indexes as path segments, strings raw, numbers as
// JavaScript prints them).
var simplifyTripOrderCanonical = strings.Join([]string{
	"createdAt=2025-03-01T08:00:00.000Z",
	"data_items_0_eSims_0_activationCode=ACT-CODE-1",
	"data_items_0_eSims_0_iccid=8981100000000000001",
	"data_items_0_eSims_0_pin=1234",
	"data_items_0_eSims_0_planAPN=internet",
	"data_items_0_eSims_0_puk=12345678",
	"data_items_0_eSims_0_qrCodeContent=LPA:1$smdp.example.com$ACT-CODE-1",
	"data_items_0_eSims_0_qrCodeImg=https://cdn.example.com/qr/1.png",
	"data_items_0_eSims_0_smdpAddress=smdp.example.com",
	"data_items_0_quantity=1",
	"data_items_0_sku=ESIM-JP-5GB-30D",
	"data_items_0_status=COMPLETED",
	"data_items_0_subOrderId=SO-100045-1",
	"data_items_0_subTrackId=TRK-7781-1",
	"data_items_0_type=eSIM",
	"data_orderId=SO-100045",
	"data_status=COMPLETED",
	"data_trackId=TRK-7781",
	"id=wh_01HV7K3M9Q2",
	"mode=TEST_MODE",
	"sentDate=2025-03-01T08:00:02.000Z",
	"type=PURCHASE_ORDER_SUCCESS",
}, "&")

type providerCase struct {
	name    string
	newFn   func(string) (*HMAC, error)
	secret  string
	header  string
	prefix  string
	newHash func() hash.Hash
	body    string
	// content is the byte string the provider documents as signed; for
	// raw-body schemes, and for re-serialising schemes whose body is
	// already in their form, it is the body itself.
	content string
	// tamper turns body into a body that differs in one byte and still
	// parses.
	from, to string
}

func providerCases() []providerCase {
	return []providerCase{
		{"airalo/async-order", NewAiralo, "air_client_secret_9f8e7d", HeaderAiralo, "", sha512.New,
			airaloAsyncOrder, airaloAsyncOrder, "8944465400000267221", "8944465400000267222"},
		{"airalo/low-data", NewAiralo, "air_client_secret_9f8e7d", HeaderAiralo, "", sha512.New,
			airaloLowData, airaloLowData, `"remaining_percentage":43`, `"remaining_percentage":42`},
		{"airalo/credit-limit", NewAiralo, "air_client_secret_9f8e7d", HeaderAiralo, "", sha512.New,
			airaloCreditLimit, airaloCreditLimit, "225.35", "225.36"},
		{"esimfly@2025-01/order.created", NewESIMfly, "whk_esimfly_secret", HeaderESIMfly, "", sha256.New,
			esimflyPayloads[0].body, esimflyPayloads[0].body, `"amount":5.5`, `"amount":6.5`},
		{"esimfly@2025-01/order.completed", NewESIMfly, "whk_esimfly_secret", HeaderESIMfly, "", sha256.New,
			esimflyPayloads[1].body, esimflyPayloads[1].body, `"status":"new"`, `"status":"neW"`},
		{"esimfly@2025-01/tricky", NewESIMfly, "whk_esimfly_secret", HeaderESIMfly, "", sha256.New,
			esimflyTricky, esimflyTricky, "<A&B>", "<A&C>"},
		{"esimfly@2026-04/esim.provisioned", NewESIMfly2026, "whsec_c2VjcmV0LWtleS1mb3ItZXNpbWZseQ==", HeaderESIMfly2026, "sha256=", sha256.New,
			esimfly2026Body, esimfly2026Body, "REF-XYZ-789", "REF-XYZ-788"},
		{"roamify/esim_status", NewRoamify, "your_secret", HeaderRoamify, "", sha256.New,
			roamifyStatus, roamifyStatus, `"ACTIVATED"`, `"ACTIVATEd"`},
		{"roamify/affiliate-order", NewRoamify, "your_secret", HeaderRoamify, "", sha256.New,
			roamifyOrder, roamifyOrder, `"order_total":12.5`, `"order_total":12.6`},
		{"simplifytrip/flat", NewSimplifyTrip, "ck_test_0123456789abcdef0123456789abcdef", HeaderSimplifyTrip, "", sha256.New,
			simplifyTripFlat, simplifyTripFlatCanonical, "SO-1", "SO-2"},
		{"simplifytrip/purchase-order", NewSimplifyTrip, "ck_test_0123456789abcdef0123456789abcdef", HeaderSimplifyTrip, "", sha256.New,
			simplifyTripOrder, simplifyTripOrderCanonical, "8981100000000000001", "8981100000000000002"},
	}
}

func oneByteTamper(t *testing.T, body, from, to string) []byte {
	t.Helper()
	if strings.Count(body, from) != 1 || len(from) != len(to) {
		t.Fatalf("tamper %q -> %q must hit exactly once with equal length", from, to)
	}
	out := []byte(strings.Replace(body, from, to, 1))
	diff := 0
	for i := range out {
		if out[i] != body[i] {
			diff++
		}
	}
	if diff != 1 {
		t.Fatalf("tamper changed %d bytes, want 1", diff)
	}
	return out
}

func TestSimplifyTripCanonicalIsSorted(t *testing.T) {
	for _, s := range []string{simplifyTripOrderCanonical, simplifyTripFlatCanonical} {
		if !sort.StringsAreSorted(strings.Split(s, "&")) {
			t.Errorf("hand-written canonical string is not sorted: %s", s)
		}
	}
}

func TestProvidersSignAndVerify(t *testing.T) {
	for _, tc := range providerCases() {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.newFn(tc.secret)
			if err != nil {
				t.Fatal(err)
			}
			if s.Header() != tc.header {
				t.Errorf("Header() = %q, want %q", s.Header(), tc.header)
			}
			body := []byte(tc.body)
			signed, err := s.SignedBytes(body)
			if err != nil {
				t.Fatal(err)
			}
			if string(signed) != tc.content {
				t.Errorf("SignedBytes:\n got %s\nwant %s", signed, tc.content)
			}

			h, err := s.Sign(Message{ID: "ignored", Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 1 {
				t.Errorf("Sign returned %d headers, want 1: %v", len(h), h)
			}
			got := h.Get(tc.header)
			want := tc.prefix + independentHex(tc.newHash, tc.secret, []byte(tc.content))
			if got != want {
				t.Fatalf("%s = %q\nindependent HMAC gives %q", tc.header, got, want)
			}
			if tc.content == tc.body {
				// The body is in the provider's form, so a receiver that
				// MACs the raw bytes (Roamify's and eSIMfly's PHP samples)
				// verifies too.
				if raw := tc.prefix + independentHex(tc.newHash, tc.secret, body); raw != got {
					t.Errorf("raw-body HMAC %q differs from signature %q", raw, got)
				}
			}
			if err := s.Verify(h, body); err != nil {
				t.Fatalf("Verify of own signature: %v", err)
			}

			// A header map built by hand, with the provider's spelling
			// rather than Go's canonical form, still verifies.
			raw := map[string][]string{tc.header: {got}}
			if err := s.Verify(raw, body); err != nil {
				t.Errorf("Verify with non-canonical header key: %v", err)
			}

			check := func(name string, hdr http.Header, b []byte, want error) {
				t.Helper()
				err := s.Verify(hdr, b)
				if !errors.Is(err, want) {
					t.Errorf("%s: Verify = %v, want %v", name, err, want)
				}
			}
			sigHeader := func(v string) http.Header {
				hh := http.Header{}
				hh.Set(tc.header, v)
				return hh
			}
			check("tampered body", h, oneByteTamper(t, tc.body, tc.from, tc.to), ErrSignatureMismatch)
			other, _ := tc.newFn(tc.secret + "x")
			if err := other.Verify(h, body); !errors.Is(err, ErrSignatureMismatch) {
				t.Errorf("wrong secret: Verify = %v, want ErrSignatureMismatch", err)
			}
			check("missing header", http.Header{}, body, ErrNoSignature)
			check("other provider's header", http.Header{"X-Other-Signature": {got}}, body, ErrNoSignature)
			check("empty header", sigHeader(""), body, ErrNoSignature)
			hexPart := strings.TrimPrefix(got, tc.prefix)
			if tc.prefix != "" {
				check("no prefix", sigHeader(hexPart), body, ErrMalformedSignature)
				check("wrong prefix", sigHeader("sha512="+hexPart), body, ErrMalformedSignature)
				check("upper-case prefix", sigHeader(strings.ToUpper(tc.prefix)+hexPart), body, ErrMalformedSignature)
			} else {
				check("unexpected prefix", sigHeader("sha256="+hexPart), body, ErrMalformedSignature)
			}
			check("upper-case hex", sigHeader(tc.prefix+strings.ToUpper(hexPart)), body, ErrMalformedSignature)
			check("truncated", sigHeader(got[:len(got)-2]), body, ErrMalformedSignature)
			check("too long", sigHeader(got+"00"), body, ErrMalformedSignature)
			check("not hex", sigHeader(tc.prefix+"zz"+hexPart[2:]), body, ErrMalformedSignature)
			check("other hash length", sigHeader(tc.prefix+independentHex(func() hash.Hash {
				if tc.newHash().Size() == 32 {
					return sha512.New()
				}
				return sha256.New()
			}, tc.secret, []byte(tc.content))), body, ErrMalformedSignature)
			flipped := []byte(hexPart)
			if flipped[0] == '0' {
				flipped[0] = '1'
			} else {
				flipped[0] = '0'
			}
			check("one hex digit changed", sigHeader(tc.prefix+string(flipped)), body, ErrSignatureMismatch)
		})
	}
}

func TestReserialisingFormsSignTheirFormNotTheRawBody(t *testing.T) {
	s, err := NewESIMfly("whk_esimfly_secret")
	if err != nil {
		t.Fatal(err)
	}
	pretty := []byte(esimflyTrickyPretty)
	h, err := s.Sign(Message{Body: pretty})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get(HeaderESIMfly), independentHex(sha256.New, "whk_esimfly_secret", []byte(esimflyTricky)); got != want {
		t.Errorf("signature over a pretty body = %s, want the HMAC of its JSON.stringify form %s", got, want)
	}
	if err := s.Verify(h, pretty); err != nil {
		t.Errorf("Verify pretty body: %v", err)
	}
	if err := s.Verify(h, []byte(esimflyTricky)); err != nil {
		t.Errorf("Verify compact form of the same payload: %v", err)
	}
	// What a raw-body receiver (eSIMfly's PHP sample) would compute differs:
	// that is why the mock must send bodies already in JSON.stringify form.
	if raw := independentHex(sha256.New, "whk_esimfly_secret", pretty); raw == h.Get(HeaderESIMfly) {
		t.Error("raw HMAC of a pretty body equals the JSON.stringify-form HMAC; the test body is not exercising anything")
	}
}

func TestInvalidBody(t *testing.T) {
	bodies := []string{``, `{`, `{"a":1,}`, `not json`, `{"a":1} trailing`}
	for _, newFn := range []func(string) (*HMAC, error){NewAiralo, NewESIMfly, NewSimplifyTrip} {
		s, err := newFn("k")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			if _, err := s.Sign(Message{Body: []byte(b)}); !errors.Is(err, ErrInvalidBody) {
				t.Errorf("%v Sign(%q) = %v, want ErrInvalidBody", s, b, err)
			}
			h := http.Header{}
			h.Set(s.Header(), strings.Repeat("0", 2*s.size))
			if err := s.Verify(h, []byte(b)); !errors.Is(err, ErrInvalidBody) {
				t.Errorf("%v Verify(%q) = %v, want ErrInvalidBody", s, b, err)
			}
		}
	}
	// SimplifyTrip's canonical string needs an object at the top.
	st, _ := NewSimplifyTrip("k")
	if _, err := st.Sign(Message{Body: []byte(`[1,2]`)}); !errors.Is(err, ErrInvalidBody) {
		t.Errorf("SimplifyTrip Sign(array) = %v, want ErrInvalidBody", err)
	}
	// Raw-body schemes sign anything.
	for _, newFn := range []func(string) (*HMAC, error){NewRoamify, NewESIMfly2026} {
		s, _ := newFn("k")
		for _, b := range bodies {
			h, err := s.Sign(Message{Body: []byte(b)})
			if err != nil {
				t.Errorf("%v Sign(%q) = %v", s, b, err)
				continue
			}
			if err := s.Verify(h, []byte(b)); err != nil {
				t.Errorf("%v Verify(%q) = %v", s, b, err)
			}
		}
	}
}

func TestZeroHMACFailsCleanly(t *testing.T) {
	var zero HMAC
	if _, err := zero.Sign(Message{Body: []byte(`{}`)}); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("zero HMAC Sign = %v, want ErrInvalidSecret", err)
	}
	if err := zero.Verify(http.Header{}, nil); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("zero HMAC Verify = %v, want ErrInvalidSecret", err)
	}
	var nilH *HMAC
	if err := nilH.Verify(http.Header{}, nil); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("nil HMAC Verify = %v, want ErrInvalidSecret", err)
	}
	if nilH.String() != "signing.HMAC(nil)" {
		t.Errorf("nil String = %q", nilH.String())
	}
}

func TestConstructorsRejectEmptySecret(t *testing.T) {
	for name, fn := range map[string]func(string) (*HMAC, error){
		"airalo": NewAiralo, "esimfly": NewESIMfly, "esimfly2026": NewESIMfly2026,
		"roamify": NewRoamify, "simplifytrip": NewSimplifyTrip,
	} {
		if s, err := fn(""); !errors.Is(err, ErrInvalidSecret) || s != nil {
			t.Errorf("%s(\"\") = %v, %v; want nil, ErrInvalidSecret", name, s, err)
		}
	}
}

func TestProviderSpecs(t *testing.T) {
	tests := []struct {
		fn   func(string) (*HMAC, error)
		want Spec
	}{
		{NewAiralo, Spec{Scheme: "hmac-hex", Hash: "sha512", Header: "airalo-signature", Message: "php-json", SecretFormat: "token"}},
		{NewESIMfly, Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-eSIMfly-Signature", Message: "js-stringify", SecretFormat: "hex32"}},
		{NewESIMfly2026, Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Webhook-Signature", Prefix: "sha256=", Message: "raw", SecretFormat: "whsec"}},
		{NewRoamify, Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Roamify-Signature", Message: "raw", SecretFormat: "hex32"}},
		{NewSimplifyTrip, Spec{Scheme: "hmac-hex", Hash: "sha256", Header: "X-Simplify-Trip-Signature", Message: "flatten-sorted", SecretFormat: "ck_test"}},
	}
	body := []byte(simplifyTripFlat) // an object every form accepts
	for _, tc := range tests {
		s, err := tc.fn("k3y")
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Spec(); got != tc.want {
			t.Errorf("Spec() = %+v, want %+v", got, tc.want)
		}
		// The data form builds the same signer.
		fromSpec, err := New(tc.want, "k3y")
		if err != nil {
			t.Fatalf("New(%+v): %v", tc.want, err)
		}
		h1, err1 := s.Sign(Message{Body: body})
		h2, err2 := fromSpec.Sign(Message{Body: body})
		if err1 != nil || err2 != nil || !bytes.Equal([]byte(h1.Get(tc.want.Header)), []byte(h2.Get(tc.want.Header))) || h1.Get(tc.want.Header) == "" {
			t.Errorf("constructor and New(spec) sign differently: %v %v / %v %v", h1, err1, h2, err2)
		}
	}
}
