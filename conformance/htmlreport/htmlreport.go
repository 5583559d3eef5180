// Package htmlreport writes the conformance suite's report as one
// self-contained HTML page (`esimhooks check --report-html FILE`): inline
// CSS, no script, no external asset, so it opens offline and as a CI
// artifact. It presents a Report the conformance package builds from its
// Summary; it decides nothing itself: the verdict, the exit code and the
// counts are the run's.
//
// Every value is escaped by html/template, so evidence quoting a hostile
// receiver's answer (`<script>…`) is shown as text, never run; the page's
// Content-Security-Policy allows its own style sheet and nothing else.
package htmlreport

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// Outcomes a requirement is shown with. NotRun is a failure the run's
// deadline or an interrupt caused (it counts as failed); WouldRun is a
// dry run's requirement it would check (it counts as skipped).
const (
	Passed   = "passed"
	Failed   = "failed"
	NotRun   = "not run"
	Blocked  = "blocked"
	Skipped  = "skipped"
	WouldRun = "would run"
)

// Report is what the page shows.
type Report struct {
	// Provider and Variant name the profile graded.
	Provider, Variant string
	// Target is the receiver's URL, credentials already redacted.
	Target string
	Seed   uint64
	// Start is when the run started; Duration its wall time.
	Start    time.Time
	Duration time.Duration
	// Verdict is the run's one verdict ("passed", "failed", "nothing
	// tested", "dry run"); ExitCode the exit code it implies; Why says in
	// a sentence what decided it.
	Verdict  string
	ExitCode int
	Why      string
	// Modes lists what the run was given or asked for (--strict, --probe,
	// --production, --dry-run, a label filter), in words.
	Modes []string
	// Counts are the requirements per outcome, as the text summary, the
	// JSON and the JUnit report count them.
	Counts []Count
	// Requirements are every requirement of the catalogue, in its order.
	Requirements []Requirement
}

// Count is one row of the summary table.
type Count struct {
	// Outcome is "passed", "failed", "blocked", "skipped" or "total".
	Outcome string
	N       int
	// Note qualifies the row ("2 not run", "4 would run").
	Note string
}

// Requirement is one requirement's outcome.
type Requirement struct {
	ID, Level, Category string
	// Outcome is one of the outcome constants.
	Outcome string
	// Evidence is expected vs actual, or why it was skipped or blocked.
	Evidence string
	// Sentence completes "The receiver …"; Source is where it comes from.
	Sentence, Source string
	// Assumed names the assumed profile fact that lowered the level.
	Assumed string
	// Fix is the catalogue's "how to fix" paragraph, shown for a failure.
	Fix string
	// BlockedBy is the ID of the requirement that blocked this one.
	BlockedBy string
	// Note is a remark on the outcome: a failed SHOULD that does not fail
	// the run, what to do about a requirement not run.
	Note string
}

// group is one section of the page: the requirements of some outcomes.
type group struct {
	ID, Title, Intro string
	outcomes         []string
	Requirements     []Requirement
}

// groups are the sections, failures first (they come first in print too).
func groups() []*group {
	return []*group{
		{ID: "failed", Title: "Failed", Intro: "Each failure says what was expected and what the receiver did, then how to fix it.", outcomes: []string{Failed, NotRun}},
		{ID: "blocked", Title: "Blocked", Intro: "Not graded: a requirement they depend on failed first. Fix that one and run again.", outcomes: []string{Blocked}},
		{ID: "passed", Title: "Passed", outcomes: []string{Passed}},
		{ID: "would-run", Title: "Would run", Intro: "A dry run sends nothing: these are the requirements a real run would check.", outcomes: []string{WouldRun}},
		{ID: "skipped", Title: "Skipped", Intro: "Neither passed nor failed: each says why it was not graded.", outcomes: []string{Skipped}},
	}
}

var outcomeMarks = map[string]string{Passed: "✓", Failed: "✗", NotRun: "✗", Blocked: "⊘", Skipped: "–", WouldRun: "›"}

var verdictMarks = map[string]string{"passed": "✓", "failed": "✗", "nothing tested": "–", "dry run": "›"}

//go:embed report.html.tmpl
var pageTemplate string

//go:embed report.css
var css string

// cspStyle is the style-src source of the page's one style sheet.
var cspStyle = func() string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"mark":  func(outcome string) string { return outcomeMarks[outcome] },
	"vmark": func(verdict string) string { return verdictMarks[verdict] },
	"class": func(s string) string { return strings.ReplaceAll(s, " ", "-") },
	"upper": strings.ToUpper,
	"spans": spans,
	"plural": func(n int, word string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, word)
		}
		return fmt.Sprintf("%d %ss", n, word)
	},
}).Parse(pageTemplate))

// span is a run of catalogue text: Code for a `code span`.
type span struct {
	Code bool
	Text string
}

// spans splits catalogue text (a sentence, a fix) at its backticks, so
// that `code spans` show as code; a last, unpaired backtick stays text.
func spans(s string) []span {
	parts := strings.Split(s, "`")
	if n := len(parts); n%2 == 0 {
		parts = append(parts[:n-2], parts[n-2]+"`"+parts[n-1])
	}
	var out []span
	for i, p := range parts {
		if p != "" {
			out = append(out, span{Code: i%2 == 1, Text: p})
		}
	}
	return out
}

// view is the template's data.
type view struct {
	*Report
	CSS      template.CSS
	CSP      string
	Start    string
	Duration string
	Groups   []*group
}

// Write writes the page for r to w. It refuses a requirement with an
// outcome it does not know or a verdict it cannot show.
func Write(w io.Writer, r *Report) error {
	if _, ok := verdictMarks[r.Verdict]; !ok {
		return fmt.Errorf("html report: unknown verdict %q", r.Verdict)
	}
	v := view{
		Report: r, CSS: template.CSS(css), // a constant of this package
		CSP:      "default-src 'none'; style-src " + cspStyle + "; base-uri 'none'; form-action 'none'",
		Start:    r.Start.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: duration(r.Duration),
	}
	for _, g := range groups() {
		for _, req := range r.Requirements {
			for _, o := range g.outcomes {
				if req.Outcome == o {
					g.Requirements = append(g.Requirements, req)
				}
			}
		}
		if len(g.Requirements) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	for _, req := range r.Requirements {
		if _, ok := outcomeMarks[req.Outcome]; !ok {
			return fmt.Errorf("html report: %s: unknown outcome %q", req.ID, req.Outcome)
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// duration says d as the text summary does: "950 ms", "1.9 s", "3 min 4 s".
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}
