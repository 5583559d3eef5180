package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// wantBoundProblem checks a problem+json answer of status that names the
// bound, its value and the serve flag.
func wantBoundProblem(t *testing.T, code int, hdr http.Header, data []byte, status int, bound, value string) {
	t.Helper()
	wantStatus(t, code, status, data)
	if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := decode(t, data)
	detail, _ := p["detail"].(string)
	if !strings.Contains(detail, "the bound is "+value+" (serve --"+bound+")") {
		t.Fatalf("detail %q does not name the bound %s = %s", detail, bound, value)
	}
}

// TestEndpointBound: beyond MaxEndpoints a registration is refused with
// 409 naming the bound, through the control API (a provider's
// registration API: TestEsimaccessSaveBeyondEndpointBound), and nothing is
// stored; deleting one makes room.
func TestEndpointBound(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.MaxEndpoints = 2 })
	create := func() (int, http.Header, []byte) {
		return call(t, "POST", s.URL+"/api/endpoints", map[string]any{"url": "http://127.0.0.1:9/hook", "provider": "standard"})
	}
	var first string
	for i := range 2 {
		code, _, data := create()
		wantStatus(t, code, http.StatusCreated, data)
		if i == 0 {
			first = decode(t, data)["id"].(string)
		}
	}
	code, hdr, data := create()
	wantBoundProblem(t, code, hdr, data, http.StatusConflict, "max-endpoints", "2")
	if eps, _ := s.store.ListEndpoints(context.Background()); len(eps) != 2 {
		t.Fatalf("%d endpoints stored, want 2", len(eps))
	}
	code, _, data = call(t, "DELETE", s.URL+"/api/endpoints/"+first, nil)
	wantStatus(t, code, http.StatusNoContent, data)
	code, _, data = create()
	wantStatus(t, code, http.StatusCreated, data)
}

// TestTriggerBound: a trigger whose endpoints × (1 + duplicates) would go
// beyond MaxTriggerDeliveries is refused with 400 naming the bound and
// makes no delivery; one at the bound goes.
func TestTriggerBound(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.MaxTriggerDeliveries = 10 })
	for range 2 {
		code, _, data := call(t, "POST", s.URL+"/api/endpoints", map[string]any{
			"url": "http://127.0.0.1:9/hook", "provider": "standard", "chaos": map[string]any{"duplicates": 4}})
		wantStatus(t, code, http.StatusCreated, data)
	}
	trigger := map[string]any{"provider": "standard", "event": "order.created"}
	code, _, data := call(t, "POST", s.URL+"/api/triggers", trigger)
	wantStatus(t, code, http.StatusAccepted, data)
	if n := len(decode(t, data)["deliveries"].([]any)); n != 10 {
		t.Fatalf("%d deliveries, want 2 × 5", n)
	}
	trigger["chaos"] = map[string]any{"duplicates": 5}
	code, hdr, data := call(t, "POST", s.URL+"/api/triggers", trigger)
	wantBoundProblem(t, code, hdr, data, http.StatusBadRequest, "max-trigger-deliveries", "10")
	if !strings.Contains(string(data), "would make 12 deliveries") {
		t.Fatalf("the problem does not say how many: %s", data)
	}
	if ds, _ := s.store.ListDeliveries(context.Background(), engine.DeliveryFilter{Limit: 100}); len(ds) != 10 {
		t.Fatalf("%d deliveries stored, want the first trigger's 10 only", len(ds))
	}
}
