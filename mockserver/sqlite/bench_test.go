//go:build unix

package sqlite

import (
	"bytes"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// benchID returns the id of the benchmarks' delivery i. Like the engine's
// ids, the ids of successive deliveries are far apart in every index
// keyed on them.
func benchID[I int | int64](i I) string {
	return "d_" + strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15, 36)
}

// benchDelivery returns a delivery like the engine's: a 1 KiB body.
func benchDelivery(id string) *engine.Delivery {
	now := time.Now()
	return &engine.Delivery{
		ID: id, EventID: "evt_" + id, EndpointID: "ep1", Provider: "airalo", Event: "order.completed",
		WireID: "wire_" + id, Key: "key_" + id, Body: bytes.Repeat([]byte("x"), 1024),
		State: engine.StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
}

// benchAttempt returns attempt n of d, with headers and a short answer.
func benchAttempt(d *engine.Delivery, n int) *engine.Attempt {
	return &engine.Attempt{
		DeliveryID: d.ID, EndpointID: d.EndpointID, Provider: d.Provider, Event: d.Event, N: n,
		StartedAt: time.Now(), URL: "http://127.0.0.1:8080/hook",
		RequestHeaders: http.Header{"Content-Type": {"application/json"}, "X-Signature": {"t=1,v1=0123456789abcdef0123456789abcdef"}},
		RequestBody:    d.Body, Status: 200, ResponseHeaders: http.Header{"Content-Length": {"2"}},
		ResponseBody: []byte("ok"), Latency: time.Millisecond, Success: true, Outcome: engine.StateDelivered,
	}
}

// reportRate adds ops/s to b's results, and the process's CPU time (user
// and system, every goroutine) per op, which on a shared machine says more
// than the wall clock. Call startCPU after the setup.
func reportRate(b *testing.B, unit string, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

// processCPU returns the CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkPutDelivery(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		if err := s.PutDelivery(ctx, benchDelivery(benchID(i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, "puts/s", cpu0)
}

// putPool puts n deliveries for the attempt benchmarks and returns them.
func putPool(b *testing.B, s *Store, n int) []*engine.Delivery {
	pool := make([]*engine.Delivery, n)
	for i := range pool {
		pool[i] = benchDelivery(benchID(i))
		if err := s.PutDelivery(b.Context(), pool[i]); err != nil {
			b.Fatal(err)
		}
	}
	return pool
}

// attemptOn returns attempt i of the benchmark on pool, and the delivery's
// state after it: the deliveries take attempts in turn, each a retry.
func attemptOn(pool []*engine.Delivery, i int) (*engine.Attempt, *engine.Delivery) {
	d := *pool[i%len(pool)]
	d.Attempts = i/len(pool) + 1
	d.NextAttemptAt = d.CreatedAt.Add(time.Duration(d.Attempts) * time.Second)
	d.UpdatedAt = time.Now()
	a := benchAttempt(&d, d.Attempts)
	a.Status, a.Success, a.Outcome, a.NextRetryAt = 503, false, engine.StatePending, d.NextAttemptAt
	return a, &d
}

// BenchmarkAddAttempt records attempts one after another, each on a
// delivery already in the log, as the engine does.
func BenchmarkAddAttempt(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	pool := putPool(b, s, 1000)
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		a, d := attemptOn(pool, i)
		if err := s.AddAttempt(ctx, a, d); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportRate(b, "attempts/s", cpu0)
}

// BenchmarkAddAttemptParallel records attempts from many goroutines, as
// the engine's senders do.
func BenchmarkAddAttemptParallel(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	pool := putPool(b, s, 1000)
	var next atomic.Int64
	b.SetParallelism(8)
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, d := attemptOn(pool, int(next.Add(1)-1))
			if err := s.AddAttempt(ctx, a, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "attempts/s", cpu0)
}

// BenchmarkDeliveryParallel runs whole deliveries from many goroutines:
// PutDelivery, a failed attempt, then a successful one.
func BenchmarkDeliveryParallel(b *testing.B) {
	s, _ := openTemp(b)
	benchDeliveries(b, s)
}

// benchDeliveries is BenchmarkDeliveryParallel on s.
func benchDeliveries(b *testing.B, s engine.Store) {
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism(8)
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := benchDelivery(benchID(next.Add(1)))
			if err := s.PutDelivery(ctx, d); err != nil {
				b.Error(err)
				return
			}
			for n := 1; n <= 2; n++ {
				a := benchAttempt(d, n)
				d.Attempts, d.State = n, a.Outcome
				if n == 1 {
					a.Status, a.Success, a.Outcome = 503, false, engine.StatePending
					d.State = a.Outcome
				}
				if err := s.AddAttempt(ctx, a, d); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	reportRate(b, "deliveries/s", cpu0)
}

// BenchmarkPutAttemptParallel runs the engine's path for a delivery that
// succeeds at once, from 16 goroutines: PutDelivery of the pending
// delivery, then AddAttempt of its one, successful, attempt.
func BenchmarkPutAttemptParallel(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := benchDelivery(benchID(next.Add(1)))
			if err := s.PutDelivery(ctx, d); err != nil {
				b.Error(err)
				return
			}
			a := benchAttempt(d, 1)
			d.Attempts, d.State, d.NextAttemptAt, d.UpdatedAt = 1, a.Outcome, time.Time{}, time.Now()
			if err := s.AddAttempt(ctx, a, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "deliveries/s", cpu0)
}

// BenchmarkWriterBatch measures the writer alone, without the scheduling
// that decides how many writes share a commit: each commit holds 5
// PutDelivery writes and 5 AddAttempt writes, the latter on the deliveries
// put by the commit before, as in BenchmarkPutAttemptParallel's steady
// state. It reports cpu-µs per write, the preparation of its arguments
// included; on a shared machine it varies much less than the parallel
// benchmarks.
func BenchmarkWriterBatch(b *testing.B) {
	const half = 5
	s, _ := openTemp(b)
	ctx := b.Context()
	var prev []*engine.Delivery
	n := 0
	pages0 := s.wc.pagesWritten(b)
	cpu0 := processCPU()
	for i := 0; i < b.N; i += 2 * half {
		batch := make([]*writeReq, 0, 2*half)
		add := func(run func(c *wconn) error, err error) {
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, &writeReq{ctx: ctx, run: run, done: make(chan error, 1)})
		}
		var next []*engine.Delivery
		for range half {
			d := benchDelivery(benchID(n))
			n++
			add(s.putDeliveryWrite(d))
			next = append(next, d)
		}
		for _, d := range prev {
			a := benchAttempt(d, 1)
			d.Attempts, d.State, d.NextAttemptAt, d.UpdatedAt = 1, a.Outcome, time.Time{}, time.Now()
			add(s.addAttemptWrite(a, d))
		}
		s.commit(batch)
		for _, r := range batch {
			if err := <-r.done; err != nil {
				b.Fatal(err)
			}
		}
		prev = next
	}
	reportRate(b, "writes/s", cpu0)
	b.ReportMetric(float64(s.wc.pagesWritten(b)-pages0)/float64(n), "pages/delivery")
}
