package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCheckRefusesUnboundedRuns: a zero or negative bound would let a
// hanging target hang the run; each is refused with exit 2 before anything
// is sent.
func TestCheckRefusesUnboundedRuns(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, args := range [][]string{
		{"--timeout", "0"}, {"--timeout", "-1s"}, {"--request-timeout", "0s"}, {"--probe-wait", "-5s"},
	} {
		all := append([]string{"check", "--provider", "esimaccess", "--target", srv.URL + "/hook"}, args...)
		code, out, errs := cli(t, "", all...)
		want := "esimhooks check: " + args[0] + " "
		if line, ok := errorLine(errs); code != 2 || !strings.HasPrefix(line, want) || !strings.Contains(line, "want a positive duration") || !ok {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errs, out)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent", hits.Load())
	}
}

// TestCheckLabelFilterErrors: a filter that selects nothing or does not
// parse is one plain line on stderr, exit 2, before the target is even
// dialled (nothing listens at port 1).
func TestCheckLabelFilterErrors(t *testing.T) {
	for filter, want := range map[string]string{
		"nosuch":     "esimhooks check: --label-filter 'nosuch' matches no requirement (labels: ACK-001 … ",
		"(SIG || ID": "esimhooks check: --label-filter '(SIG || ID': Mismatched '(' - could not find matching ')'. (at character 1)",
	} {
		code, _, errs := cli(t, "", "check", "--provider", "roamify", "--secret", strings.Repeat("ab", 32),
			"--target", "http://127.0.0.1:1/hook", "--label-filter", filter)
		if line, ok := errorLine(errs); code != 2 || !strings.HasPrefix(line, want) || !ok || strings.ContainsAny(errs, "\x1b{") {
			t.Errorf("%q: exit %d, stderr %q", filter, code, errs)
		}
	}
}

// TestCheckDryRunReports: `check --dry-run` exits 0 and says DRY RUN, and
// its JSON and JUnit reports say no requirement passed.
func TestCheckDryRunReports(t *testing.T) {
	dir := t.TempDir()
	js, junit := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, out, errs := cli(t, "", "check", "--provider", "roamify", "--target", "http://127.0.0.1:1/hook",
		"--dry-run", "--label-filter", "SIG || IDM", "--report-json", js, "--junit-report", junit)
	if code != 0 || !strings.Contains(out, "\nDRY RUN: ") || strings.Contains(out, "PASSED") {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errs, out)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s["passed"] != nil || s["dry_run"] != true {
		t.Errorf("passed %v, dry_run %v", s["passed"], s["dry_run"])
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(x), `<testsuite name="roamify@`) || !strings.Contains(string(x), `classname="esimhooks.signature"`) ||
		!strings.Contains(string(x), `message="dry run: would run"`) || strings.Contains(string(x), `failures="1`) {
		t.Errorf("JUnit:\n%s", x)
	}
}
