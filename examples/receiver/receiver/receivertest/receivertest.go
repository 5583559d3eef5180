// Package receivertest sends signed deliveries of one provider variant to a
// webhook receiver under test, over loopback, and reads the receiver's
// probe. It serves the tests of package receiver and conformance/faulty.
package receivertest

import (
	crand "crypto/rand"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// Variant returns a shipped variant ("" is the default), failing t if it
// does not exist.
func Variant(t testing.TB, provider, variant string) *providers.Variant {
	t.Helper()
	v, err := providers.MustBuiltin().Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Variants returns every shipped variant of every provider.
func Variants(t testing.TB) []*providers.Variant {
	t.Helper()
	var out []*providers.Variant
	for _, p := range providers.MustBuiltin().Profiles() {
		out = append(out, p.Variants...)
	}
	return out
}

// Secret returns a fresh secret in v's format.
func Secret(t testing.TB, v *providers.Variant) string {
	t.Helper()
	s, err := v.NewSecret(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Signer returns v's signer for secret.
func Signer(t testing.TB, v *providers.Variant, secret string) signing.Signer {
	t.Helper()
	s, err := v.Signer(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Client posts deliveries to a receiver served on loopback and reads its
// probe. Its methods fail the test on transport errors, and are safe for
// concurrent use except Fatal-ing from goroutines other than the test's:
// use Post there and check its error.
type Client struct {
	t       testing.TB
	Variant *providers.Variant
	// Signer signs deliveries; nil sends them unsigned.
	Signer signing.Signer
	// Hook is the webhook's URL.
	Hook string
	// Probe is the probe's base URL (…/events/{key} and …/resources/{id}
	// are under it).
	Probe string
	// Now is the time each attempt is signed at.
	Now func() time.Time

	mu  sync.Mutex
	rng *rand.Rand
}

// NewClient returns a Client for the webhook at hook and the probe at
// probe, signing with secret.
func NewClient(t testing.TB, v *providers.Variant, secret, hook, probe string) *Client {
	t.Helper()
	return &Client{t: t, Variant: v, Signer: Signer(t, v, secret), Hook: hook, Probe: probe, Now: time.Now,
		rng: rand.New(rand.NewPCG(1, 2))}
}

// Serve serves h on a loopback httptest server for the test's life and
// returns a Client for it, signing with secret: the webhook at "/", the
// probe under "/probe".
func Serve(t testing.TB, v *providers.Variant, secret string, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return NewClient(t, v, secret, srv.URL+"/", srv.URL+"/probe")
}

// Delivery generates ev's payload for the order life (seed, start), applies
// overrides, and returns it as a delivery with a fresh id.
func (c *Client) Delivery(ev *providers.Event, seed uint64, start time.Time, overrides ...providers.Override) *providers.Delivery {
	c.t.Helper()
	p, err := ev.Generate(payload.NewWorld(seed, start))
	if err != nil {
		c.t.Fatal(err)
	}
	if p, err = providers.ApplyAll(p, overrides); err != nil {
		c.t.Fatal(err)
	}
	return c.DeliveryOf(ev, p)
}

// DeliveryOf returns payload p of ev as a delivery with a fresh id.
func (c *Client) DeliveryOf(ev *providers.Event, p jsonv.Value) *providers.Delivery {
	c.t.Helper()
	c.mu.Lock()
	id := c.Variant.NewDeliveryID(c.rng)
	c.mu.Unlock()
	d, err := c.Variant.NewDelivery(ev, p, id)
	if err != nil {
		c.t.Fatal(err)
	}
	return d
}

// Headers returns the headers of an attempt of d signed by signer (nil:
// unsigned) at c.Now().
func (c *Client) Headers(d *providers.Delivery, signer signing.Signer) http.Header {
	c.t.Helper()
	h, err := d.Request(signer, c.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

// Send posts a fresh, signed attempt of d and returns the status.
func (c *Client) Send(d *providers.Delivery) int {
	c.t.Helper()
	return c.Do(http.MethodPost, c.Headers(d, c.Signer), d.Body)
}

// Do sends one request to the webhook and returns the status.
func (c *Client) Do(method string, h http.Header, body []byte) int {
	c.t.Helper()
	st, err := c.Post(method, h, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// Post sends one request to the webhook and returns the status or the
// transport error; unlike Do it may be called from any goroutine.
func (c *Client) Post(method string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequest(method, c.Hook, strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Applied returns how many times the probe says key was applied (0 when it
// answers 404).
func (c *Client) Applied(key string) int {
	c.t.Helper()
	var out struct {
		Applied int `json:"applied"`
	}
	if !c.probe("/events/"+url.PathEscape(key), &out) {
		return 0
	}
	return out.Applied
}

// Status returns a resource's status per the probe, and false on 404.
func (c *Client) Status(id string) (string, bool) {
	c.t.Helper()
	var out struct {
		Status string `json:"status"`
	}
	ok := c.probe("/resources/"+url.PathEscape(id), &out)
	return out.Status, ok
}

func (c *Client) probe(path string, out any) bool {
	c.t.Helper()
	resp, err := http.Get(c.Probe + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound:
		return false
	case http.StatusOK:
	default:
		c.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return true
}
