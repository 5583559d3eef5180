package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
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
	if dur.Max == nil || *dur.Max != float64(maxChaosMillis) {
		t.Errorf("Duration maximum %v, want %d (MaxChaosDuration in ms)", dur.Max, maxChaosMillis)
	}
	if dur.MaxLength == nil || dur.Pattern == "" {
		t.Error("Duration's string form has no maxLength or pattern")
	}
	xmax, _ := dur.Extensions["x-maximum"].(string)
	if d, err := time.ParseDuration(xmax); err != nil || d != MaxChaosDuration {
		t.Errorf("Duration x-maximum %q, want %s", xmax, MaxChaosDuration)
	}
	chaos := schemas["Chaos"].Value
	ahead, _ := chaos.Extensions["x-max-due-ahead"].(string)
	if d, err := time.ParseDuration(ahead); err != nil || d != MaxDueAhead {
		t.Errorf("Chaos x-max-due-ahead %q, want %s", ahead, MaxDueAhead)
	}
	for name, want := range map[string]int{"duplicates": MaxDuplicates, "cut_after_body": MaxCutAfterBody} {
		p := chaos.Properties[name].Value
		if p.Max == nil || *p.Max != float64(want) {
			t.Errorf("Chaos.%s maximum %v, want %d", name, p.Max, want)
		}
	}
}

// TestDurationParsing covers both forms at and beyond their bounds, and
// that no error quotes a huge value.
func TestDurationParsing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		rule string // "" for success
	}{
		{`"250ms"`, 250 * time.Millisecond, ""},
		{`"24h"`, 24 * time.Hour, ""},
		{`86400000`, 24 * time.Hour, ""},
		{`1.5`, 1500 * time.Microsecond, ""},
		{`"24h0m0.000000001s"`, 0, "maximum"},
		{`86400000.001`, 0, "maximum"},
		{`1e300`, 0, "maximum"},
		{`9.3e12`, 0, "maximum"},
		{`"2562047h"`, 0, "maximum"},
		{`"3000h"`, 0, "maximum"},
		{`"99999999999999999999h"`, 0, "maximum"},
		{`-1`, 0, "minimum"},
		{`"-5s"`, 0, "minimum"},
		{`"5 parsecs"`, 0, "pattern"},
		{`true`, 0, "type"},
		{`"` + strings.Repeat("9", 10000) + `h"`, 0, "maximum"},
	} {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if tc.rule == "" {
			if err != nil || d.D() != tc.want {
				t.Errorf("%.40s: got %v, %v; want %v", tc.in, d.D(), err, tc.want)
			}
			continue
		}
		be, ok := err.(*boundError)
		if !ok || be.Rule != tc.rule {
			t.Errorf("%.40s: error %v (%T), want rule %s", tc.in, err, err, tc.rule)
			continue
		}
		if len(be.Message) > 300 {
			t.Errorf("%.40s: message of %d bytes quotes the value", tc.in, len(be.Message))
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
	s := newTestServer(t, func(c *Config) { c.TimeScale = 1000 })
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

// TestScaledSaturates: a scaled delay never overflows into a negative one.
func TestScaledSaturates(t *testing.T) {
	e := &Engine{scale: 1e9}
	if d := e.scaled(MaxChaosDuration); d <= 0 || d > maxScaled {
		t.Errorf("scaled(24h) at 1e9 = %v", d)
	}
}
