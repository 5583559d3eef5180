package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
)

func TestZZEngine(t *testing.T) {
	for _, name := range []string{"sqlite"} {
		opts := mockserver.BenchOptions{N: 30000, Concurrency: 16, LatencySamples: 50}
		if name == "sqlite" {
			dir := t.TempDir()
			opts.Store = func() (mockserver.Store, error) { return Open(filepath.Join(dir, "log.db")) }
		}
		res, err := mockserver.RunBench(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: engine %.0f/s plain %.0f/s ratio %.2f p50 %v p99 %v", name, res.EngineRate, res.PlainRate, res.Ratio, res.LatencyP50, res.LatencyP99)
	}
}
