package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/onsi/ginkgo/v2/types"
)

// Outcomes of a requirement (OutcomeBlocked is in blocked.go).
const (
	OutcomePassed  = "passed"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// Verdicts of a run. Exit code, text summary, --report-json and
// --junit-report all say the one verdict summarize decides.
const (
	// VerdictPassed: something was tested, and every applicable MUST
	// passed (every SHOULD too with --strict); nothing was blocked or left
	// unrun. Exit 0.
	VerdictPassed = "passed"
	// VerdictFailed: a requirement failed, was blocked, or was not run
	// (the run's deadline, an interrupt). Exit 1.
	VerdictFailed = "failed"
	// VerdictNothingTested: every requirement was skipped, so the run
	// proves nothing. Exit 1.
	VerdictNothingTested = "nothing tested"
	// VerdictDryRun: a dry run, which sends nothing and grades nothing.
	// Exit 0.
	VerdictDryRun = "dry run"
)

// Summary is the verdict of a run, as --report-json writes it.
type Summary struct {
	Provider string `json:"provider"`
	Variant  string `json:"variant"`
	Target   string `json:"target"`
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// Passed is true when Verdict is VerdictPassed. --report-json writes
	// null for a dry run, which neither passes nor fails.
	Passed     bool   `json:"passed"`
	Strict     bool   `json:"strict,omitempty"`
	Production bool   `json:"production,omitempty"`
	Probe      bool   `json:"probe"`
	DryRun     bool   `json:"dry_run"`
	Seed       uint64 `json:"seed"`
	// NotRun says why some requirements were not run (the run's deadline,
	// an interrupt); they count as failed.
	NotRun string `json:"not_run,omitempty"`
	// Start is when the run started; DurationMS is its wall time.
	Start      time.Time `json:"start"`
	DurationMS int64     `json:"duration_ms"`
	// Requirements holds every requirement of the catalogue, in its order.
	Requirements []Result `json:"requirements"`
}

// MarshalJSON writes the summary with "passed": null for a dry run.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	out := struct {
		plain
		Passed *bool `json:"passed"`
	}{plain: plain(s)}
	if !s.DryRun {
		out.Passed = &s.Passed
	}
	return json.Marshal(out)
}

// Result is one requirement's outcome.
type Result struct {
	ID string `json:"id"`
	// Level is the level for this variant: SHOULD where the catalogue's
	// fact is assumed (see Assumed).
	Level string `json:"level"`
	// Category is the requirement's category label (signature, ack, …).
	Category string `json:"category"`
	// Outcome is OutcomePassed, OutcomeFailed, OutcomeSkipped or
	// OutcomeBlocked.
	Outcome string `json:"outcome"`
	// Evidence is one line: latency, status received, expected vs actual,
	// why it was skipped, or which requirement blocked it and why.
	Evidence string `json:"evidence"`
	Sentence string `json:"sentence"`
	Source   string `json:"source"`
	// Assumed names the assumed profile fact that lowered the level.
	Assumed string `json:"assumed,omitempty"`
	// WouldRun is set by a dry run for the requirements it would check.
	WouldRun bool `json:"would_run,omitempty"`
	// DurationMS is how long its specs ran.
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// Count returns how many requirements have the given outcome.
func (s *Summary) Count(outcome string) int {
	n := 0
	for _, r := range s.Requirements {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// Counts returns how many requirements passed, failed and were skipped
// (blocked ones are counted apart: Count(OutcomeBlocked)).
func (s *Summary) Counts() (passed, failed, skipped int) {
	return s.Count(OutcomePassed), s.Count(OutcomeFailed), s.Count(OutcomeSkipped)
}

// ExitCode maps a run's result to the exit code of `esimhooks check`: 0
// for VerdictPassed and VerdictDryRun; 1 for VerdictFailed and
// VerdictNothingTested, and when the run broke; 2 for bad usage or
// configuration, the preflight's findings included (err wraps ErrUsage).
func ExitCode(s *Summary, err error) int {
	switch {
	case errors.Is(err, ErrUsage):
		return 2
	case err != nil || s == nil:
		return 1
	case s.Verdict == VerdictPassed || s.Verdict == VerdictDryRun:
		return 0
	}
	return 1
}

// summarize turns Ginkgo's report into one result per requirement and
// decides the verdict.
func (st *runState) summarize() *Summary {
	s := &Summary{
		Provider: st.v.Provider.Name, Variant: st.v.Name, Target: wire.RedactURL(st.opts.Target),
		Strict: st.opts.Strict, Production: st.opts.Production, Probe: st.opts.Probe != "",
		DryRun: st.opts.DryRun, Seed: st.seed, Start: st.start, DurationMS: time.Since(st.start).Milliseconds(),
	}
	specs := map[string][]types.SpecReport{}
	var rep types.Report
	st.mu.Lock()
	if st.report != nil {
		rep = *st.report
	}
	st.mu.Unlock()
	for _, sr := range rep.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		if id := requirementOf(sr.Labels()); id != "" {
			specs[id] = append(specs[id], sr)
		}
	}
	matches := func([]string) bool { return true }
	if st.opts.LabelFilter != "" {
		if f, err := types.ParseLabelFilter(st.opts.LabelFilter); err == nil {
			matches = f
		}
	}
	notRun := st.notRunReason(rep)
	failed, tested := false, false
	for _, r := range st.reqs.Requirements {
		res := Result{ID: r.ID, Level: r.LevelFor(st.v), Category: r.Category, Sentence: r.Sentence, Source: r.Source}
		if res.Level != r.Level {
			res.Assumed = r.AssumedFact
		}
		var wasNotRun bool
		res.Outcome, res.Evidence, wasNotRun = st.outcome(r, specs[r.ID], matches, notRun)
		if wasNotRun {
			s.NotRun = notRun
		}
		for _, sr := range specs[r.ID] {
			res.DurationMS += sr.RunTime.Milliseconds()
		}
		if st.opts.DryRun && res.Outcome == OutcomePassed {
			res.Outcome, res.WouldRun = OutcomeSkipped, true
		}
		switch res.Outcome {
		case OutcomeFailed:
			tested = true
			failed = failed || res.Level == LevelMust || st.opts.Strict || wasNotRun
		case OutcomeBlocked:
			tested, failed = true, true
		case OutcomePassed:
			tested = true
		}
		s.Requirements = append(s.Requirements, res)
	}
	switch {
	case st.opts.DryRun:
		s.Verdict = VerdictDryRun
	case failed:
		s.Verdict = VerdictFailed
	case !tested:
		s.Verdict = VerdictNothingTested
	default:
		s.Verdict, s.Passed = VerdictPassed, true
	}
	return s
}

// notRunReason says why a spec that was neither run nor skipped on
// purpose was left: the run's deadline or an interrupt.
func (st *runState) notRunReason(rep types.Report) string {
	if err := st.ctx.Err(); err != nil {
		return "the run was interrupted (" + err.Error() + ")"
	}
	for _, why := range rep.SpecialSuiteFailureReasons {
		if strings.Contains(why, "Interrupted") {
			return "the run was interrupted"
		}
	}
	return fmt.Sprintf("the run's deadline of %s was reached", st.opts.Timeout)
}

// outcome decides a requirement's outcome and evidence from its specs;
// notRun is true when some spec was left unrun (why: notRunWhy).
func (st *runState) outcome(r *Requirement, specs []types.SpecReport, matches func([]string) bool, notRunWhy string) (outcome, evidence string, notRun bool) {
	if why := st.skipReason(r); why != "" {
		return OutcomeSkipped, why, false
	}
	if len(specs) == 0 {
		return OutcomeSkipped, "no spec checks it for " + st.v.ID(), false
	}
	var passed, failed, blocked, skipped []string
	unrun := 0
	for _, sr := range specs {
		switch {
		case sr.State.Is(types.SpecStatePassed):
			passed = append(passed, specEvidence(sr))
		case sr.State.Is(types.SpecStateInterrupted | types.SpecStateTimedout):
			// Cut short by the run's deadline or an interrupt (the suite
			// sets no spec timeouts of its own).
			failed = append(failed, notRunPrefix+"cut short: "+cleanFailure(sr.Failure.Message))
		case sr.State.Is(types.SpecStateFailureStates):
			failed = append(failed, cleanFailure(sr.Failure.Message))
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			switch {
			case isBlocked(sr.Failure.Message):
				blocked = append(blocked, sr.Failure.Message)
			case sr.Failure.Message != "":
				skipped = append(skipped, sr.Failure.Message)
			case !matches(sr.Labels()):
				skipped = append(skipped, "filtered out by --label-filter")
			default:
				unrun++
			}
		}
	}
	switch {
	case len(failed) > 0:
		allUnrun := true
		for _, f := range failed {
			allUnrun = allUnrun && strings.HasPrefix(f, notRunPrefix)
		}
		return OutcomeFailed, joinEvidence(failed, len(specs)), allUnrun
	case unrun > 0 && !st.opts.DryRun:
		return OutcomeFailed, fmt.Sprintf("%s%d of %d: %s", notRunPrefix, unrun, len(specs), notRunWhy), true
	case len(blocked) > 0:
		return OutcomeBlocked, blocked[0], false
	case len(passed) > 0:
		// Specs skipped on purpose beside passed ones (an entry that does
		// not apply) do not stop the requirement from passing.
		if st.opts.DryRun {
			return OutcomePassed, fmt.Sprintf("would run (%d spec%s)", len(passed), plural(len(passed))), false
		}
		return OutcomePassed, joinEvidence(passed, len(specs)), false
	case len(skipped) == 0:
		return OutcomeSkipped, "not run", false
	}
	return OutcomeSkipped, skipped[0], false
}

// specEvidence is a passed spec's evidence: its last evidence entry.
func specEvidence(sr types.SpecReport) string {
	ev := ""
	for _, e := range sr.ReportEntries {
		if e.Name == evidenceEntry {
			ev = e.StringRepresentation()
		}
	}
	if ev == "" {
		ev = "passed in " + ms(sr.RunTime)
	}
	return ev
}

var gomegaPrefix = regexp.MustCompile(`^(Timed out|Failed) after [0-9.]+m?s\.$`)

// cleanFailure keeps the evidence of a failure message: Gomega's "Timed
// out after …" line and blank lines go, the rest is joined on one line.
func cleanFailure(msg string) string {
	var keep []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || gomegaPrefix.MatchString(l) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, " ")
}

// joinEvidence puts several specs' evidence on one line.
func joinEvidence(ev []string, total int) string {
	switch {
	case len(ev) == 1 && total == 1:
		return ev[0]
	case len(ev) == total:
		return fmt.Sprintf("all %d: %s", total, strings.Join(ev, "; "))
	}
	return fmt.Sprintf("%d of %d: %s", len(ev), total, strings.Join(ev, "; "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// finish prints the table and writes the summary, JUnit and HTML files.
func (s *Summary) finish(o Options) error {
	s.WriteTable(o.Output)
	if o.JUnitReport != "" {
		if err := s.writeJUnitFile(o.JUnitReport); err != nil {
			return usagef("--junit-report: %v", err)
		}
	}
	if o.ReportHTML != "" {
		if err := s.writeHTMLFile(o.ReportHTML); err != nil {
			return usagef("--report-html: %v", err)
		}
	}
	if o.ReportJSON == "" {
		return nil
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.ReportJSON, append(data, '\n'), 0o644); err != nil {
		return usagef("--report-json: %v", err)
	}
	return nil
}

// WriteTable prints the final table (ID, level, outcome, evidence) and the
// verdict line.
func (s *Summary) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tOUTCOME\tEVIDENCE")
	for _, r := range s.Requirements {
		outcome := r.Outcome
		if r.WouldRun {
			outcome = "would run"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Level, outcome, oneLine(r.Evidence, 140))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, s.VerdictLine())
}

// VerdictLine is the last line of the text summary: "PASSED: roamify@overview
// at URL: 19 passed, 0 failed, 0 blocked, 4 skipped in 1.9s (seed 7)".
func (s *Summary) VerdictLine() string {
	head := fmt.Sprintf("%s: %s@%s at %s: ", strings.ToUpper(s.Verdict), s.Provider, s.Variant, s.Target)
	tail := fmt.Sprintf(" in %s (seed %d)", ms(time.Duration(s.DurationMS)*time.Millisecond), s.Seed)
	if s.Verdict == VerdictDryRun {
		would := 0
		for _, r := range s.Requirements {
			if r.WouldRun {
				would++
			}
		}
		return head + fmt.Sprintf("%d would run, %d skipped, nothing sent", would, len(s.Requirements)-would) + tail
	}
	p, f, sk := s.Counts()
	counts := fmt.Sprintf("%d passed, %d failed, %d blocked, %d skipped", p, f, s.Count(OutcomeBlocked), sk)
	if s.NotRun != "" {
		counts += " (not run: " + s.NotRun + ")"
	}
	return head + counts + tail
}

// oneLine flattens s and cuts it to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// printHeader announces the run.
func (st *runState) printHeader() {
	mode := ""
	if st.opts.DryRun {
		mode = " (dry run: nothing is sent)"
	}
	fmt.Fprintf(st.opts.Output, "esimhooks conformance: %s → %s%s\n", st.v.ID(), wire.RedactURL(st.opts.Target), mode)
}

// progress prints one line per finished spec while the run goes on.
func (st *runState) progress(sr types.SpecReport) {
	if sr.LeafNodeType != types.NodeTypeIt || st.opts.DryRun {
		return
	}
	id := requirementOf(sr.Labels())
	var state, ev string
	switch {
	case sr.State.Is(types.SpecStatePassed):
		state, ev = "ok", specEvidence(sr)
	case sr.State.Is(types.SpecStateFailureStates):
		state, ev = "FAIL", cleanFailure(sr.Failure.Message)
	case isBlocked(sr.Failure.Message):
		state, ev = "block", sr.Failure.Message
	case sr.Failure.Message != "":
		state, ev = "skip", sr.Failure.Message
	default:
		return // filtered out or not reached: the table says so
	}
	if !strings.HasPrefix(ev, sr.LeafNodeText) {
		ev = sr.LeafNodeText + ": " + ev
	}
	fmt.Fprintf(st.opts.Output, "  %-5s %-8s %s\n", state, id, oneLine(ev, 140))
}
