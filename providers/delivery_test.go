package providers_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// delivery generates a signed delivery of provider@variant's event.
func delivery(t *testing.T, id, event string, seed uint64) (*providers.Delivery, http.Header, string) {
	t.Helper()
	v, ev, p := generate(t, id, event, seed, payload.Epoch)
	d, err := v.NewDelivery(ev, p, v.NewDeliveryID(rand.New(rand.NewPCG(seed, 1))))
	if err != nil {
		t.Fatal(err)
	}
	secret := "test-secret-" + strconv.FormatUint(seed, 10)
	if v.Signature.SecretFormat == "whsec" {
		secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	}
	var signer signing.Signer
	if v.Signature.Scheme != "none" {
		if signer, err = v.Signer(secret); err != nil {
			t.Fatal(err)
		}
	}
	h, err := d.Request(signer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return d, h, secret
}

func hexHMAC(newHash func() hash.Hash, key string, msg []byte) string {
	m := hmac.New(newHash, []byte(key))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// independent verifies a delivery the way each provider's documentation
// does, with crypto/hmac only: written apart from package signing.
func independent(id string, h http.Header, body []byte, secret string) bool {
	switch id {
	case "airalo@default": // SDK: hash_hmac('sha512', json_encode(json_decode($body)), $secret); raw also works
		return h.Get("airalo-signature") == hexHMAC(sha512.New, secret, body)
	case "esimfly@2025-01": // PHP sample: hash_hmac('sha256', $payload, $secret) over the raw body
		return h.Get("X-eSIMfly-Signature") == hexHMAC(sha256.New, secret, body)
	case "esimfly@2026-04", "esimfly@2026-09": // samples: createHmac('sha256', 'whsec_…') over the raw body, key used as is
		return h.Get("X-Webhook-Signature") == "sha256="+hexHMAC(sha256.New, secret, body)
	case "roamify@overview", "roamify@per-type":
		return h.Get("X-Roamify-Signature") == hexHMAC(sha256.New, secret, body)
	case "simplifytrip@default":
		return h.Get("X-Simplify-Trip-Signature") == hexHMAC(sha256.New, secret, flattenIndependently(body))
	case "standard@v1":
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		m := hmac.New(sha256.New, key)
		m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		for _, s := range strings.Fields(h.Get("webhook-signature")) {
			if s == want {
				return true
			}
		}
		return false
	case "esimaccess@open-api", "esimaccess@api-reference":
		return true // no signature is documented
	}
	panic("no independent verifier for " + id)
}

// flattenIndependently is SimplifyTrip's documented canonical string,
// written again from the documented rules with encoding/json.
func flattenIndependently(body []byte) []byte {
	v, err := jsonv.Parse(body)
	if err != nil {
		return nil
	}
	var pairs []string
	var walk func(prefix string, v any)
	walk = func(prefix string, x any) {
		join := func(k string) string {
			if prefix == "" {
				return k
			}
			return prefix + "_" + k
		}
		switch t := x.(type) {
		case *jsonv.Object:
			for _, k := range t.Keys() {
				c, _ := t.Get(k)
				walk(join(k), c)
			}
		case []jsonv.Value:
			for i, c := range t {
				walk(join(strconv.Itoa(i)), c)
			}
		case nil:
			pairs = append(pairs, prefix+"=")
		case string:
			pairs = append(pairs, prefix+"="+t)
		case bool:
			pairs = append(pairs, prefix+"="+strconv.FormatBool(t))
		case jsonv.Number:
			f, _ := strconv.ParseFloat(string(t), 64)
			pairs = append(pairs, prefix+"="+strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	walk("", v)
	sortStrings(pairs)
	return []byte(strings.Join(pairs, "&"))
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestDeliveriesVerifyIndependently checks every event of every provider
// against a verifier written apart from the signer, and that a tampered body
// and a wrong secret fail it.
func TestDeliveriesVerifyIndependently(t *testing.T) {
	cat := providers.MustBuiltin()
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			for _, ev := range v.Events {
				t.Run(v.ID()+"/"+ev.Name, func(t *testing.T) {
					for seed := uint64(1); seed <= 20; seed++ {
						d, h, secret := delivery(t, v.ID(), ev.Name, seed)
						if !independent(v.ID(), h, d.Body, secret) {
							t.Fatalf("seed %d: independent verification failed\nheaders %v\nbody %s", seed, h, d.Body)
						}
						if v.Signature.Scheme == "none" {
							continue
						}
						tampered := bytes.Replace(d.Body, []byte(`"`), []byte(`'`), 1)
						tampered = append(tampered[:len(tampered)-1], ' ', '}')
						if independent(v.ID(), h, tampered, secret) {
							t.Fatalf("seed %d: tampered body verified", seed)
						}
						wrong := secret + "x"
						if strings.HasPrefix(secret, "whsec_") {
							wrong = "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret, 32 bytes long!!!"))
						}
						if independent(v.ID(), h, d.Body, wrong) {
							t.Fatalf("seed %d: wrong secret verified", seed)
						}
						s, _ := v.Signer(secret)
						if err := s.Verify(h, d.Body); err != nil {
							t.Fatalf("seed %d: package signing rejects its own delivery: %v", seed, err)
						}
						if err := s.Verify(h, tampered); !errors.Is(err, signing.ErrSignatureMismatch) && !errors.Is(err, signing.ErrInvalidBody) {
							t.Fatalf("seed %d: tampered body: got %v, want ErrSignatureMismatch", seed, err)
						}
					}
				})
			}
		}
	}
}

// TestESIMflyBodiesVerifyWithTheSeedsExpressSample runs the seed's Express
// verification (JSON.stringify of the parsed body) in node over real
// deliveries; it skips when node is not installed.
func TestESIMflyBodiesVerifyWithTheSeedsExpressSample(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the JavaScript differential check of eSIMfly bodies is skipped")
	}
	script := `const crypto=require('crypto');let input='';process.stdin.on('data',c=>input+=c).on('end',()=>{
for (const line of input.trim().split('\n')) { const [secret, sig, b64] = line.split(' ');
 const payload = JSON.parse(Buffer.from(b64,'base64').toString('utf8'));
 const computed = crypto.createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex');
 const ok = crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(computed));
 console.log(ok ? 'ok' : 'FAIL'); }});`
	var in bytes.Buffer
	n := 0
	for _, ev := range []string{"order.created", "order.completed", "order.failed", "esim.activated", "esim.expired", "balance.low", "topup.completed", "topup.failed"} {
		for seed := uint64(0); seed < 25; seed++ {
			d, h, secret := delivery(t, "esimfly@2025-01", ev, seed)
			// Make the body hard: HTML characters, a slash, non-ASCII and a decimal.
			p, _ := providers.Override{Path: "data.note", Raw: `<b>Café & "Zürich"</b> 5/7 — 😀`}.Apply(d.Payload)
			p, _ = providers.Override{Path: "data.ratio", Raw: "5.50", JSON: true}.Apply(p)
			d, _ = d.Variant.NewDelivery(d.Event, p, d.ID)
			s, _ := d.Variant.Signer(secret)
			h, _ = d.Request(s, time.Now())
			in.WriteString(secret + " " + h.Get("X-eSIMfly-Signature") + " " + base64.StdEncoding.EncodeToString(d.Body) + "\n")
			n++
		}
	}
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), "ok\n"); got != n {
		t.Fatalf("node verified %d of %d deliveries:\n%s", got, n, out)
	}
}

var (
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	lpa    = regexp.MustCompile(`^LPA:1\$[a-z0-9.-]+\$[A-Z0-9-]+$`)
)

func TestDeliveryHeadersAndIDs(t *testing.T) {
	d, h, _ := delivery(t, "esimfly@2025-01", "order.completed", 7)
	if h.Get("X-eSIMfly-Event") != "order.completed" || h.Get("X-eSIMfly-Delivery-ID") != d.ID || !uuidV4.MatchString(d.ID) {
		t.Errorf("esimfly headers: %v (id %s)", h, d.ID)
	}
	if d.Key() != d.ID {
		t.Errorf("esimfly key = %q, want the delivery id %q", d.Key(), d.ID)
	}
	d, h, _ = delivery(t, "esimfly@2026-04", "esim.provisioned", 7)
	if _, err := time.Parse(time.RFC3339, h.Get("X-Webhook-Timestamp")); err != nil || h.Get("User-Agent") != "eSIMfly-Webhook/1.0" || !strings.HasPrefix(h.Get("X-Webhook-Signature"), "sha256=") {
		t.Errorf("esimfly@2026-04 headers: %v", h)
	}
	for _, id := range []string{"esimfly@2026-04", "esimfly@2026-09"} {
		// X-Webhook-Timestamp is the event's creation time, as the envelope
		// timestamp: the same on a retry an hour later.
		d, h, secret := delivery(t, id, "esim.provisioned", 9)
		s, _ := d.Variant.Signer(secret)
		later, err := d.Request(s, time.Now().Add(time.Hour))
		p, _ := jsonv.Parse(d.Body)
		ts, _ := jsonv.Get(p, []string{"timestamp"})
		if err != nil || h.Get("X-Webhook-Timestamp") != ts || later.Get("X-Webhook-Timestamp") != ts {
			t.Errorf("%s X-Webhook-Timestamp: first %q, retry %q, want the body's timestamp %v (%v)", id, h.Get("X-Webhook-Timestamp"), later.Get("X-Webhook-Timestamp"), ts, err)
		}
		if h.Get("X-Webhook-Id") != d.ID || later.Get("X-Webhook-Id") != d.ID || d.Key() != d.ID || h.Get("X-Webhook-Event") != "esim.provisioned" {
			t.Errorf("%s ids: %v / %v, key %s, want %s", id, h, later, d.Key(), d.ID)
		}
		// Stored deliveries carry only the body: the time is read from it.
		stored := &providers.Delivery{Variant: d.Variant, Event: d.Event, ID: d.ID, Body: d.Body, Canonical: true}
		if sh, err := stored.Request(s, time.Now()); err != nil || sh.Get("X-Webhook-Timestamp") != ts {
			t.Errorf("%s stored delivery X-Webhook-Timestamp %q (%v), want %v", id, sh.Get("X-Webhook-Timestamp"), err, ts)
		}
	}
	d, h, _ = delivery(t, "standard@v1", "order.created", 7)
	if h.Get("webhook-id") != d.ID || !regexp.MustCompile(`^msg_[0-9A-Za-z]{27}$`).MatchString(d.ID) || d.Key() != d.ID {
		t.Errorf("standard ids: %v key %s", h, d.Key())
	}
	d, _, _ = delivery(t, "roamify@overview", "esim/esim_status", 7)
	sum := sha256.Sum256(d.Body)
	if d.Key() != hex.EncodeToString(sum[:]) {
		t.Errorf("roamify key = %s, want sha256 of the body", d.Key())
	}
	d, _, _ = delivery(t, "airalo@default", "async_order", 7)
	p, _ := jsonv.Parse(d.Body)
	rid, _ := jsonv.Get(p, []string{"request_id"})
	if d.Key() != rid || len(rid.(string)) != 25 {
		t.Errorf("airalo async key = %q, want request_id %v (25 chars)", d.Key(), rid)
	}
	d, _, _ = delivery(t, "airalo@default", "low_data_90", 7)
	sum = sha256.Sum256(d.Body)
	if d.Key() != hex.EncodeToString(sum[:]) {
		t.Errorf("airalo low data key = %s, want sha256 of the body", d.Key())
	}
	d, _, _ = delivery(t, "esimfly@2025-01", "order.completed", 7)
	esims, _ := jsonv.Get(d.Payload, []string{"data", "esims", "0", "qr_code"})
	if !lpa.MatchString(esims.(string)) {
		t.Errorf("qr_code %v is not an LPA string", esims)
	}
}

// TestCanonicalBodiesSignAsIfReserialised checks the shortcut Request takes
// for a body in the variant's own encoding: the signature equals the one
// computed by re-serialising the body, for every provider.
func TestCanonicalBodiesSignAsIfReserialised(t *testing.T) {
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			if v.Signature.Scheme != "hmac-hex" {
				continue
			}
			for _, ev := range v.Events {
				d, _, secret := delivery(t, v.ID(), ev.Name, 5)
				if !d.Canonical {
					t.Fatalf("%s: NewDelivery did not mark its body canonical", v.ID())
				}
				s, _ := v.Signer(secret)
				at := time.Unix(1_800_000_000, 0)
				fast, err := d.Request(s, at)
				if err != nil {
					t.Fatal(err)
				}
				slow := *d
				slow.Canonical = false
				full, _ := slow.Request(s, at)
				h := v.Signature.Header
				if fast.Get(h) != full.Get(h) || s.Verify(fast, d.Body) != nil {
					t.Errorf("%s %s: shortcut signature %s, re-serialised %s", v.ID(), ev.Name, fast.Get(h), full.Get(h))
				}
			}
		}
	}
}
