package providers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// TestReplayWarningFollowsEachVariantsWindow: the time is where the
// variant's replay rule says (a signed header, a body field), the window
// its own, and a variant without one never warns.
func TestReplayWarningFollowsEachVariantsWindow(t *testing.T) {
	cat := providers.MustBuiltin()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	stdHeader := func(at time.Time) http.Header {
		return http.Header{"Webhook-Timestamp": {strconv.FormatInt(at.Unix(), 10)}}
	}
	body := func(createdAt time.Time) jsonv.Value {
		p, _ := jsonv.Parse([]byte(`{"id":"x","createdAt":"` + createdAt.Format("2006-01-02T15:04:05.000Z") + `"}`))
		return p
	}
	for _, tc := range []struct {
		provider string
		h        http.Header
		p        jsonv.Value
		want     string // "" = no warning
	}{
		{"standard", stdHeader(now.Add(-4 * time.Minute)), nil, ""},
		{"standard", stdHeader(now.Add(-6 * time.Minute)), nil, "webhook-timestamp (the signing time), and this one's is 2026-12-03T11:54:00Z, 6m0s old"},
		{"standard", stdHeader(now.Add(6 * time.Minute)), nil, "6m0s ahead"},
		{"standard", nil, nil, ""},
		{"simplifytrip", nil, body(now.Add(-23 * time.Hour)), ""},
		{"simplifytrip", nil, body(now.Add(-25 * time.Hour)), "within 24h of its replay time, /createdAt (the event's own time), and this one's is 2026-12-02T11:00:00Z, 25h0m0s old"},
		{"simplifytrip", nil, body(time.Date(2026, 1, 15, 9, 30, 20, 0, time.UTC)), "322 days old"},
		{"simplifytrip", stdHeader(now.Add(-time.Hour)), body(now), ""},
		{"esimfly", stdHeader(now.Add(-time.Hour)), body(now.Add(-72 * time.Hour)), ""},
	} {
		v, err := cat.Variant(tc.provider, "")
		if err != nil {
			t.Fatal(err)
		}
		got := v.ReplayWarning(tc.h, tc.p, now)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s %v: warning %q, want %q", tc.provider, tc.h, got, tc.want)
		}
	}
}
