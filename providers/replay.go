package providers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// ReplayTime returns the time a receiver keeping the variant's replay
// window checks, from the request's headers h or its payload p: the signed
// webhook-timestamp of Standard Webhooks, SimplifyTrip's createdAt. It is
// false when the variant has no window or the time is absent or
// unreadable.
func (v *Variant) ReplayTime(h http.Header, p jsonv.Value) (time.Time, bool) {
	rule := v.Replay
	if rule == nil || rule.Window <= 0 {
		return time.Time{}, false
	}
	var raw jsonv.Value
	if name, ok := strings.CutPrefix(rule.Time, "header:"); ok {
		s := h.Get(name)
		if s == "" {
			return time.Time{}, false
		}
		raw = s
		if n, err := jsonv.Parse([]byte(s)); err == nil {
			raw = n // unix seconds are a number
		}
	} else {
		path, err := jsonv.ParsePath(rule.Time)
		if err != nil {
			return time.Time{}, false
		}
		if raw, ok = jsonv.Get(p, path); !ok {
			return time.Time{}, false
		}
	}
	t, err := payload.ParseTime(raw)
	return t, err == nil
}

// ReplayWarning says why a correct receiver, whose clock reads now, will
// reject the request (headers h, payload p) as a replay: its replay time
// is older than the variant's window, or (for a signed timestamp, which
// Standard Webhooks checks in both directions) as far in the future. It is
// "" when the request is fresh or the variant has no window.
func (v *Variant) ReplayWarning(h http.Header, p jsonv.Value, now time.Time) string {
	t, ok := v.ReplayTime(h, p)
	if !ok {
		return ""
	}
	window, win := v.Replay.Window.D(), v.Replay.Window.String()
	age := now.Sub(t)
	where := v.Replay.Time
	if strings.HasPrefix(where, "header:") {
		where = strings.TrimPrefix(where, "header:") + " (the signing time)"
	} else {
		where += " (the event's own time)"
	}
	switch {
	case age > window:
		return fmt.Sprintf("%s receivers accept an event only within %s of its replay time, %s, and this one's is %s, %s old: a correct receiver rejects it as a replay",
			v.ID(), win, where, t.UTC().Format(time.RFC3339), roughly(age))
	case age < -window && strings.HasPrefix(v.Replay.Time, "header:"):
		return fmt.Sprintf("%s receivers accept a %s only within %s of their clock, and this one's is %s, %s ahead: a correct receiver rejects it",
			v.ID(), where, win, t.UTC().Format(time.RFC3339), roughly(-age))
	}
	return ""
}

// roughly prints a long duration in days, a shorter one to the second.
func roughly(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.Round(time.Second).String()
}
