package receiver_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// signed reports whether v documents a signature.
func signed(v *providers.Variant) bool { return v.Signature.Scheme != "none" }

// rawSignable reports whether v's signature covers bytes that need not be
// JSON (raw HMAC, Standard Webhooks or none), so a malformed body can be
// correctly signed.
func rawSignable(v *providers.Variant) bool {
	s := v.Signature
	return s.Scheme != "hmac-hex" || s.Message == "" || s.Message == "raw"
}

func TestBadSignatureRejectedAndNothingApplied(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		if !signed(v) {
			t.Skip("the provider signs nothing")
		}
		c := serve(t, v, nil)
		d := c.Delivery(v.Public()[0], 11, start)
		tamperedP, err := providers.Override{Path: "/tampered", Raw: "true"}.Apply(jsonv.Clone(d.Payload))
		if err != nil {
			t.Fatal(err)
		}
		tampered, err := v.Encode(tamperedP)
		if err != nil {
			t.Fatal(err)
		}
		other := receivertest.Signer(t, v, receivertest.Secret(t, v))
		for name, req := range map[string]struct {
			h    http.Header
			body []byte
		}{
			"missing signature": {c.Headers(d, nil), d.Body},
			"wrong secret":      {c.Headers(d, other), d.Body},
			"tampered body":     {c.Headers(d, c.Signer), tampered},
		} {
			if st := c.Do(http.MethodPost, req.h, req.body); st != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, st)
			}
		}
		wantApplied(t, c, d, 0)
		if n := c.Applied(sha256Hex(tampered)); n != 0 {
			t.Errorf("tampered body applied %d times", n)
		}
	})
}

func TestMalformedJSON(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		d := c.Delivery(v.Public()[0], 12, start)
		bad := *d
		bad.Body = []byte(`{"event": "order.created", "data": {`)
		if !rawSignable(v) {
			// The signature covers a re-serialisation of the JSON, which a
			// malformed body does not have: whatever it carries, 400.
			if st := c.Do(http.MethodPost, c.Headers(d, c.Signer), bad.Body); st != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", st)
			}
			return
		}
		if st := c.Do(http.MethodPost, c.Headers(&bad, c.Signer), bad.Body); st != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", st)
		}
	})
}

func TestUnknownEventTypeAcknowledged(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		ev := v.Public()[0]
		var d *providers.Delivery
		if n := len(v.Discriminator); n > 0 {
			d = c.Delivery(ev, 13, start, providers.Override{Path: v.Discriminator[n-1], Raw: "from.the.future"})
		} else {
			p, err := jsonv.Parse([]byte(`{"notification":"from the future","level":1}`))
			if err != nil {
				t.Fatal(err)
			}
			d = c.DeliveryOf(ev, p)
		}
		if st := c.Send(d); st != http.StatusOK {
			t.Fatalf("status %d, want 200", st)
		}
		if n := c.Applied(d.Key()); n != 0 {
			t.Errorf("unknown event applied %d times", n)
		}
	})
}

func TestExtraFieldsAccepted(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		for i, ev := range v.Public() {
			d := c.Delivery(ev, uint64(200+i), start,
				providers.Override{Path: "/added_later", Raw: `{"nested":[1,"two",null]}`, JSON: true})
			if st := c.Send(d); st != http.StatusOK {
				t.Fatalf("%s: status %d, want 200", ev.Name, st)
			}
			wantApplied(t, c, d, 1)
		}
	})
}

func TestMethods(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
			req, err := http.NewRequest(m, c.Hook, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if m == http.MethodHead && v.Registration.Check == "head" {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("HEAD: status %d, want 200 (registration check)", resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
				t.Errorf("%s: status %d, Allow %q; want 405 allowing POST", m, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	})
}

func TestBodyCap(t *testing.T) {
	v := receivertest.Variant(t, "roamify", "")
	for _, tc := range []struct {
		name    string
		maxBody int64
		size    int
	}{{"default cap, 5 MiB", 0, 5 << 20}, {"4 KiB cap, 64 KiB", 4 << 10, 64 << 10}} {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, v, func(cfg *receiver.Config) { cfg.MaxBody = tc.maxBody })
			big := bytes.Repeat([]byte(" "), tc.size)
			if st := c.Do(http.MethodPost, http.Header{"Content-Type": {"application/json"}}, big); st != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", st)
			}
			d := c.Delivery(v.Public()[0], 14, start)
			if st := c.Send(d); st != http.StatusOK {
				t.Fatalf("after a 413: status %d, want 200", st)
			}
		})
	}
}

func TestReplayWindow(t *testing.T) {
	t.Run("simplifytrip createdAt", func(t *testing.T) {
		v := receivertest.Variant(t, "simplifytrip", "")
		c := serve(t, v, nil)
		ev := v.Public()[0]
		stale := c.Delivery(ev, 15, now.Add(-25*time.Hour-ev.At.D()))
		if st := c.Send(stale); st < 400 || st > 499 {
			t.Errorf("createdAt 25 h ago: status %d, want 4xx", st)
		}
		wantApplied(t, c, stale, 0)
		fresh := c.Delivery(ev, 16, now.Add(-23*time.Hour-ev.At.D()))
		if st := c.Send(fresh); st != http.StatusOK {
			t.Errorf("createdAt 23 h ago: status %d, want 200", st)
		}
	})
	t.Run("standard webhook-timestamp", func(t *testing.T) {
		v := receivertest.Variant(t, "standard", "")
		c := serve(t, v, nil)
		d := c.Delivery(v.Public()[0], 17, start)
		c.Now = func() time.Time { return now.Add(-6 * time.Minute) }
		if st := c.Send(d); st != http.StatusUnauthorized {
			t.Errorf("signed 6 min ago: status %d, want 401", st)
		}
		wantApplied(t, c, d, 0)
	})
}

func TestCloseRefusesDeliveries(t *testing.T) {
	v := receivertest.Variant(t, "esimfly", "")
	secret := receivertest.Secret(t, v)
	r, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	c := receivertest.Serve(t, v, secret, r)
	r.Close()
	r.Close()
	if st := c.Send(c.Delivery(v.Public()[0], 18, time.Now())); st != http.StatusServiceUnavailable {
		t.Errorf("after Close: status %d, want 503", st)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := receiver.New(receiver.Config{}); err == nil {
		t.Error("New without a variant succeeded")
	}
	if _, err := receiver.New(receiver.Config{Variant: receivertest.Variant(t, "roamify", "")}); err == nil {
		t.Error("New without a secret for a signing provider succeeded")
	}
	if _, err := receiver.New(receiver.Config{Variant: receivertest.Variant(t, "esimaccess", "")}); err != nil {
		t.Errorf("New without a secret for eSIM Access: %v", err)
	}
}
