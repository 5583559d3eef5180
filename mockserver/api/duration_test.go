package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestChaosBoundsAgreeWithTheDocument: the maxima openapi/mockserver.yaml
// states for chaos are the Go constants the code enforces.
func TestChaosBoundsAgreeWithTheDocument(t *testing.T) {
	spec, err := loadAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	schemas := spec.doc.Components.Schemas
	dur := schemas["Duration"].Value
	if !dur.Type.Is("string") && !dur.Type.Includes("string") || !dur.Type.Includes("number") {
		t.Errorf("Duration type %v, want [string, number]", dur.Type)
	}
	if dur.Max == nil || *dur.Max != float64(engine.MaxChaosDuration/time.Millisecond) {
		t.Errorf("Duration maximum %v, want %d (MaxChaosDuration in ms)", dur.Max, engine.MaxChaosDuration/time.Millisecond)
	}
	if dur.MaxLength == nil || dur.Pattern == "" {
		t.Error("Duration's string form has no maxLength or pattern")
	}
	xmax, _ := dur.Extensions["x-maximum"].(string)
	if d, err := time.ParseDuration(xmax); err != nil || d != engine.MaxChaosDuration {
		t.Errorf("Duration x-maximum %q, want %s", xmax, engine.MaxChaosDuration)
	}
	chaos := schemas["Chaos"].Value
	ahead, _ := chaos.Extensions["x-max-due-ahead"].(string)
	if d, err := time.ParseDuration(ahead); err != nil || d != engine.MaxDueAhead {
		t.Errorf("Chaos x-max-due-ahead %q, want %s", ahead, engine.MaxDueAhead)
	}
	for name, want := range map[string]int{"duplicates": engine.MaxDuplicates, "cut_after_body": engine.MaxCutAfterBody} {
		p := chaos.Properties[name].Value
		if p.Max == nil || *p.Max != float64(want) {
			t.Errorf("Chaos.%s maximum %v, want %d", name, p.Max, want)
		}
	}
}

// TestOversizedChaosIsRefused: the bodies that poisoned the log (issue 11)
// get a 400 naming the field and the bound, on every operation that takes
// chaos, and nothing is stored.
func TestOversizedChaosIsRefused(t *testing.T) {
	s := newTestServer(t)
	rc := newHookReceiver(t)
	id, _ := createEndpoint(t, s, map[string]any{"url": rc.URL, "provider": "esimfly"})
	trig := func(ch string) string {
		return `{"provider":"esimfly","event":"order.completed","endpoint_ids":["` + id + `"],"chaos":` + ch + `}`
	}
	ep := func(ch string) string { return `{"url":"` + rc.URL + `","provider":"esimfly","chaos":` + ch + `}` }
	for _, tc := range []struct {
		method, path, body, pointer, rule string
	}{
		{"POST", "/api/endpoints", ep(`{"delay":1e300}`), "/chaos/delay", "maximum"},
		{"POST", "/api/triggers", trig(`{"delay":1e300}`), "/chaos/delay", "maximum"},
		{"POST", "/api/triggers", trig(`{"jitter":"2562047h"}`), "/chaos/jitter", "maximum"},
		{"POST", "/api/endpoints", ep(`{"reorder_window":"3000h"}`), "/chaos/reorder_window", "maximum"},
		{"PATCH", "/api/endpoints/" + id, `{"chaos":{"duplicate_spacing":"25h"}}`, "/chaos/duplicate_spacing", "maximum"},
		{"POST", "/api/triggers", trig(`{"duplicates":101}`), "/chaos/duplicates", "maximum"},
	} {
		code, _, data := call(t, tc.method, s.URL+tc.path, tc.body)
		if code != http.StatusBadRequest {
			t.Errorf("%s %s %s: status %d, want 400: %s", tc.method, tc.path, tc.body, code, data)
			continue
		}
		var p Problem
		if err := json.Unmarshal(data, &p); err != nil || len(p.Errors) == 0 {
			t.Errorf("%s: not a problem with errors: %s", tc.body, data)
			continue
		}
		if e := p.Errors[0]; e.Pointer != tc.pointer || e.Rule != tc.rule {
			t.Errorf("%s: error %+v, want %s at %s", tc.body, e, tc.rule, tc.pointer)
		}
		// The bound, as the code states it (24h, 100) or as the validator
		// prints the document's maximum (8.64e+07 ms, 8.64×10⁰⁷).
		if !strings.Contains(p.Errors[0].Message, "24h") && !strings.Contains(p.Errors[0].Message, "100") &&
			!strings.Contains(p.Errors[0].Message, "8.64") {
			t.Errorf("%s: the problem does not name the bound: %s", tc.body, data)
		}
	}
	// Nothing was stored: the endpoint list, the endpoint and a trigger
	// still work.
	code, _, data := call(t, "GET", s.URL+"/api/endpoints", nil)
	wantStatus(t, code, http.StatusOK, data)
	if n := strings.Count(string(data), `"id"`); n != 1 {
		t.Errorf("%d endpoints stored, want 1: %s", n, data)
	}
	code, _, data = call(t, "POST", s.URL+"/api/triggers", trig(`{"delay":"1ms"}`))
	wantStatus(t, code, http.StatusAccepted, data)
}

// TestChaosScheduleAtTimeScale: within each field's bound, a chaos whose
// scaled plan reaches past MaxDueAhead is refused, on the endpoint and on
// a trigger whose chaos merges with its endpoint's.
func TestChaosScheduleAtTimeScale(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.TimeScale = 1000 })
	rc := newHookReceiver(t)
	// 24h × 1000 = 1000 days > 365 days.
	code, _, data := call(t, "POST", s.URL+"/api/endpoints",
		`{"url":"`+rc.URL+`","provider":"esimfly","chaos":{"delay":"24h"}}`)
	wantStatus(t, code, http.StatusBadRequest, data)
	if !strings.Contains(string(data), `"/chaos/delay"`) || !strings.Contains(string(data), "365 days") {
		t.Errorf("problem does not name the field and bound: %s", data)
	}
	// 8h × 1000 = 333 days: accepted; a trigger adding 100 duplicates
	// spaced 1h (100 × 1h × 1000) is refused, naming the spacing.
	id, _ := createEndpoint(t, s, map[string]any{"url": rc.URL, "provider": "esimfly", "chaos": map[string]any{"delay": "8h"}})
	code, _, data = call(t, "POST", s.URL+"/api/triggers",
		`{"provider":"esimfly","event":"order.completed","endpoint_ids":["`+id+`"],"chaos":{"duplicates":100,"duplicate_spacing":"1h"}}`)
	wantStatus(t, code, http.StatusBadRequest, data)
	if !strings.Contains(string(data), `"/chaos/duplicate_spacing"`) {
		t.Errorf("problem does not name duplicate_spacing: %s", data)
	}
	code, _, data = call(t, "GET", s.URL+"/api/deliveries", nil)
	wantStatus(t, code, http.StatusOK, data)
	if strings.Contains(string(data), `"id"`) {
		t.Errorf("a refused trigger stored deliveries: %s", data)
	}
}
