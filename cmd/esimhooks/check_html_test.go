package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReportHTML: --report-html writes the page of the run (here a
// dry run: verdict "dry run", exit code 0, the selected requirements "would
// run"), and a path it cannot write is one line naming the flag, exit 2.
func TestCheckReportHTML(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	args := []string{"check", "--provider", "roamify", "--target", "http://127.0.0.1:1/hook", "--dry-run", "--label-filter", "SIG-001 || IDM-001"}
	code, out, errs := cli(t, "", append(args, "--report-html", page)...)
	if code != 0 || !strings.Contains(out, "\nDRY RUN: ") {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errs, out)
	}
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(raw)
	for _, want := range []string{`data-verdict="dry run"`, `data-exit-code="0"`, `<article class="req o-would-run" id="req-SIG-001"`, `<article class="req o-would-run" id="req-IDM-001"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	code, _, errs = cli(t, "", append(args, "--report-html", filepath.Join(dir, "missing", "report.html"))...)
	if code != 2 || !strings.HasPrefix(errs, "esimhooks check: --report-html: ") || strings.Count(errs, "\n") > 2 {
		t.Errorf("unwritable path: exit %d, stderr %q", code, errs)
	}
}
