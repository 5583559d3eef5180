package htmlreport_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/conformance"
	bt "github.com/esimhooks/esimhooks/internal/browsertest"
)

// TestReportOfARun runs the suite once (four requirements, well under a
// second of grading) against a receiver that accepts everything and
// answers with a script, writing the JSON, JUnit and HTML reports of that
// one run: the page's verdict, exit code and counts agree with both other
// reports, its target has no credentials, and the receiver's answer, quoted
// in the failures' evidence, is shown as text in the browser, never run.
func TestReportOfARun(t *testing.T) {
	const answer = `<script>document.title="pwned"</script><img src=x>`
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, answer)
	}))
	defer recv.Close()
	dir := t.TempDir()
	js, junit, page := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.html")
	target := strings.Replace(recv.URL, "http://", "http://partner:hunter2@", 1) + "/hook?token=t0ps3cret"
	sum, err := conformance.Run(context.Background(), conformance.Options{
		Provider: "roamify", Target: target, Secret: strings.Repeat("ab", 32), Seed: 7,
		LabelFilter: "ACK-001 || SIG-001 || SIG-002 || IDM-001",
		ReportJSON:  js, JUnitReport: junit, ReportHTML: page,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Verdict != conformance.VerdictFailed {
		t.Fatalf("verdict %s, want failed (the receiver accepts unsigned deliveries)", sum.Verdict)
	}

	var fromJSON conformance.Summary
	if data, err := os.ReadFile(js); err != nil || json.Unmarshal(data, &fromJSON) != nil {
		t.Fatalf("reading the JSON report: %v", err)
	}
	var fromJUnit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if data, err := os.ReadFile(junit); err != nil || xml.Unmarshal(data, &fromJUnit) != nil {
		t.Fatalf("reading the JUnit report: %v", err)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`<tr data-outcome="(\w+)"><th scope="row">\w+</th><td class="num">(\d+)</td>`).FindAllStringSubmatch(html, -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	p, f, s := fromJSON.Counts()
	b := fromJSON.Count(conformance.OutcomeBlocked)
	if counts["passed"] != p || counts["failed"] != f || counts["skipped"] != s || counts["blocked"] != b || counts["total"] != len(fromJSON.Requirements) {
		t.Errorf("HTML counts %v, JSON %d passed %d failed %d skipped %d blocked of %d", counts, p, f, s, b, len(fromJSON.Requirements))
	}
	if counts["failed"] != fromJUnit.Failures || counts["skipped"]+counts["blocked"] != fromJUnit.Skipped || counts["total"] != fromJUnit.Tests {
		t.Errorf("HTML counts %v, JUnit %d tests %d failures %d skipped", counts, fromJUnit.Tests, fromJUnit.Failures, fromJUnit.Skipped)
	}
	if p != 2 || f != 2 {
		t.Errorf("%d passed, %d failed; want ACK-001 and IDM-001 passed, SIG-001 and SIG-002 failed", p, f)
	}
	junitVerdict := ""
	for _, prop := range fromJUnit.Suites[0].Properties {
		if prop.Name == "verdict" {
			junitVerdict = prop.Value
		}
	}
	exit := conformance.ExitCode(sum, nil)
	for _, want := range []string{`data-verdict="` + fromJSON.Verdict + `"`, `data-verdict="` + junitVerdict + `"`, `data-exit-code="` + strconv.Itoa(exit) + `"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	jsData, _ := os.ReadFile(js)
	junitData, _ := os.ReadFile(junit)
	for _, secret := range []string{"hunter2", "t0ps3cret"} {
		for name, text := range map[string]string{"the HTML page": html, "the JSON report": string(jsData), "the JUnit report": string(junitData)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the target's credential %q", name, secret)
			}
		}
	}
	if n := strings.Count(html, "How to fix"); n != 2 {
		t.Errorf("%d fix paragraphs, want one per failed requirement (2)", n)
	}

	ctx := bt.Start(t)
	bt.Do(t, ctx, "opening the run's report", chromedp.EmulateViewport(390, 844), chromedp.Navigate("file://"+page))
	notInjected(t, ctx, "the run's report")
	bt.NoHorizontalScroll(t, ctx, "the run's report")
	bt.Contrast(t, ctx, "the run's report")
	bt.Structure(t, ctx, "the run's report")
	printView(t, ctx, len(fromJSON.Requirements))
}
