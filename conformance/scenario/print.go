package scenario

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// Print writes r as `esimhooks play` shows it: one line per step (what
// was sent and answered), one per expectation (PASS, FAIL or SKIP with its
// evidence), and a verdict line.
func Print(w io.Writer, r *Result) {
	fmt.Fprintf(w, "%s: %s (%s → %s)\n", r.Scenario, r.Title, r.Variant, r.URL)
	for _, s := range r.Steps {
		if s.Final {
			fmt.Fprintf(w, "  %s\n", s.Label)
		} else {
			fmt.Fprintf(w, "  %2d %-26s %s\n", s.Index+1, s.Label, stepSummary(s))
			if s.Note != "" {
				fmt.Fprintf(w, "     %s\n", s.Note)
			}
		}
		if s.Err != "" {
			fmt.Fprintf(w, "       ERROR %s\n", s.Err)
		}
		for _, e := range s.Expectations {
			line := mark(e.Outcome) + " " + e.What
			if e.Evidence != "" {
				line += ": " + e.Evidence
			}
			fmt.Fprintf(w, "       %s\n", line)
			if e.Outcome == Failed && strings.HasPrefix(e.What, "applied") {
				fmt.Fprintf(w, "            key %s\n", s.Key)
			}
		}
	}
	if r.Err != "" {
		fmt.Fprintf(w, "  %s\n", r.Err)
	}
	passed, failed, skipped := r.Count()
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s %s: %d passed, %d failed, %d skipped in %s\n", verdict, r.Scenario, passed, failed, skipped, r.Elapsed.Round(time.Millisecond))
}

func mark(o Outcome) string {
	switch o {
	case Passed:
		return "PASS"
	case Failed:
		return "FAIL"
	}
	return "SKIP"
}

// stepSummary says what a step's copies got: "200 in 3ms", "cut → 200 in
// 2ms", or "10 copies at once: 200×10, 1ms–9ms".
func stepSummary(s StepResult) string {
	switch len(s.Copies) {
	case 0:
		return "not sent"
	case 1:
		parts := make([]string, len(s.Copies[0].Attempts))
		for i, a := range s.Copies[0].Attempts {
			parts[i] = attemptText(a)
		}
		return strings.Join(parts, " → ")
	}
	statuses := map[int]int{}
	var lo, hi time.Duration
	seen := false
	retried, cut, errs := 0, 0, 0
	for _, c := range s.Copies {
		if len(c.Attempts) > 1 {
			retried++
		}
		for _, a := range c.Attempts {
			switch {
			case a.Cut:
				cut++
				continue
			case a.Err != "":
				errs++
			default:
				statuses[a.Status]++
			}
			if !seen || a.Latency < lo {
				lo = a.Latency
			}
			seen = true
			hi = max(hi, a.Latency)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d copies: %s", len(s.Copies), statusSummary(statuses))
	if errs > 0 {
		fmt.Fprintf(&b, ", %d without answer", errs)
	}
	if cut > 0 {
		fmt.Fprintf(&b, ", %d cut", cut)
	}
	if retried > 0 {
		fmt.Fprintf(&b, ", %d retried", retried)
	}
	if seen {
		fmt.Fprintf(&b, " in %s–%s", latency(lo), latency(hi))
	}
	return b.String()
}

func attemptText(a Attempt) string {
	switch {
	case a.Cut && a.Err != "":
		return "cut failed: " + a.Err
	case a.Cut:
		return "cut after the body"
	case a.Err != "":
		return a.Err
	}
	return fmt.Sprintf("%d in %s", a.Status, latency(a.Latency))
}

// latency is how esimhooks prints a latency (wire.FormatLatency).
func latency(d time.Duration) string { return wire.FormatLatency(d) }
