package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

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
		be, ok := err.(*BoundError)
		if !ok || be.Rule != tc.rule {
			t.Errorf("%.40s: error %v (%T), want rule %s", tc.in, err, err, tc.rule)
			continue
		}
		if len(be.Message) > 300 {
			t.Errorf("%.40s: message of %d bytes quotes the value", tc.in, len(be.Message))
		}
	}
}

// TestScaledSaturates: a scaled delay never overflows into a negative one.
func TestScaledSaturates(t *testing.T) {
	e := &Engine{scale: 1e9}
	if d := e.scaled(MaxChaosDuration); d <= 0 || d > maxScaled {
		t.Errorf("scaled(24h) at 1e9 = %v", d)
	}
}
