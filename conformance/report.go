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

	"github.com/onsi/ginkgo/v2/types"
)

// Outcomes of a requirement.
const (
	OutcomePassed  = "passed"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// Summary is the verdict of a run, as --report-json writes it.
type Summary struct {
	Provider string `json:"provider"`
	Variant  string `json:"variant"`
	Target   string `json:"target"`
	// Passed is true when every applicable MUST passed (and, with Strict,
	// every applicable SHOULD).
	Passed     bool   `json:"passed"`
	Strict     bool   `json:"strict,omitempty"`
	Production bool   `json:"production,omitempty"`
	Probe      bool   `json:"probe"`
	DryRun     bool   `json:"dry_run,omitempty"`
	Seed       uint64 `json:"seed"`
	// DurationMS is the run's wall time.
	DurationMS int64 `json:"duration_ms"`
	// Requirements holds every requirement of the catalogue, in its order.
	Requirements []Result `json:"requirements"`
}

// Result is one requirement's outcome.
type Result struct {
	ID string `json:"id"`
	// Level is the level for this variant: SHOULD where the catalogue's
	// fact is assumed (see Assumed).
	Level string `json:"level"`
	// Outcome is OutcomePassed, OutcomeFailed or OutcomeSkipped.
	Outcome string `json:"outcome"`
	// Evidence is one line: latency, status received, expected vs actual,
	// or why it was skipped.
	Evidence string `json:"evidence"`
	Sentence string `json:"sentence"`
	Source   string `json:"source"`
	// Assumed names the assumed profile fact that lowered the level.
	Assumed string `json:"assumed,omitempty"`
	// WouldRun is set by a dry run for the requirements it would check.
	WouldRun bool `json:"would_run,omitempty"`
}

// Counts returns how many requirements passed, failed and were skipped.
func (s *Summary) Counts() (passed, failed, skipped int) {
	for _, r := range s.Requirements {
		switch r.Outcome {
		case OutcomePassed:
			passed++
		case OutcomeFailed:
			failed++
		default:
			skipped++
		}
	}
	return
}

// ExitCode maps a run's result to the exit code of `esimhooks check`: 0
// when every applicable MUST passed (and every SHOULD with --strict), and
// for a dry run; 1 when a requirement failed or the run broke; 2 for bad
// usage or configuration (err wraps ErrUsage).
func ExitCode(s *Summary, err error) int {
	switch {
	case errors.Is(err, ErrUsage):
		return 2
	case err != nil || s == nil:
		return 1
	case s.DryRun || s.Passed:
		return 0
	}
	return 1
}

// summarize turns Ginkgo's report into one result per requirement.
func (st *runState) summarize() *Summary {
	s := &Summary{
		Provider: st.v.Provider.Name, Variant: st.v.Name, Target: st.opts.Target,
		Strict: st.opts.Strict, Production: st.opts.Production, Probe: st.opts.Probe != "",
		DryRun: st.opts.DryRun, Seed: st.seed, DurationMS: time.Since(st.start).Milliseconds(),
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
	s.Passed = true
	for _, r := range st.reqs.Requirements {
		res := Result{ID: r.ID, Level: r.LevelFor(st.v), Sentence: r.Sentence, Source: r.Source}
		if res.Level != r.Level {
			res.Assumed = r.AssumedFact
		}
		res.Outcome, res.Evidence = st.outcome(r, specs[r.ID], matches)
		if st.opts.DryRun && res.Outcome == OutcomePassed {
			res.Outcome, res.WouldRun = OutcomeSkipped, true
		}
		if res.Outcome == OutcomeFailed && (res.Level == LevelMust || st.opts.Strict) {
			s.Passed = false
		}
		s.Requirements = append(s.Requirements, res)
	}
	if st.opts.DryRun {
		s.Passed = false
	}
	return s
}

// outcome decides a requirement's outcome and evidence from its specs.
func (st *runState) outcome(r *Requirement, specs []types.SpecReport, matches func([]string) bool) (string, string) {
	if why := st.skipReason(r); why != "" {
		return OutcomeSkipped, why
	}
	if len(specs) == 0 {
		return OutcomeSkipped, "no spec checks it for " + st.v.ID()
	}
	var passed, failed, skipped []string
	notRun := 0
	for _, sr := range specs {
		switch {
		case sr.State.Is(types.SpecStatePassed):
			passed = append(passed, specEvidence(sr))
		case sr.State.Is(types.SpecStateFailureStates):
			failed = append(failed, cleanFailure(sr.Failure.Message))
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			switch {
			case sr.Failure.Message != "":
				skipped = append(skipped, sr.Failure.Message)
			case !matches(sr.Labels()):
				skipped = append(skipped, "filtered out by --label-filter")
			default:
				notRun++
			}
		}
	}
	switch {
	case len(failed) > 0:
		return OutcomeFailed, joinEvidence(failed, len(specs))
	case notRun > 0:
		return OutcomeFailed, fmt.Sprintf("not run: the run's deadline of %s was reached", st.opts.Timeout)
	case len(passed) > 0:
		if st.opts.DryRun {
			return OutcomePassed, fmt.Sprintf("would run (%d spec%s)", len(passed), plural(len(passed)))
		}
		return OutcomePassed, joinEvidence(passed, len(specs))
	}
	return OutcomeSkipped, skipped[0]
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

// finish prints the table and writes the summary file.
func (s *Summary) finish(o Options) error {
	s.WriteTable(o.Output)
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
// verdict.
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
	p, f, sk := s.Counts()
	verdict := "FAILED"
	switch {
	case s.DryRun:
		verdict = "DRY RUN"
	case s.Passed:
		verdict = "PASSED"
	}
	fmt.Fprintf(w, "%s: %s@%s at %s: %d passed, %d failed, %d skipped in %s (seed %d)\n",
		verdict, s.Provider, s.Variant, s.Target, p, f, sk, ms(time.Duration(s.DurationMS)*time.Millisecond), s.Seed)
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
	fmt.Fprintf(st.opts.Output, "esimhooks conformance: %s → %s%s\n", st.v.ID(), st.opts.Target, mode)
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
	case sr.Failure.Message != "":
		state, ev = "skip", sr.Failure.Message
	default:
		return // filtered out or not reached: the table says so
	}
	if !strings.HasPrefix(ev, sr.LeafNodeText) {
		ev = sr.LeafNodeText + ": " + ev
	}
	fmt.Fprintf(st.opts.Output, "  %-4s %-8s %s\n", state, id, oneLine(ev, 140))
}
