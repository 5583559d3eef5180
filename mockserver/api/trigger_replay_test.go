package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTriggerWarnsOfAStaleEventTime: a seeded SimplifyTrip life starts at
// the epoch, so its createdAt is past the 24-hour window and the answer
// says a correct receiver will reject it; a start inside the window, or a
// provider whose replay time is the signing time, gets no such warning.
func TestTriggerWarnsOfAStaleEventTime(t *testing.T) {
	s := newTestServer(t)
	warnings := func(req string) []string {
		t.Helper()
		code, _, data := call(t, "POST", s.URL+"/api/triggers", req)
		wantStatus(t, code, http.StatusAccepted, data)
		var res triggerResultView
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatal(err)
		}
		return res.Warnings
	}
	w := warnings(`{"provider":"simplifytrip","event":"PURCHASE_ORDER_SUCCESS","seed":4}`)
	if len(w) != 1 || !strings.Contains(w[0], "/createdAt (the event's own time)") || !strings.Contains(w[0], `give the trigger a "start" inside the window`) {
		t.Errorf("warnings %q", w)
	}
	fresh := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, req := range []string{
		`{"provider":"simplifytrip","event":"PURCHASE_ORDER_SUCCESS","seed":4,"start":"` + fresh + `"}`,
		`{"provider":"simplifytrip","event":"PURCHASE_ORDER_SUCCESS"}`,
		`{"provider":"standard","event":"order.created","seed":4}`,
	} {
		if w := warnings(req); len(w) != 0 {
			t.Errorf("%s: warnings %q", req, w)
		}
	}
}
