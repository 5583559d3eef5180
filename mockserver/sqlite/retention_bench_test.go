//go:build unix

package sqlite

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// BenchmarkDeliveryRetention is BenchmarkDeliveryParallel on the log as
// esimhooks serve opens it (OpenSegmented with SegmentsFor), without
// retention and with the pruner keeping the newest 10,000 deliveries:
// from the 10,001st delivery on, it drops segments as fast as they fill
// ("rows" is the same with Store.Prune removing rows through the single
// writer). Run enough deliveries for pruning to dominate, alternating
// them (issue 13's target: within 10 %):
//
//	go test -run '^$' -bench DeliveryRetention -benchtime 40000x -count 4 ./mockserver/sqlite/
func BenchmarkDeliveryRetention(b *testing.B) {
	for _, c := range []struct {
		name string
		ret  engine.Retention
		rows bool
	}{
		{"off", engine.Retention{}, false},
		{"keep10000", engine.Retention{MaxCount: 10000}, false},
		{"keep10000/rows", engine.Retention{MaxCount: 10000}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var s interface {
				engine.Store
				engine.LogSizer
			}
			if c.rows {
				s, _ = openTemp(b)
			} else {
				l := openSegmented(b, filepath.Join(b.TempDir(), "log.db"), SegmentsFor(c.ret))
				defer l.Close()
				s = l
			}
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

// BenchmarkSegmentDrop measures the alternative to pruning row by row that
// the README names for the retention target: a log cut into segments
// (each a deliveries and an attempts table with every index), which
// retention drops whole. On a log of 20,000 deliveries with an attempt
// each, it copies the newest half into such a segment and drops it, then
// prunes the oldest half with Prune, and logs the CPU and wall time per
// delivery of each (run it with -benchtime 1x). Neither gives pages back
// to the file system (the incremental vacuum is off), as in a log whose
// retention is steady.
func BenchmarkSegmentDrop(b *testing.B) {
	const n = 20000
	defer func(v int64) { vacuumMinFree = v }(vacuumMinFree)
	vacuumMinFree = math.MaxInt64
	for b.Loop() {
		b.StopTimer()
		s, _ := openTemp(b)
		ctx := b.Context()
		for _, d := range putPool(b, s, n) {
			d.Attempts, d.State = 1, engine.StateDelivered
			if err := s.AddAttempt(ctx, benchAttempt(d, 1), d); err != nil {
				b.Fatal(err)
			}
		}
		// The segment's schema: the log's, every name prefixed with seg_.
		rows, err := s.w.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_master
WHERE tbl_name IN ('deliveries', 'attempts') AND sql IS NOT NULL ORDER BY type DESC`)
		if err != nil {
			b.Fatal(err)
		}
		var ddl []string
		table := regexp.MustCompile(`\b(deliveries|attempts)\b`)
		for rows.Next() {
			var typ, name, q string
			if err := rows.Scan(&typ, &name, &q); err != nil {
				b.Fatal(err)
			}
			q = table.ReplaceAllString(q, "seg_$1")
			if typ == "index" {
				q = strings.Replace(q, "INDEX "+name, "INDEX seg_"+name, 1)
			}
			ddl = append(ddl, q)
		}
		if err := rows.Close(); err != nil {
			b.Fatal(err)
		}
		ddl = append(ddl,
			fmt.Sprintf("INSERT INTO seg_deliveries SELECT * FROM deliveries WHERE seq > %d", n/2),
			fmt.Sprintf("INSERT INTO seg_attempts SELECT * FROM attempts WHERE delivery_seq > %d", n/2),
			"PRAGMA wal_checkpoint(TRUNCATE)")
		for _, q := range ddl {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		b.StartTimer()

		cpu0, t0 := processCPU(), time.Now()
		if _, err := s.w.ExecContext(ctx, "BEGIN IMMEDIATE; DROP TABLE seg_attempts; DROP TABLE seg_deliveries; COMMIT"); err != nil {
			b.Fatal(err)
		}
		dropCPU, dropWall := processCPU()-cpu0, time.Since(t0)
		if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		cpu0, t0 = processCPU(), time.Now()
		pruned := 0
		for {
			res, err := s.Prune(ctx, engine.PruneRule{Keep: n / 2})
			if err != nil {
				b.Fatal(err)
			}
			pruned += res.Deliveries
			if !res.More {
				break
			}
		}
		pruneCPU, pruneWall := processCPU()-cpu0, time.Since(t0)
		if pruned != n/2 {
			b.Fatalf("pruned %d deliveries, want %d", pruned, n/2)
		}
		per := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(n/2) }
		b.ReportMetric(per(dropCPU), "drop-cpu-µs/delivery")
		b.ReportMetric(per(pruneCPU), "prune-cpu-µs/delivery")
		b.Logf("a segment of %d deliveries dropped: %.1f CPU-µs and %.1f µs a delivery; as many pruned: %.1f CPU-µs and %.1f µs a delivery",
			n/2, per(dropCPU), per(dropWall), per(pruneCPU), per(pruneWall))
	}
}
