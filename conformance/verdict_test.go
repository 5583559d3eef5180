package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// spec is one fake spec of a requirement for summarize: its state and its
// failure or skip message.
type spec struct {
	state types.SpecState
	msg   string
}

// summarizeFake summarizes a roamify run whose Ginkgo report holds the
// given specs (one per requirement ID; a requirement not named passed),
// as Run would after RunSpecs.
func summarizeFake(t *testing.T, ctx context.Context, o Options, specs map[string]spec) *Summary {
	t.Helper()
	o.Provider, o.Target = "roamify", "http://127.0.0.1:1/hook"
	o.Secret = strings.Repeat("ab", 32)
	st, err := newRunState(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var rep types.Report
	for _, r := range st.reqs.Requirements {
		if st.skipReason(r) != "" {
			continue
		}
		sp, ok := specs[r.ID]
		if !ok {
			sp = spec{state: types.SpecStatePassed}
		}
		rep.SpecReports = append(rep.SpecReports, types.SpecReport{
			LeafNodeType: types.NodeTypeIt, LeafNodeText: "it", LeafNodeLabels: For(r.ID),
			State: sp.state, Failure: types.Failure{Message: sp.msg}, RunTime: 3 * time.Millisecond,
		})
	}
	// The suite's own nodes are in Ginkgo's report too; they are no
	// requirement.
	rep.SpecReports = append(rep.SpecReports, types.SpecReport{LeafNodeType: types.NodeTypeReportAfterSuite, LeafNodeText: "summary", State: types.SpecStatePassed})
	st.report = &rep
	return st.summarize()
}

// outcomeOf returns the result of requirement id.
func outcomeOf(t *testing.T, s *Summary, id string) Result {
	t.Helper()
	for _, r := range s.Requirements {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("%s not in the summary", id)
	return Result{}
}

// TestBlockedIsNeitherPassedNorSkipped: a spec skipped with blockedBy's
// message is reported blocked, counted apart, and fails the run even when
// every other requirement passed.
func TestBlockedIsNeitherPassedNorSkipped(t *testing.T) {
	why := blockedPrefix + "ACK-001: the receiver accepts no valid delivery in time"
	s := summarizeFake(t, context.Background(), Options{}, map[string]spec{
		"SIG-001": {types.SpecStateSkipped, why},
	})
	r := outcomeOf(t, s, "SIG-001")
	if r.Outcome != OutcomeBlocked || r.Evidence != why {
		t.Errorf("SIG-001: %s %q, want blocked with the reason", r.Outcome, r.Evidence)
	}
	if s.Verdict != VerdictFailed || s.Passed || ExitCode(s, nil) != 1 {
		t.Errorf("verdict %s, passed %v, exit %d; want failed, exit 1", s.Verdict, s.Passed, ExitCode(s, nil))
	}
	if s.Count(OutcomeBlocked) != 1 || s.Count(OutcomeFailed) != 0 {
		t.Errorf("blocked %d, failed %d", s.Count(OutcomeBlocked), s.Count(OutcomeFailed))
	}
	if line := s.VerdictLine(); !strings.HasPrefix(line, "FAILED: ") || !strings.Contains(line, "0 failed, 1 blocked") {
		t.Errorf("verdict line %q", line)
	}
	c := junitCaseOf(t, s, "SIG-001")
	if c.Skipped == nil || c.Skipped.Message != why || c.Failure != nil {
		t.Errorf("JUnit SIG-001: %+v, want skipped %q", c, why)
	}
	checkJUnitAgrees(t, s)

	// With the blocking requirement a SHOULD and no --strict, still not
	// a pass: blocked is no pass at any level.
	if !isBlocked(why) || isBlocked("needs --probe") {
		t.Error("isBlocked does not recognise blockedBy's message")
	}
}

// TestNothingTestedIsNotPassed: a run whose every requirement was skipped
// (at run time, not by the filter) fails with NOTHING TESTED.
func TestNothingTestedIsNotPassed(t *testing.T) {
	all := map[string]spec{}
	for _, r := range Requirements().Requirements {
		all[r.ID] = spec{types.SpecStateSkipped, "the profile has no event to send"}
	}
	s := summarizeFake(t, context.Background(), Options{}, all)
	if s.Verdict != VerdictNothingTested || s.Passed || ExitCode(s, nil) != 1 {
		t.Errorf("verdict %s, passed %v, exit %d; want nothing tested, exit 1", s.Verdict, s.Passed, ExitCode(s, nil))
	}
	if line := s.VerdictLine(); !strings.HasPrefix(line, "NOTHING TESTED: ") {
		t.Errorf("verdict line %q", line)
	}
	checkJUnitAgrees(t, s)
}

// TestNotRunIsFailed: requirements the run never reached (deadline,
// interrupt) are failed with the reason, never passed, in every report.
func TestNotRunIsFailed(t *testing.T) {
	unrun := map[string]spec{"IDM-001": {types.SpecStateSkipped, ""}, "ROB-001": {types.SpecStateSkipped, ""}}
	s := summarizeFake(t, context.Background(), Options{Timeout: 42 * time.Second}, unrun)
	for id := range unrun {
		if r := outcomeOf(t, s, id); r.Outcome != OutcomeFailed || !strings.Contains(r.Evidence, "deadline of 42s") {
			t.Errorf("%s: %s %q", id, r.Outcome, r.Evidence)
		}
	}
	if s.Verdict != VerdictFailed || ExitCode(s, nil) != 1 || !strings.Contains(s.VerdictLine(), "not run: the run's deadline of 42s was reached") {
		t.Errorf("verdict %s, exit %d, %q", s.Verdict, ExitCode(s, nil), s.VerdictLine())
	}
	checkJUnitAgrees(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = summarizeFake(t, ctx, Options{}, unrun)
	if r := outcomeOf(t, s, "IDM-001"); r.Outcome != OutcomeFailed || !strings.Contains(r.Evidence, "interrupted") {
		t.Errorf("interrupted IDM-001: %s %q", r.Outcome, r.Evidence)
	}
	if s.Verdict != VerdictFailed || ExitCode(s, nil) != 1 {
		t.Errorf("interrupted: verdict %s, exit %d", s.Verdict, ExitCode(s, nil))
	}
	checkJUnitAgrees(t, s)
}

// TestFailedShouldPassesWithoutStrict: a failed SHOULD is a failure in
// every report but fails the run only with --strict.
func TestFailedShouldPassesWithoutStrict(t *testing.T) {
	fail := map[string]spec{"ROB-004": {types.SpecStateFailed, "expected 413 or another 4xx, got 200 in 3 ms"}}
	s := summarizeFake(t, context.Background(), Options{}, fail)
	if s.Verdict != VerdictPassed || ExitCode(s, nil) != 0 || outcomeOf(t, s, "ROB-004").Outcome != OutcomeFailed {
		t.Errorf("without --strict: verdict %s, exit %d", s.Verdict, ExitCode(s, nil))
	}
	if c := junitCaseOf(t, s, "ROB-004"); c.Failure == nil || c.Failure.Type != LevelShould {
		t.Errorf("JUnit ROB-004: %+v", c)
	}
	checkJUnitAgrees(t, s)
	s = summarizeFake(t, context.Background(), Options{Strict: true}, fail)
	if s.Verdict != VerdictFailed || ExitCode(s, nil) != 1 {
		t.Errorf("with --strict: verdict %s, exit %d", s.Verdict, ExitCode(s, nil))
	}
}

// parsedJUnit is the JUnit document read back.
type parsedJUnit struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []parsedCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type parsedCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

func parseJUnit(t *testing.T, data []byte) parsedJUnit {
	t.Helper()
	var j parsedJUnit
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, data)
	}
	return j
}

func junitOf(t *testing.T, s *Summary) parsedJUnit {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	return parseJUnit(t, buf.Bytes())
}

func junitCaseOf(t *testing.T, s *Summary, id string) parsedCase {
	t.Helper()
	for _, c := range junitOf(t, s).Suites[0].Cases {
		if strings.HasPrefix(c.Name, id+": ") {
			return c
		}
	}
	t.Fatalf("no JUnit test case for %s", id)
	return parsedCase{}
}

// checkJUnitAgrees reads the JUnit of s back and checks it against s: one
// test case per requirement, named "ID: sentence" with classname
// esimhooks.<category>, the suite named provider@variant, and counts that
// agree between <testsuites>, <testsuite>, the test cases and the
// summary.
func checkJUnitAgrees(t *testing.T, s *Summary) {
	t.Helper()
	checkJUnitDoc(t, junitOf(t, s), s)
}

func checkJUnitDoc(t *testing.T, j parsedJUnit, s *Summary) {
	t.Helper()
	if len(j.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(j.Suites))
	}
	su := j.Suites[0]
	if su.Name != s.Provider+"@"+s.Variant {
		t.Errorf("suite name %q, want %s@%s", su.Name, s.Provider, s.Variant)
	}
	if len(su.Cases) != len(s.Requirements) {
		t.Errorf("%d test cases, want one per requirement (%d)", len(su.Cases), len(s.Requirements))
	}
	failures, skipped := 0, 0
	for i, c := range su.Cases {
		if i >= len(s.Requirements) {
			break
		}
		r := s.Requirements[i]
		if c.Name != r.ID+": "+r.Sentence || c.Classname != "esimhooks."+r.Category {
			t.Errorf("test case %q classname %q, want %q, esimhooks.%s", c.Name, c.Classname, r.ID+": "+r.Sentence, r.Category)
		}
		if c.Failure != nil {
			failures++
			if r.Outcome != OutcomeFailed || c.Failure.Message != r.Evidence {
				t.Errorf("%s: JUnit failure %q, summary %s %q", r.ID, c.Failure.Message, r.Outcome, r.Evidence)
			}
		}
		if c.Skipped != nil {
			skipped++
			if r.Outcome != OutcomeSkipped && r.Outcome != OutcomeBlocked {
				t.Errorf("%s: JUnit skipped, summary %s", r.ID, r.Outcome)
			}
		}
		if c.Failure == nil && c.Skipped == nil && r.Outcome != OutcomePassed {
			t.Errorf("%s: JUnit passed, summary %s", r.ID, r.Outcome)
		}
	}
	if su.Tests != len(su.Cases) || su.Failures != failures || su.Skipped != skipped || su.Errors != 0 {
		t.Errorf("testsuite counts %d/%d/%d/%d, test cases %d/%d/%d/0", su.Tests, su.Failures, su.Skipped, su.Errors, len(su.Cases), failures, skipped)
	}
	if j.Tests != su.Tests || j.Failures != su.Failures || j.Skipped != su.Skipped || j.Errors != su.Errors {
		t.Errorf("testsuites counts %d/%d/%d/%d disagree with testsuite %d/%d/%d/%d", j.Tests, j.Failures, j.Skipped, j.Errors, su.Tests, su.Failures, su.Skipped, su.Errors)
	}
	p, f, sk := s.Counts()
	if p+failures+skipped != len(s.Requirements) || f != failures || sk+s.Count(OutcomeBlocked) != skipped {
		t.Errorf("summary %d passed, %d failed, %d skipped, %d blocked; JUnit %d failures, %d skipped", p, f, sk, s.Count(OutcomeBlocked), failures, skipped)
	}
	verdict := ""
	for _, pr := range su.Props {
		if pr.Name == "verdict" {
			verdict = pr.Value
		}
	}
	if verdict != s.Verdict {
		t.Errorf("JUnit verdict %q, summary %q", verdict, s.Verdict)
	}
}

// TestReportsAgree runs the suite against the example receiver and checks
// that exit code, text, --report-json and --junit-report say the same.
func TestReportsAgree(t *testing.T) {
	v := variants(t)[0]
	secret := secretFor(t, v)
	target, probe := serveReceiver(t, v, secret, nil)
	dir := t.TempDir()
	var out bytes.Buffer
	o := Options{Provider: v.Provider.Name, Variant: v.Name, Target: target, Secret: secret, Probe: probe,
		LabelFilter: "ACK-001 || IDM", Output: &out,
		ReportJSON: filepath.Join(dir, "summary.json"), JUnitReport: filepath.Join(dir, "junit.xml")}
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verdict != VerdictPassed || ExitCode(s, nil) != 0 || !strings.Contains(out.String(), "\nPASSED: ") {
		t.Errorf("verdict %s, exit %d:\n%s", s.Verdict, ExitCode(s, nil), out.String())
	}
	data, err := os.ReadFile(o.JUnitReport)
	if err != nil {
		t.Fatal(err)
	}
	j := parseJUnit(t, data)
	checkJUnitDoc(t, j, s)
	if bytes.Contains(data, []byte("ReportAfterSuite")) || bytes.Contains(data, []byte("BeforeSuite")) {
		t.Error("the JUnit report holds Ginkgo's suite nodes")
	}
	wd, _ := os.Getwd()
	if bytes.Contains(data, []byte(wd)) {
		t.Error("the JUnit report names the working directory")
	}
	var js map[string]any
	raw, err := os.ReadFile(o.ReportJSON)
	if err != nil || json.Unmarshal(raw, &js) != nil {
		t.Fatalf("report json: %v", err)
	}
	if js["passed"] != true || js["verdict"] != VerdictPassed || js["dry_run"] != false {
		t.Errorf("report json: passed %v, verdict %v, dry_run %v", js["passed"], js["verdict"], js["dry_run"])
	}
}

// TestDryRunWritesNoPass: a dry run is no pass in any report: JUnit test
// cases skipped ("dry run: would run"), "passed": null and "dry_run": true
// in the JSON, DRY RUN in the text; exit 0.
func TestDryRunWritesNoPass(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	o := Options{Provider: "roamify", Target: "http://127.0.0.1:1/hook", DryRun: true, Output: &out,
		ReportJSON: filepath.Join(dir, "summary.json"), JUnitReport: filepath.Join(dir, "junit.xml")}
	s, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verdict != VerdictDryRun || ExitCode(s, nil) != 0 {
		t.Errorf("verdict %s, exit %d", s.Verdict, ExitCode(s, nil))
	}
	if strings.Contains(out.String(), "PASSED") || !strings.Contains(out.String(), "\nDRY RUN: ") {
		t.Errorf("text:\n%s", out.String())
	}
	raw, err := os.ReadFile(o.ReportJSON)
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(raw, &js); err != nil {
		t.Fatal(err)
	}
	if p, ok := js["passed"]; !ok || p != nil || js["dry_run"] != true || js["verdict"] != VerdictDryRun {
		t.Errorf("report json: passed %v (present %v), dry_run %v, verdict %v", p, ok, js["dry_run"], js["verdict"])
	}
	for _, r := range s.Requirements {
		if r.Outcome == OutcomePassed {
			t.Errorf("%s passed in a dry run", r.ID)
		}
	}
	data, err := os.ReadFile(o.JUnitReport)
	if err != nil {
		t.Fatal(err)
	}
	j := parseJUnit(t, data)
	checkJUnitDoc(t, j, s)
	would := 0
	for _, c := range j.Suites[0].Cases {
		if c.Skipped == nil {
			t.Errorf("%s is not skipped in a dry run", c.Name)
		} else if c.Skipped.Message == dryRunMessage {
			would++
		}
	}
	if would == 0 {
		t.Errorf("no test case says %q", dryRunMessage)
	}
}

// TestLabelFilterSelection: the README's example selects the SIG and IDM
// requirements; a filter that selects nothing the run can check, or does
// not parse, is exit 2 with one plain line, decided before anything is
// sent (the target here is not even listening).
func TestLabelFilterSelection(t *testing.T) {
	dead := "http://127.0.0.1:1/hook"
	s, err := Run(context.Background(), Options{Provider: "roamify", Target: dead, DryRun: true, LabelFilter: "SIG || IDM"})
	if err != nil {
		t.Fatal(err)
	}
	var would []string
	for _, r := range s.Requirements {
		if r.WouldRun {
			would = append(would, r.ID)
			if !strings.HasPrefix(r.ID, "SIG-") && !strings.HasPrefix(r.ID, "IDM-") {
				t.Errorf("'SIG || IDM' selected %s", r.ID)
			}
		}
	}
	if !strings.Contains(strings.Join(would, " "), "SIG-001") || !strings.Contains(strings.Join(would, " "), "IDM-001") {
		t.Errorf("'SIG || IDM' would run %v", would)
	}

	secret := strings.Repeat("ab", 32)
	cases := []struct {
		name, provider, filter, probe string
		want                          []string
	}{
		{"no match", "roamify", "nosuch", "", []string{"--label-filter 'nosuch' matches no requirement (labels: ACK-001 … ", "MUST", "SHOULD", "SIG", "signature", "probe"}},
		{"not applicable", "esimaccess", "SIG", "", []string{"--label-filter 'SIG' matches no requirement that applies to esimaccess@", "(labels: ACK-001 … "}},
		{"needs probe", "roamify", "IDM-002 || IDM-003", "", []string{"--label-filter 'IDM-002 || IDM-003' selects only IDM-002, IDM-003, which need --probe"}},
		{"syntax", "roamify", "SIG-001 &&", "", []string{"--label-filter 'SIG-001 &&': "}},
		{"bad token", "roamify", "SIG || &IDM", "", []string{"--label-filter 'SIG || &IDM': Invalid token '&'. Did you mean '&&'? (at character 8)"}},
	}
	for _, tc := range cases {
		sec := secret
		if tc.provider == "esimaccess" {
			sec = ""
		}
		s, err := Run(context.Background(), Options{Provider: tc.provider, Target: dead, Secret: sec, Probe: tc.probe, LabelFilter: tc.filter})
		if ExitCode(s, err) != 2 {
			t.Errorf("%s: exit %d (%v), want 2", tc.name, ExitCode(s, err), err)
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tc.name, msg, w)
			}
		}
		if strings.ContainsAny(msg, "\n\x1b") || strings.Contains(msg, "{{") || strings.Contains(msg, "unreachable") {
			t.Errorf("%s: %q is not one plain line about the filter", tc.name, msg)
		}
	}
}

// TestInterruptedRunIsNotPassed cancels the run's context half-way: the
// requirements not reached are failed as not run, the run exits 1, and the
// reports agree.
func TestInterruptedRunIsNotPassed(t *testing.T) {
	v := variants(t)[0]
	secret := secretFor(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	target := serveCounted(t, v, secret, func(n int64, _ http.ResponseWriter, _ *http.Request) bool {
		if n == 3 {
			cancel() // Ctrl-C while the specs run
		}
		return true
	})
	s, err := Run(ctx, Options{Provider: v.Provider.Name, Variant: v.Name, Target: target, Secret: secret, LabelFilter: "!" + CategoryScenario})
	if err != nil {
		t.Fatal(err)
	}
	if s.Verdict != VerdictFailed || ExitCode(s, nil) != 1 || !strings.Contains(s.NotRun+outcomeOf(t, s, "ROB-002").Evidence, "interrupted") {
		t.Errorf("verdict %s, exit %d, not run %q, ROB-002 %+v", s.Verdict, ExitCode(s, nil), s.NotRun, outcomeOf(t, s, "ROB-002"))
	}
	if r := outcomeOf(t, s, "ROB-002"); r.Outcome != OutcomeFailed {
		t.Errorf("ROB-002 after the interrupt: %s %q", r.Outcome, r.Evidence)
	}
	checkJUnitAgrees(t, s)
}

// TestDeadlineRunIsNotPassed: a receiver that stops answering after the
// preflight runs the run into its --timeout: the spec cut short and the
// ones never reached are failed as not run, nothing passes, exit 1, and the
// reports agree.
func TestDeadlineRunIsNotPassed(t *testing.T) {
	v := variants(t)[0]
	secret := secretFor(t, v)
	done := make(chan struct{})
	defer close(done)
	target := serveCounted(t, v, secret, func(n int64, _ http.ResponseWriter, r *http.Request) bool {
		if n == 1 {
			return true // the preflight's delivery
		}
		// Read the body (only then does the server notice a client that
		// hangs up), then hang until the suite gives up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-done:
		}
		return false
	})
	s, err := Run(context.Background(), Options{Provider: v.Provider.Name, Variant: v.Name, Target: target, Secret: secret,
		Timeout: time.Second, LabelFilter: "!" + CategoryScenario})
	if err != nil {
		t.Fatal(err)
	}
	if s.Verdict != VerdictFailed || ExitCode(s, nil) != 1 || !strings.Contains(s.NotRun, "deadline of 1s") {
		t.Errorf("verdict %s, exit %d, not run %q", s.Verdict, ExitCode(s, nil), s.NotRun)
	}
	if n := s.Count(OutcomePassed); n != 0 {
		t.Errorf("%d requirements passed against a receiver that answered nothing", n)
	}
	for _, r := range s.Requirements {
		if r.Outcome == OutcomeFailed && !strings.HasPrefix(r.Evidence, notRunPrefix) {
			t.Errorf("%s: %q does not say it was not run", r.ID, r.Evidence)
		}
	}
	checkJUnitAgrees(t, s)
}

// serveCounted serves the example receiver for v behind front, which sees
// each request with its number (1 for the first) and says whether the
// receiver gets it; it returns the webhook URL.
func serveCounted(t *testing.T, v *providers.Variant, secret string, front func(n int64, w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if front(n.Add(1), w, r) {
			rcv.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}
