package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/benchkit"
)

// TestBenchMeasuresBothSidesAndWritesAProfile: a small run reports
// positive rates for the engine and the plain client, their ratio and the
// latency percentiles, and --cpuprofile leaves a profile behind.
func TestBenchMeasuresBothSidesAndWritesAProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code, out, errs := cli(t, "", "bench", "--n", "200", "--concurrency", "4", "--store", "memory", "--json", "--cpuprofile", prof)
	if code == 1 && strings.Contains(errs, "already in use") {
		t.Skip("the test binary is being profiled itself (go test -cpuprofile)")
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res map[string]benchkit.BenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	r, ok := res["memory"]
	if !ok || len(res) != 1 {
		t.Fatalf("results %v, want the memory log only", res)
	}
	if r.N != 200 || r.EngineRate <= 0 || r.PlainRate <= 0 || r.Ratio != r.EngineRate/r.PlainRate ||
		r.LatencyP50 <= 0 || r.LatencyP99 < r.LatencyP50 {
		t.Fatalf("implausible result %+v", r)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Fatalf("no CPU profile written: %v", err)
	}
	if code, _, errs := cli(t, "", "bench", "--store", "mongo"); code != 2 {
		t.Fatalf("--store mongo: exit %d, stderr %q", code, errs)
	}
}

// TestBenchRemovesItsSQLiteLog: the SQLite run's database goes into a
// temporary directory that is gone when bench returns.
func TestBenchRemovesItsSQLiteLog(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	code, out, errs := cli(t, "", "bench", "--n", "200", "--concurrency", "4", "--store", "sqlite", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res map[string]benchkit.BenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res["sqlite"].EngineRate <= 0 {
		t.Fatalf("results %v, %v", res, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("bench left %d entries in TMPDIR, the first %s", len(left), left[0].Name())
	}
}

// TestBenchStormReportsBothPhases: a small storm run reports the healthy
// endpoint's percentiles idle and under the storm, their ratio, and the
// storm deliveries made meanwhile; by default for the case (one
// storming endpoint) first, then the harsher one (20 and one hanging),
// with the storm's receivers in a process of their own, and only the case
// asked for when --storm-endpoints or --hanging is given.
func TestBenchStormReportsBothPhases(t *testing.T) {
	run := func(args ...string) []benchkit.StormResult {
		t.Helper()
		args = append([]string{"bench", "--scenario", "storm", "--samples", "100", "--duplicates", "10", "--blocks", "2", "--json"}, args...)
		code, out, errs := cli(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rs []benchkit.StormResult
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			t.Fatalf("output is not a JSON array: %v\n%s", err, out)
		}
		for _, r := range rs {
			if r.Samples != 100 || r.Blocks != 2 || r.Duplicates != 10 ||
				r.IdleP50 <= 0 || r.IdleP99 < r.IdleP50 || r.StormP50 <= 0 || r.StormP99 < r.StormP50 ||
				r.Ratio != float64(r.StormP99)/float64(r.IdleP99) || r.StormDelivered <= 0 || r.IdleStartP99 <= 0 ||
				r.StormCallP99 <= 0 {
				t.Fatalf("implausible result %+v", r)
			}
		}
		return rs
	}
	rs := run()
	if len(rs) != 2 || rs[0].StormEndpoints != 1 || rs[0].Hanging != 0 || rs[1].StormEndpoints != 20 || rs[1].Hanging != 1 {
		t.Fatalf("default cases: got %+v, want one storming endpoint, then 20 and one hanging", rs)
	}
	if rs[0].InProcessReceivers || rs[1].InProcessReceivers {
		t.Fatalf("the receivers ran in the engine's process by default: %+v", rs)
	}
	rs = run("--storm-endpoints", "2", "--hanging", "1", "--receivers", "inprocess")
	if len(rs) != 1 || rs[0].StormEndpoints != 2 || rs[0].Hanging != 1 || !rs[0].InProcessReceivers {
		t.Fatalf("asked for 2 storming endpoints and one hanging, receivers in process, got %+v", rs)
	}
	if code, _, errs := cli(t, "", "bench", "--scenario", "storm", "--receivers", "elsewhere"); code != 2 || !strings.Contains(errs, "--receivers") {
		t.Fatalf("--receivers elsewhere: exit %d, stderr %q", code, errs)
	}
}
