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
