package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/benchkit"
)

// TestBenchRetentionScenario: the retention scenario feeds the memory
// store and reports what it holds, never less than the retention, with
// two attempts a delivery, and the rest pruned; a bad --retain is a usage
// error. The throughput scenario runs with a pruner too.
func TestBenchRetentionScenario(t *testing.T) {
	code, out, errs := cli(t, "", "bench", "--scenario", "retention", "--n", "3000", "--retain", "100", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r RetentionBenchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if r.N != 3000 || r.Retention != "100" || r.HeldDeliveries < 100 || r.HeldAttempts != 2*r.HeldDeliveries ||
		r.Pruned != 3000-r.HeldDeliveries || r.Rate <= 0 || runtime.GOOS == "linux" && r.PeakRSS < r.FinalRSS {
		t.Fatalf("implausible result %+v", r)
	}
	if code, _, errs := cli(t, "", "bench", "--scenario", "retention", "--retain", "soon"); code != 2 || !strings.Contains(errs, "--retain") {
		t.Fatalf("--retain soon: exit %d, stderr %q", code, errs)
	}
	code, out, errs = cli(t, "", "bench", "--n", "200", "--concurrency", "4", "--store", "memory", "--retain", "50", "--json")
	var res map[string]benchkit.BenchResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["memory"].EngineRate <= 0 {
		t.Fatalf("throughput with --retain 50: exit %d, %s%s", code, out, errs)
	}
}
