package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Bounds of Chaos. openapi/mockserver.yaml states the same figures (the
// Duration schema's maximum in milliseconds and its x-maximum, the
// maximum of duplicates and cut_after_body); a test checks that they
// agree. Beyond them a request is refused with a 400 naming the field.
const (
	// MaxChaosDuration bounds each duration of Chaos (duplicate_spacing,
	// reorder_window, delay, jitter), before the time scale.
	MaxChaosDuration = 24 * time.Hour
	// MaxDuplicates bounds Chaos.Duplicates.
	MaxDuplicates = 100
	// MaxCutAfterBody bounds Chaos.CutAfterBody.
	MaxCutAfterBody = 100
	// MaxDueAhead bounds how far ahead of now, after the time scale, a
	// delivery's first attempt may be planned: the chaos delay, jitter,
	// reorder window and the spacing of the last duplicate together. It
	// keeps every due time far inside what time.Duration and the SQLite
	// log (Unix nanoseconds, up to 2262) can hold, whatever the scale.
	MaxDueAhead = 365 * 24 * time.Hour
)

// maxChaosMillis is MaxChaosDuration as the number form of a Duration.
const maxChaosMillis = int64(MaxChaosDuration / time.Millisecond)

// Duration is a time.Duration that reads and writes as "250ms", "5s", "1m".
// It reads values from 0 to MaxChaosDuration only.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes Go duration notation.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// BoundError is a value out of its documented range, at Pointer (an RFC
// 6901 pointer into the request body) when known; Rule is the JSON Schema
// keyword of the bound (maximum, minimum, type).
type BoundError struct {
	Pointer, Rule, Message string
}

func (e *BoundError) Error() string {
	if e.Pointer == "" {
		return e.Message
	}
	return e.Pointer + ": " + e.Message
}

// UnmarshalJSON reads Go duration notation or a number of milliseconds,
// from 0 to MaxChaosDuration; anything else is a *BoundError.
func (d *Duration) UnmarshalJSON(b []byte) error {
	v, err := parseDuration(b)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// parseDuration is Duration.UnmarshalJSON without the receiver. A number
// is checked before it is converted, so that no float overflows into a
// negative time.Duration.
func parseDuration(b []byte) (time.Duration, error) {
	over := func(v string) error {
		return &BoundError{Rule: "maximum", Message: fmt.Sprintf("duration %s is longer than the maximum %s (%d ms)",
			v, MaxChaosDuration, maxChaosMillis)}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var ms float64
		if err := json.Unmarshal(b, &ms); err != nil {
			return 0, &BoundError{Rule: "type", Message: "a duration must be a string like \"250ms\" or a number of milliseconds"}
		}
		switch {
		case math.IsNaN(ms) || ms < 0:
			return 0, &BoundError{Rule: "minimum", Message: fmt.Sprintf("duration %s ms is negative", truncValue(string(b)))}
		case ms > float64(maxChaosMillis):
			return 0, over(truncValue(string(b)) + " ms")
		}
		return time.Duration(ms * float64(time.Millisecond)), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		// ParseDuration fails on a value beyond 2562047h too.
		if digitsOverflow(s) {
			return 0, over(fmt.Sprintf("%q", truncValue(s)))
		}
		return 0, &BoundError{Rule: "pattern", Message: fmt.Sprintf("bad duration %q: want a Go duration such as \"250ms\", \"5s\", \"1m30s\"", truncValue(s))}
	}
	switch {
	case v < 0:
		return 0, &BoundError{Rule: "minimum", Message: fmt.Sprintf("duration %q is negative", truncValue(s))}
	case v > MaxChaosDuration:
		return 0, over(fmt.Sprintf("%q", truncValue(s)))
	}
	return v, nil
}

// digitsOverflow reports whether s is well formed but too large for
// time.ParseDuration: the same string with every number cut to one digit
// parses.
func digitsOverflow(s string) bool {
	short := make([]byte, 0, len(s))
	inNum := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		isDigit := c >= '0' && c <= '9'
		if isDigit && inNum {
			continue
		}
		inNum = isDigit
		short = append(short, c)
	}
	_, err := time.ParseDuration(string(short))
	return err == nil
}

// maxValueInError is how much of a client's value an error message quotes.
const maxValueInError = 64

// truncValue cuts s to maxValueInError bytes, so that no error repeats a
// huge value.
func truncValue(s string) string { return Truncate(s, maxValueInError) }

// UnmarshalJSON reads a Chaos, checking first its durations against
// MaxChaosDuration and its counts against MaxDuplicates and
// MaxCutAfterBody so that an error is a *BoundError pointing at the field
// (under /chaos, where every request body holds it). Other members decode
// as encoding/json does (the API description refuses unknown ones).
func (c *Chaos) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return &BoundError{Pointer: "/chaos", Rule: "type", Message: "chaos must be an object"}
	}
	counts := map[string]int{"duplicates": MaxDuplicates, "cut_after_body": MaxCutAfterBody}
	for k, v := range raw {
		ptr := "/chaos/" + jsonv.EscapePointer(k)
		switch k {
		case "duplicate_spacing", "reorder_window", "delay", "jitter":
			if _, err := parseDuration(v); err != nil {
				be := err.(*BoundError)
				be.Pointer = ptr
				return be
			}
		case "duplicates", "cut_after_body":
			var f float64
			if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) {
				return &BoundError{Pointer: ptr, Rule: "type", Message: k + " must be an integer"}
			}
			if f < 0 || f > float64(counts[k]) {
				return &BoundError{Pointer: ptr, Rule: "maximum",
					Message: fmt.Sprintf("%s must be from 0 to %d, not %s", k, counts[k], truncValue(string(v)))}
			}
		}
	}
	type plain Chaos
	return json.Unmarshal(b, (*plain)(c))
}

// checkSchedule reports, as an *Error naming the field, a chaos whose
// first attempts would fall more than MaxDueAhead ahead once scaled by
// scale (the server's time scale): delay + jitter + reorder window +
// duplicates × spacing, each multiplied by the scale.
func checkSchedule(c Chaos, scale float64) *Error {
	if scale <= 0 {
		scale = 1
	}
	parts := []struct {
		ptr string
		d   float64
	}{
		{"/chaos/delay", float64(c.Delay)},
		{"/chaos/jitter", float64(c.Jitter)},
		{"/chaos/reorder_window", float64(c.ReorderWindow)},
		{"/chaos/duplicate_spacing", float64(c.DuplicateSpacing) * float64(max(c.Duplicates, 0))},
	}
	var total float64
	worst := parts[0]
	for _, p := range parts {
		total += p.d * scale
		if p.d > worst.d {
			worst = p
		}
	}
	if total <= float64(MaxDueAhead) {
		return nil
	}
	day := float64(24 * time.Hour)
	msg := fmt.Sprintf("at time scale %g the chaos plans a first attempt %.1f days ahead (delay + jitter + reorder_window + duplicates × duplicate_spacing, scaled); the maximum is %.0f days",
		scale, total/day, float64(MaxDueAhead)/day)
	return fieldError(worst.ptr, "maximum", msg)
}

// Truncate cuts s to at most n bytes on a rune boundary, saying how long
// it was.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:cut], len(s))
}
