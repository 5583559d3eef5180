package faulty_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
)

func TestDedupOnSignature(t *testing.T) {
	v := receivertest.Variant(t, "standard", "")
	c := serve(t, "dedup-on-signature", v)
	d := c.Delivery(first(v), 1, start)
	h := c.Headers(d, c.Signer)
	wantStatus(t, "first", c.Do(http.MethodPost, h, d.Body), http.StatusOK)
	wantStatus(t, "same signature", c.Do(http.MethodPost, h, d.Body), http.StatusOK)
	wantApplied(t, c, d, 1)
	c.Now = func() time.Time { return time.Now().Add(-2 * time.Second) }
	wantStatus(t, "later attempt", c.Send(d), http.StatusOK)
	wantApplied(t, c, d, 2)
}

func TestWrongLength500(t *testing.T) {
	for _, pv := range [][2]string{{"airalo", ""}, {"esimfly", "2026-04"}, {"standard", ""}} {
		v := receivertest.Variant(t, pv[0], pv[1])
		c := serve(t, "wrong-length-500", v)
		d := c.Delivery(first(v), 1, start)
		h := c.Headers(d, c.Signer)
		name := "webhook-signature"
		if v.Signature.Header != "" {
			name = v.Signature.Header
		}
		sig := h.Get(name)
		h.Set(name, sig[:len(sig)-8])
		wantStatus(t, v.ID()+" short signature", c.Do(http.MethodPost, h, d.Body), http.StatusInternalServerError)
		wantStatus(t, v.ID()+" valid", c.Send(d), http.StatusOK)
	}
}

func TestEarly413(t *testing.T) {
	v := receivertest.Variant(t, "roamify", "")
	c := serve(t, "early-413", v)
	d := *c.Delivery(first(v), 1, start)
	d.Body = append(d.Body, bytes.Repeat([]byte(" "), 5<<20)...)
	// Go's client may or may not see the 413 before its write fails;
	// either way the connection is closed without the body read.
	st, err := c.Post(http.MethodPost, c.Headers(&d, c.Signer), d.Body)
	if err == nil && st != http.StatusRequestEntityTooLarge {
		t.Errorf("5 MiB: status %d, want 413 (or a failed write)", st)
	}
	wantStatus(t, "small", c.Send(c.Delivery(first(v), 2, start)), http.StatusOK)
}

func TestWrongSecret(t *testing.T) {
	for _, v := range receivertest.Variants(t) {
		if !v.Signed() {
			continue
		}
		c := serve(t, "wrong-secret", v)
		d := c.Delivery(first(v), 1, start)
		wantStatus(t, v.ID()+" correctly signed", c.Send(d), http.StatusUnauthorized)
		wantApplied(t, c, d, 0)
	}
}

func TestBrokenProbe(t *testing.T) {
	v := receivertest.Variant(t, "roamify", "")
	c := serve(t, "broken-probe", v)
	d := c.Delivery(first(v), 1, start)
	wantStatus(t, "delivery", c.Send(d), http.StatusOK)
	wantApplied(t, c, d, 0) // the probe answers 404
	f, _ := faulty.ByName("broken-probe")
	r, err := f.New(v, receivertest.Secret(t, v))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	r.ProbeHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/events/"+d.Key(), nil))
	wantStatus(t, "probe alone", rec.Code, http.StatusNotFound)
}
