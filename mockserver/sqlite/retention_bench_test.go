//go:build unix

package sqlite

import (
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// BenchmarkDeliveryRetention is BenchmarkDeliveryParallel without
// retention and with the pruner keeping the newest 10,000 deliveries:
// from the 10,001st delivery on, it removes as many as arrive, through the
// same writer. Run enough deliveries for pruning to dominate, alternating
// the two (issue 13's target: within 10 %):
//
//	go test -run '^$' -bench DeliveryRetention -benchtime 40000x -count 4 ./mockserver/sqlite/
func BenchmarkDeliveryRetention(b *testing.B) {
	for _, c := range []struct {
		name string
		ret  engine.Retention
	}{
		{"off", engine.Retention{}},
		{"keep10000", engine.Retention{MaxCount: 10000}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, _ := openTemp(b)
			stop := engine.RunPruner(s, c.ret, nil)
			defer stop()
			benchDeliveries(b, s)
			b.StopTimer()
			if sz, err := s.LogSize(b.Context()); err == nil {
				b.ReportMetric(float64(sz.Deliveries), "held")
			}
		})
	}
}

// BenchmarkPrune measures what pruning costs per delivery removed: the
// log holds b.N deliveries with an attempt each (and search terms), and
// Prune removes all but one, in the pruner's batches. cpu-µs/op is the
// process's CPU time per delivery pruned, the writer's share of which
// retention adds to every delivery once the log is full.
func BenchmarkPrune(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	pool := putPool(b, s, b.N+1)
	for _, d := range pool {
		d.Attempts, d.State = 1, engine.StateDelivered
		if err := s.AddAttempt(ctx, benchAttempt(d, 1), d); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := processCPU()
	pruned := 0
	for {
		res, err := s.Prune(ctx, engine.PruneRule{Keep: 1})
		if err != nil {
			b.Fatal(err)
		}
		pruned += res.Deliveries
		if !res.More {
			break
		}
	}
	b.StopTimer()
	if pruned != b.N {
		b.Fatalf("pruned %d deliveries, want %d", pruned, b.N)
	}
	reportRate(b, "pruned/s", cpu0)
}
