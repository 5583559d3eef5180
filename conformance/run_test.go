package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	deadURL := closed.URL + "/hook"
	closed.Close()
	live := httptest.NewServer(http.NotFoundHandler())
	defer live.Close()
	cases := map[string]Options{
		"no provider":      {Target: live.URL},
		"unknown provider": {Provider: "nosuch", Target: live.URL},
		"unknown variant":  {Provider: "roamify", Variant: "nosuch", Target: live.URL, Secret: "s"},
		"no target":        {Provider: "esimaccess"},
		"bad target":       {Provider: "esimaccess", Target: "ftp://x"},
		"no secret":        {Provider: "roamify", Target: live.URL},
		"unreachable":      {Provider: "esimaccess", Target: deadURL},
		"bad filter":       {Provider: "esimaccess", Target: live.URL, LabelFilter: "SIG-001 &&"},
		"ca file":          {Provider: "esimaccess", Target: live.URL, CAFile: filepath.Join(t.TempDir(), "none.pem")},
		"insecure prod":    {Provider: "esimaccess", Target: live.URL, Insecure: true, Production: true},
	}
	for name, o := range cases {
		sum, err := Run(context.Background(), o)
		if !errors.Is(err, ErrUsage) || ExitCode(sum, err) != 2 {
			t.Errorf("%s: err %v, exit %d; want a usage error, exit 2", name, err, ExitCode(sum, err))
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %q is not one line", name, err)
		}
	}
	if _, _, err := ParseHeader("X-Api-Key: abc"); err != nil {
		t.Error(err)
	}
	if _, _, err := ParseHeader("no colon"); err == nil {
		t.Error("ParseHeader accepted a header without a colon")
	}
}

// TestDryRunSendsNothing lists the requirements, sending no request.
func TestDryRunSendsNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Provider: "esimfly", Target: srv.URL, DryRun: true, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 0 {
		t.Errorf("the dry run sent %d requests", hits.Load())
	}
	if ExitCode(sum, nil) != 0 {
		t.Errorf("exit %d, want 0", ExitCode(sum, nil))
	}
	for _, r := range sum.Requirements {
		if r.Outcome != OutcomeSkipped {
			t.Errorf("%s: %s in a dry run", r.ID, r.Outcome)
		}
	}
	for _, want := range []string{"would run", "needs --probe", "needs --production", "DRY RUN"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestReports writes the summary, JUnit and Ginkgo JSON reports of a run
// against the example receiver, and checks the summary's shape.
func TestReports(t *testing.T) {
	v := variants(t)[0]
	secret := secretFor(t, v)
	target, _ := serveReceiver(t, v, secret, nil)
	dir := t.TempDir()
	o := Options{Provider: v.Provider.Name, Target: target, Secret: secret, LabelFilter: "ack || signature",
		ReportJSON: filepath.Join(dir, "summary.json"), JUnitReport: filepath.Join(dir, "junit.xml"), JSONReport: filepath.Join(dir, "ginkgo.json")}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(o.ReportJSON)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Provider, Variant, Target string
		Passed                    *bool
		Requirements              []struct{ ID, Level, Outcome, Evidence string }
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Provider != v.Provider.Name || got.Variant != v.Name || got.Target != target || got.Passed == nil || !*got.Passed {
		t.Errorf("summary header: %s", data[:200])
	}
	if len(got.Requirements) != len(Requirements().Requirements) {
		t.Errorf("%d requirements in the report, want every one of the catalogue", len(got.Requirements))
	}
	for _, r := range got.Requirements {
		if (r.Outcome != OutcomePassed && r.Outcome != OutcomeFailed && r.Outcome != OutcomeSkipped) || r.Evidence == "" || r.Level == "" {
			t.Errorf("requirement %+v", r)
		}
		if r.ID == "IDM-001" && r.Evidence != "filtered out by --label-filter" {
			t.Errorf("%s: %q, want filtered out", r.ID, r.Evidence)
		}
	}
	for _, f := range []string{o.JUnitReport, o.JSONReport} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
