package receiver

import (
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

func TestStateOrdering(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eff := func(st string) []providers.Effect { return []providers.Effect{{ID: "r", Status: st}} }
	for _, tc := range []struct {
		name         string
		arrivalOrder bool
		updates      []update
		want         string
	}{
		{"newer then older keeps newer", false, []update{
			{key: "a", effects: eff("new"), at: t0.Add(time.Hour), timed: true},
			{key: "b", effects: eff("old"), at: t0, timed: true}}, "new"},
		{"older then newer takes newer", false, []update{
			{key: "a", effects: eff("old"), at: t0, timed: true},
			{key: "b", effects: eff("new"), at: t0.Add(time.Hour), timed: true}}, "new"},
		{"same time: arrival order", false, []update{
			{key: "a", effects: eff("first"), at: t0, timed: true},
			{key: "b", effects: eff("second"), at: t0, timed: true}}, "second"},
		{"no times (Airalo): arrival order", false, []update{
			{key: "a", effects: eff("first")},
			{key: "b", effects: eff("second")}}, "second"},
		{"fault: last arrival wins", true, []update{
			{key: "a", effects: eff("new"), at: t0.Add(time.Hour), timed: true},
			{key: "b", effects: eff("old"), at: t0, timed: true}}, "old"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newState(tc.arrivalOrder)
			for _, u := range tc.updates {
				if !s.claim(u) {
					t.Fatalf("claim %s: refused", u.key)
				}
			}
			if got, _ := s.status("r"); got != tc.want {
				t.Errorf("status %q, want %q", got, tc.want)
			}
			if s.claim(tc.updates[0]) {
				t.Error("a second claim of the same key succeeded")
			}
		})
	}
}
