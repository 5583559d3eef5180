package api

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/attack"
	"github.com/esimhooks/esimhooks/internal/jsonlimit"
)

// TestNestedBodiesAreRefusedCheaply: issue 11's attack (tens of KB of
// nested arrays, which cost the validator seconds and a gigabyte) gets a
// 400 naming the limit, on every operation with a body, for a bounded
// amount of memory.
func TestNestedBodiesAreRefusedCheaply(t *testing.T) {
	s := newTestServer(t)
	// 9,999 levels (20 KB) is issue 11's body: just within
	// encoding/json's own limit of 10,000, it reached the validator.
	nested := attack.NestedArrays(9999)
	wide := "[" + strings.Repeat("0,", jsonlimit.MaxValues) + "0]"
	for _, tc := range []struct{ method, path, body, rule string }{
		{"POST", "/api/endpoints", nested, "maxDepth"},
		{"POST", "/api/triggers", `{"provider":"esimfly","event":"order.completed","payload":` + nested + `}`, "maxDepth"},
		{"POST", "/api/validate", nested, "maxDepth"},
		{"POST", "/api/endpoints", attack.NestedArrays(25000), "maxDepth"}, // 50 KB
		{"POST", "/api/endpoints", wide, "maxValues"},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		code, _, data := call(t, tc.method, s.URL+tc.path, tc.body)
		runtime.ReadMemStats(&after)
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400: %.300s", tc.method, tc.path, code, data)
			continue
		}
		var p Problem
		if err := json.Unmarshal(data, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Rule != tc.rule ||
			!strings.Contains(p.Detail, "than") {
			t.Errorf("%s %s: problem %s, want rule %s naming the bound", tc.method, tc.path, data, tc.rule)
		}
		// The request's own bytes are read and copied a few times; the
		// attack used to cost over a gigabyte.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s %s: %d bytes allocated to refuse it", tc.method, tc.path, alloc)
		}
	}
}

// TestProblemsDoNotRepeatHugeValues: a value far over a field's maxLength
// or pattern is not echoed back in full.
func TestProblemsDoNotRepeatHugeValues(t *testing.T) {
	s := newTestServer(t)
	huge := strings.Repeat("A", 500_000)
	for _, body := range []string{
		`{"url":"` + huge + `","provider":"esimfly"}`,
		`{"url":"http://127.0.0.1:1","provider":"` + huge + `"}`,
		`{"url":"http://127.0.0.1:1","provider":"esimfly","chaos":{"delay":"` + huge + `"}}`,
		`{"url":"http://127.0.0.1:1","provider":"esimfly","chaos":{"delay":1` + strings.Repeat("0", 100_000) + `}}`,
	} {
		code, _, data := call(t, "POST", s.URL+"/api/endpoints", body)
		if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
			t.Errorf("status %d for a huge value: %.300s", code, data)
		}
		if len(data) > 16<<10 {
			t.Errorf("problem of %d bytes repeats the value: %.300s", len(data), data)
		}
	}
}
