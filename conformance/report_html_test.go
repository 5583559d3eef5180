package conformance

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/conformance/htmlreport"
)

// failedSummary is a failed run as summarize writes it: a MUST and a
// SHOULD failed, one not run, one blocked by ACK-001, one passed, one
// skipped.
func failedSummary() *Summary {
	return &Summary{
		Provider: "roamify", Variant: "overview", Target: "https://u:p@example.com/hook?token=t", Verdict: VerdictFailed, Seed: 7,
		NotRun: "the run's deadline of 1s was reached",
		Requirements: []Result{
			{ID: "ACK-001", Level: LevelMust, Outcome: OutcomeFailed, Evidence: "expected 2xx within 3s, got 200 after 3.4s"},
			{ID: "ROB-004", Level: LevelShould, Outcome: OutcomeFailed, Evidence: "expected 4xx, got 200"},
			{ID: "RTY-001", Level: LevelMust, Outcome: OutcomeFailed, Evidence: notRunPrefix + "1 of 1: the run's deadline of 1s was reached"},
			{ID: "ORD-001", Level: LevelMust, Outcome: OutcomeBlocked, Evidence: blockedPrefix + "ACK-001: no valid delivery acknowledged in time"},
			{ID: "IDM-001", Level: LevelMust, Outcome: OutcomePassed, Evidence: "200, then 200"},
			{ID: "TLS-001", Level: LevelMust, Outcome: OutcomeSkipped, Evidence: "needs --production"},
		},
	}
}

// TestHTMLReportFromSummary: the page's model says the summary's verdict,
// exit code and counts, marks the not-run and blocked requirements, notes a
// failed SHOULD without --strict, takes each fix from the catalogue and
// redacts the target.
func TestHTMLReportFromSummary(t *testing.T) {
	s := failedSummary()
	r := s.HTMLReport()
	if r.Verdict != VerdictFailed || r.ExitCode != 1 || r.Target != "https://example.com/hook?redacted" {
		t.Errorf("verdict %q, exit %d, target %q", r.Verdict, r.ExitCode, r.Target)
	}
	want := "1 MUST requirement failed; 1 was blocked; 1 was not run (the run's deadline of 1s was reached)."
	if r.Why != want {
		t.Errorf("why %q, want %q", r.Why, want)
	}
	p, f, sk := s.Counts()
	counts := map[string]int{}
	for _, c := range r.Counts {
		counts[c.Outcome] = c.N
	}
	if counts[OutcomePassed] != p || counts[OutcomeFailed] != f || counts[OutcomeSkipped] != sk || counts[OutcomeBlocked] != 1 || counts["total"] != 6 || f != 3 {
		t.Errorf("counts %v, summary %d passed %d failed %d skipped", counts, p, f, sk)
	}
	outcomes := map[string]htmlreport.Requirement{}
	for _, req := range r.Requirements {
		outcomes[req.ID] = req
		if req.Fix != Requirements().Get(req.ID).Fix || req.Fix == "" {
			t.Errorf("%s: fix %q is not the catalogue's", req.ID, req.Fix)
		}
	}
	if o := outcomes["RTY-001"]; o.Outcome != htmlreport.NotRun || !strings.Contains(o.Note, "--timeout") {
		t.Errorf("RTY-001: %+v, want not run with a --timeout note", o)
	}
	if o := outcomes["ORD-001"]; o.Outcome != htmlreport.Blocked || o.BlockedBy != "ACK-001" {
		t.Errorf("ORD-001: %+v, want blocked by ACK-001", o)
	}
	if o := outcomes["ROB-004"]; o.Outcome != htmlreport.Failed || !strings.Contains(o.Note, "--strict") {
		t.Errorf("ROB-004: %+v, want failed with a --strict note", o)
	}
	if o := outcomes["ACK-001"]; o.Outcome != htmlreport.Failed || o.Note != "" {
		t.Errorf("ACK-001: %+v", o)
	}

	s.Strict = true
	if why := s.HTMLReport().Why; !strings.Contains(why, "1 SHOULD requirement failed (--strict)") {
		t.Errorf("strict: why %q", why)
	}
	for verdict, exit := range map[string]int{VerdictPassed: 0, VerdictDryRun: 0, VerdictNothingTested: 1} {
		s := &Summary{Verdict: verdict, DryRun: verdict == VerdictDryRun, Requirements: []Result{{ID: "IDM-001", Level: LevelMust, Outcome: OutcomeSkipped, WouldRun: verdict == VerdictDryRun}}}
		r := s.HTMLReport()
		if r.ExitCode != exit || r.Why == "" {
			t.Errorf("%s: exit %d, why %q", verdict, r.ExitCode, r.Why)
		}
		if verdict == VerdictDryRun && (r.Requirements[0].Outcome != htmlreport.WouldRun || r.Counts[3].Note != "1 would run (dry run)") {
			t.Errorf("dry run: %+v, counts %+v", r.Requirements[0], r.Counts)
		}
	}
}
