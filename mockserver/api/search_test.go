package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestUnknownQueryParameters: a GET with a query parameter its operation
// does not declare is a 400 naming it and listing the declared ones, on
// list and detail endpoints alike, and declared ones pass.
func TestUnknownQueryParameters(t *testing.T) {
	store := engine.NewMemoryStore()
	s := newTestServer(t, func(c *Options) { c.Store = store })
	d := &engine.Delivery{ID: "d1", EventID: "e1", EndpointID: "ep1", Provider: "esimfly", Event: "order.created",
		State: engine.StateDelivered, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := store.PutDelivery(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, unknown string
		choices       []string
	}{
		{"/api/deliveries?cursor=d1", "cursor", []string{"before", "endpoint", "event", "event_id", "id", "limit", "provider", "q", "run_id", "since", "state", "status", "until", "variant"}},
		{"/api/deliveries?provider=esimfly&Provider=x&zzz=1", "Provider, zzz", nil},
		{"/api/deliveries/d1?verbose=1", "verbose", []string{}},
		{"/api/deliveries/d1/attempts?limit=5", "limit", []string{}},
		{"/api/providers?provider=airalo", "provider", []string{}},
		{"/api/endpoints?provider=airalo", "provider", []string{"stats"}},
	} {
		code, _, data := call(t, "GET", s.URL+c.path, nil)
		wantStatus(t, code, http.StatusBadRequest, data)
		var p Problem
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		var named []string
		for _, e := range p.Errors {
			if e.In == "query" && e.Rule == "unknown" {
				named = append(named, e.Parameter)
			}
		}
		if strings.Join(named, ", ") != c.unknown || !strings.Contains(p.Detail, c.unknown) {
			t.Errorf("GET %s: problem names %v (%q), want %s", c.path, named, p.Detail, c.unknown)
		}
		if c.choices != nil && !slices.Equal(p.Choices, c.choices) {
			t.Errorf("GET %s: choices %v, want %v", c.path, p.Choices, c.choices)
		}
	}
	for _, path := range []string{"/api/deliveries?provider=esimfly&limit=5", "/api/deliveries/d1", "/api/providers"} {
		code, _, data := call(t, "GET", s.URL+path, nil)
		wantStatus(t, code, http.StatusOK, data)
	}
}

// TestSearchDeliveries drives every filter of GET /api/deliveries through
// the API on a log put straight into the store.
func TestSearchDeliveries(t *testing.T) {
	store := engine.NewMemoryStore()
	s := newTestServer(t, func(c *Options) { c.Store = store })
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := t.Context()
	for i := range 30 {
		d := &engine.Delivery{ID: fmt.Sprintf("d%02d", i), EventID: fmt.Sprintf("evt%d", i/2), EndpointID: fmt.Sprintf("ep%d", i%3),
			Provider: []string{"airalo", "esimfly"}[i%2], Variant: []string{"", "v2"}[i/10%2], Event: "order.created",
			WireID: fmt.Sprintf("w%02d", i), State: engine.StatePending, CreatedAt: base.Add(time.Duration(i) * time.Minute),
			Body: fmt.Appendf(nil, `{"data":{"iccid":"8948%015d","order_id":"ORD-%d"}}`, i/4, i)}
		if i%5 == 0 {
			d.RunID = "run_a"
		}
		d.UpdatedAt = d.CreatedAt
		if err := store.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			a := &engine.Attempt{DeliveryID: d.ID, N: 1, StartedAt: d.CreatedAt.Add(time.Second), Status: 500 + i%3,
				Latency: 7 * time.Millisecond, Outcome: engine.StatePending}
			d.Attempts = 1
			if err := store.AddAttempt(ctx, a, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	list := func(query string) []engine.Delivery {
		t.Helper()
		code, _, data := call(t, "GET", s.URL+"/api/deliveries?"+query, nil)
		wantStatus(t, code, http.StatusOK, data)
		var pg struct{ Deliveries []engine.Delivery }
		if err := json.Unmarshal(data, &pg); err != nil {
			t.Fatal(err)
		}
		return pg.Deliveries
	}
	ids := func(ds []engine.Delivery) string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ query, want string }{
		{"provider=esimfly&variant=v2&limit=3", "d19 d17 d15"},
		{"status=502", "d26 d20 d14 d08 d02"},
		{"run_id=run_a&provider=airalo", "d20 d10 d00"},
		{"id=d07", "d07"},
		{"event_id=evt3", "d07 d06"},
		{"endpoint=ep1&since=" + url.QueryEscape(base.Add(20*time.Minute).Format(time.RFC3339)), "d28 d25 d22"},
		{"until=" + url.QueryEscape(base.Add(2*time.Minute).Format(time.RFC3339)), "d01 d00"},
		{"q=8948000000000000005", "d23 d22 d21 d20"},
		{"q=ORD-17", "d17"},
		{"q=w05", "d05"},
		{"q=d09", "d09"},
		{"q=evt9&state=pending", "d19 d18"},
		{"q=nothing", ""},
	} {
		if got := ids(list(c.query)); got != c.want {
			t.Errorf("GET /api/deliveries?%s = [%s], want [%s]", c.query, got, c.want)
		}
	}
	got := list("id=d04")
	if len(got) != 1 || got[0].LastAttempt == nil || got[0].LastAttempt.Status != 501 || got[0].LastAttempt.Latency != 7*time.Millisecond ||
		got[0].Attempts != 1 || !got[0].LastAttempt.At.Equal(base.Add(4*time.Minute+time.Second)) {
		t.Errorf("d04 listed as %+v, want its attempt's summary", got)
	}
	if got := list("id=d05"); len(got) != 1 || got[0].LastAttempt != nil {
		t.Errorf("d05, never attempted, listed as %+v", got)
	}
	for _, c := range []struct{ query, param string }{
		{"variant=v2", "variant"},
		{"since=yesterday", "since"},
		{"status=600", "status"},
		{"q=", "q"},
		{"since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until"},
	} {
		code, _, data := call(t, "GET", s.URL+"/api/deliveries?"+c.query, nil)
		wantStatus(t, code, http.StatusBadRequest, data)
		if !strings.Contains(string(data), `"parameter":"`+c.param+`"`) {
			t.Errorf("GET /api/deliveries?%s: %s; want a problem naming %s", c.query, data, c.param)
		}
	}
}
