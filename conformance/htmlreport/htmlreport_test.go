package htmlreport_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/conformance/htmlreport"
)

func render(t *testing.T, r *htmlreport.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestHostileTextStaysText: evidence, fix and source quoting markup (what a
// hostile receiver answers) come out as text: no element, attribute or
// script of theirs reaches the page, and the text itself is kept.
func TestHostileTextStaysText(t *testing.T) {
	page := render(t, sample())
	for _, tag := range []string{"<script", "<img", `id="injected"`, "<b ", `onerror="`} {
		if strings.Contains(page, tag) {
			t.Errorf("the page holds %q from the evidence", tag)
		}
	}
	if n := strings.Count(page, "<h1"); n != 1 {
		t.Errorf("%d h1 elements, want the page's one", n)
	}
	if want := `&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;`; strings.Count(page, want) != 2 {
		t.Errorf("the hostile evidence and fix are not both shown escaped (%q)", want)
	}
	if !strings.Contains(page, "seed 003 &lt;X-Roamify-Signature&gt;") {
		t.Error("the source's angle brackets are not escaped")
	}
	// No script of any kind, no external asset: the CSP allows the page's
	// own style sheet only.
	if m := regexp.MustCompile(`(?i)<(script|link|iframe|object|embed)\b|\b(src|href)="(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the page loads something or runs a script: %q", m)
	}
	if !strings.Contains(page, `content="default-src &#39;none&#39;; style-src &#39;sha256-`) {
		t.Error("no Content-Security-Policy limiting the page to its own style sheet")
	}
}

// TestPageHoldsEveryRequirement: every requirement is shown once in the
// index and once in its section, failures first; the fix shows for a
// failure only; a blocked one links to its blocker; the header says the
// verdict and exit code.
func TestPageHoldsEveryRequirement(t *testing.T) {
	r := sample()
	page := render(t, r)
	for _, req := range r.Requirements {
		if n := strings.Count(page, `<article class="req o-`+strings.ReplaceAll(req.Outcome, " ", "-")+`" id="req-`+req.ID+`"`); n != 1 {
			t.Errorf("%s (%s): %d articles, want 1", req.ID, req.Outcome, n)
		}
		if n := strings.Count(page, `<a href="#req-`+req.ID+`">`+req.ID+`</a>`); n < 1 {
			t.Errorf("%s: not in the index", req.ID)
		}
	}
	sections := regexp.MustCompile(`<section class="group" id="group-([a-z-]+)"`).FindAllStringSubmatch(page, -1)
	var order []string
	for _, s := range sections {
		order = append(order, s[1])
	}
	if got := strings.Join(order, ","); got != "failed,blocked,passed,skipped" {
		t.Errorf("sections %s, want failed,blocked,passed,skipped", got)
	}
	for _, fix := range []string{"Verify the raw bytes. Never re-serialise.", "Bound the body. Answer 413."} {
		if !strings.Contains(page, fix) {
			t.Errorf("failure's fix %q not shown", fix)
		}
	}
	for _, fix := range []string{"Acknowledge first. Work later.", "Answer 200. Always.", "Commit the key with the effect. Then answer."} {
		if strings.Contains(page, fix) {
			t.Errorf("fix %q shown for a requirement that did not fail on its own", fix)
		}
	}
	for _, want := range []string{
		`Fix <a href="#req-ACK-001">ACK-001</a> first`,
		`data-verdict="failed"`, `data-exit-code="1"`, "<strong>Exit code 1.</strong>",
		`<tr data-outcome="failed"><th scope="row">failed</th><td class="num">4</td><td>1 not run</td></tr>`,
		"A SHOULD: it fails the run only with --strict.",
		"2026-12-03 13:42:49 UTC", "1.9 s", "4038555042464430976",
		"https://staging.example.com/hooks/roamify?redacted",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestCodeSpans: the catalogue's `code spans` show as code, escaped; an
// unpaired backtick stays text.
func TestCodeSpans(t *testing.T) {
	r := sample()
	r.Requirements[1].Fix = "Compare with `hash_equals($a, <b>)` in PHP. Then `answer."
	page := render(t, r)
	if !strings.Contains(page, "Compare with <code>hash_equals($a, &lt;b&gt;)</code> in PHP. Then `answer.") {
		t.Errorf("code spans not rendered: %s", page[strings.Index(page, "Compare"):][:120])
	}
	r.Requirements[1].Fix = "An `unpaired backtick. Stays."
	if page := render(t, r); !strings.Contains(page, "An `unpaired backtick. Stays.") {
		t.Error("an unpaired backtick was not kept as text")
	}
}

// TestWriteRefusesUnknown: an outcome or verdict the page cannot show is
// an error naming it, not a page with a blank badge.
func TestWriteRefusesUnknown(t *testing.T) {
	r := sample()
	r.Requirements[2].Outcome = "flaky"
	if err := htmlreport.Write(&bytes.Buffer{}, r); err == nil || !strings.Contains(err.Error(), `SIG-004: unknown outcome "flaky"`) {
		t.Errorf("unknown outcome: %v", err)
	}
	r = sample()
	r.Verdict = "mostly passed"
	if err := htmlreport.Write(&bytes.Buffer{}, r); err == nil || !strings.Contains(err.Error(), `unknown verdict "mostly passed"`) {
		t.Errorf("unknown verdict: %v", err)
	}
}
