package engine

import (
	"fmt"
	"testing"
	"time"
	"unique"
)

// BenchmarkPendingMemory measures the scheduler's memory for one million
// pending retries: the heap entry, the index and the delivery id itself
// (bodies live in the Store). The budget is 1 GiB.
func BenchmarkPendingMemory(b *testing.B) {
	const n = 1_000_000
	eps := make([]unique.Handle[string], 100)
	for i := range eps {
		eps[i] = unique.Make(fmt.Sprint("ep", i))
	}
	for range b.N {
		before := engHeapInUse()
		s := newScheduler(RealClock{}, 64, 16, 0, nil)
		base := time.Now().Add(time.Hour)
		for i := range n {
			id := fmt.Sprintf("dlv_%020d", i) // as long as engine ids
			s.add(id, eps[i%len(eps)], base.Add(time.Duration(i*7919%n)*time.Millisecond))
		}
		after := engHeapInUse()
		if s.count() != n {
			b.Fatalf("count %d", s.count())
		}
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/1M-pending")
		b.ReportMetric(float64(after-before)/n, "B/pending")
		if after-before > 1<<30 {
			b.Fatalf("1M pending take %d bytes, over 1 GiB", after-before)
		}
		engKeepAlive(s)
	}
}
