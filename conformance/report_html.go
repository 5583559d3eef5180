package conformance

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/conformance/htmlreport"
	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// HTMLReport is the summary as the page of --report-html shows it: the
// same verdict, exit code and counts as the text, the JSON and the JUnit
// report, every requirement with its catalogue's fix paragraph, and the
// target with its credentials redacted as every log line of esimhooks
// redacts them (wire.RedactURL: no user info, query or fragment).
func (s *Summary) HTMLReport() *htmlreport.Report {
	r := &htmlreport.Report{
		Provider: s.Provider, Variant: s.Variant, Target: wire.RedactURL(s.Target), Seed: s.Seed,
		Start: s.Start, Duration: time.Duration(s.DurationMS) * time.Millisecond,
		Verdict: s.Verdict, ExitCode: ExitCode(s, nil), Why: s.verdictWhy(),
	}
	for _, m := range []struct {
		on   bool
		what string
	}{{s.Strict, "--strict: every applicable SHOULD counts"}, {s.Probe, "--probe: effects checked through the receiver's probe"},
		{s.Production, "--production: HTTPS and TLS checked"}, {s.DryRun, "--dry-run: nothing sent"}} {
		if m.on {
			r.Modes = append(r.Modes, m.what)
		}
	}
	if !s.Probe && !s.DryRun {
		r.Modes = append(r.Modes, "no --probe: requirements that need the receiver's effects are skipped")
	}
	notRun, would := 0, 0
	cat := Requirements()
	for _, res := range s.Requirements {
		req := htmlreport.Requirement{
			ID: res.ID, Level: res.Level, Category: res.Category, Outcome: res.Outcome, Evidence: res.Evidence,
			Sentence: res.Sentence, Source: res.Source, Assumed: res.Assumed,
		}
		if c := cat.Get(res.ID); c != nil {
			req.Fix = c.Fix
		}
		switch {
		case res.WouldRun:
			req.Outcome = htmlreport.WouldRun
			would++
		case res.Outcome == OutcomeFailed && strings.HasPrefix(res.Evidence, notRunPrefix):
			req.Outcome = htmlreport.NotRun
			req.Note = "Counts as failed: " + s.NotRun + " before it was graded. Run again with a longer --timeout, or select fewer requirements with --label-filter."
			notRun++
		case res.Outcome == OutcomeFailed && res.Level == LevelShould && !s.Strict:
			req.Note = "A SHOULD: it fails the run only with --strict."
		case res.Outcome == OutcomeBlocked:
			if id, _, ok := strings.Cut(strings.TrimPrefix(res.Evidence, blockedPrefix), ":"); ok && cat.Get(id) != nil {
				req.BlockedBy = id
			}
		}
		r.Requirements = append(r.Requirements, req)
	}
	p, f, sk := s.Counts()
	r.Counts = []htmlreport.Count{
		{Outcome: OutcomePassed, N: p}, {Outcome: OutcomeFailed, N: f}, {Outcome: OutcomeBlocked, N: s.Count(OutcomeBlocked)},
		{Outcome: OutcomeSkipped, N: sk}, {Outcome: "total", N: len(s.Requirements)},
	}
	if notRun > 0 {
		r.Counts[1].Note = fmt.Sprintf("%d not run", notRun)
	}
	if would > 0 {
		r.Counts[3].Note = fmt.Sprintf("%d would run (dry run)", would)
	}
	return r
}

// verdictWhy says in a sentence what decided the verdict, by the rules of
// summarize.
func (s *Summary) verdictWhy() string {
	switch s.Verdict {
	case VerdictDryRun:
		return "A dry run: nothing was sent and nothing graded."
	case VerdictNothingTested:
		return "Every requirement was skipped, so the run proves nothing."
	case VerdictPassed:
		if s.Strict {
			return "Every applicable requirement, MUST and SHOULD (--strict), passed; nothing was blocked or left unrun."
		}
		return "Every applicable MUST passed; nothing was blocked or left unrun."
	}
	var must, should, notRun int
	for _, r := range s.Requirements {
		switch {
		case r.Outcome != OutcomeFailed:
		case strings.HasPrefix(r.Evidence, notRunPrefix):
			notRun++
		case r.Level == LevelMust:
			must++
		default:
			should++
		}
	}
	var why []string
	if must > 0 {
		why = append(why, fmt.Sprintf("%d MUST requirement%s failed", must, plural(must)))
	}
	if should > 0 && s.Strict {
		why = append(why, fmt.Sprintf("%d SHOULD requirement%s failed (--strict)", should, plural(should)))
	}
	if b := s.Count(OutcomeBlocked); b > 0 {
		why = append(why, fmt.Sprintf("%d %s blocked", b, wasWere(b)))
	}
	if notRun > 0 {
		why = append(why, fmt.Sprintf("%d %s not run (%s)", notRun, wasWere(notRun), s.NotRun))
	}
	if len(why) == 0 {
		return "The run failed."
	}
	return capitalize(strings.Join(why, "; ")) + "."
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// WriteHTML writes the summary as the self-contained HTML page of
// --report-html.
func (s *Summary) WriteHTML(w io.Writer) error { return htmlreport.Write(w, s.HTMLReport()) }

func (s *Summary) writeHTMLFile(path string) error { return createWith(path, s.WriteHTML) }

// createWith creates the file at path and writes it with write, closing it
// in every case; the first error wins.
func createWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
