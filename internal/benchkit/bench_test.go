package benchkit

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestMain: the storm benchmark starts this test binary again as its
// receivers (see ServeReceiversIfChild).
func TestMain(m *testing.M) {
	ServeReceiversIfChild()
	os.Exit(m.Run())
}

// BenchmarkEngineVsPlainClient sends b.N signed deliveries through the
// engine (memory store) and b.N identical POSTs from a plain client at the
// same concurrency, and reports both rates and their ratio (target ≥ 0.9),
// plus trigger-to-first-attempt latency. Run it with a fixed count, e.g.
// -bench EngineVsPlain -benchtime 20000x.
func BenchmarkEngineVsPlainClient(b *testing.B) {
	res, err := RunBench(context.Background(), BenchOptions{N: max(b.N, 1000), Concurrency: 16, LatencySamples: 500})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.EngineRate, "engine-deliveries/s")
	b.ReportMetric(res.PlainRate, "plain-requests/s")
	b.ReportMetric(res.Ratio, "engine/plain")
	b.ReportMetric(float64(res.LatencyP50)/float64(time.Millisecond), "p50-trigger-ms")
	b.ReportMetric(float64(res.LatencyP99)/float64(time.Millisecond), "p99-trigger-ms")
}

// BenchmarkTriggerLatency reports the p50 and p99 time from Trigger to the
// engReceiver reading the first attempt (target p99 ≤ 5 ms on loopback).
func BenchmarkTriggerLatency(b *testing.B) {
	res, err := RunBench(context.Background(), BenchOptions{N: 1000, Concurrency: 16, LatencySamples: max(b.N, 200)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.LatencyP50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(res.LatencyP99)/float64(time.Millisecond), "p99-ms")
}

// BenchmarkHealthyDuringStorm reports a healthy endpoint's
// trigger-to-first-attempt p50 and p99 on an idle engine and under a
// storm, in alternating blocks (RunStormBench): the case, one
// other endpoint receiving 100-duplicate triggers without let-up, and a
// harsher one, 20 such endpoints plus one that hangs. The target is a
// storm p99 within 2× the idle one. -benchtime Nx sets the samples of each
// phase.
func BenchmarkHealthyDuringStorm(b *testing.B) {
	for _, c := range []struct {
		name string
		opts StormOptions
	}{
		{"one-storm-endpoint", StormOptions{StormEndpoints: 1, Hanging: -1}},
		{"20-storm-endpoints+1-hanging", StormOptions{StormEndpoints: 20, Hanging: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			opts := c.opts
			opts.Samples = max(b.N, 1000)
			res, err := RunStormBench(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(res.IdleP50), "idle-p50-ms")
			b.ReportMetric(ms(res.IdleP99), "idle-p99-ms")
			b.ReportMetric(ms(res.StormP50), "storm-p50-ms")
			b.ReportMetric(ms(res.StormP99), "storm-p99-ms")
			b.ReportMetric(res.Ratio, "storm/idle-p99")
			b.ReportMetric(ms(res.IdleStartP99), "idle-start-p99-ms")
			b.ReportMetric(ms(res.StormStartP99), "storm-start-p99-ms")
			b.ReportMetric(ms(res.StormCallP99), "storm-trigger-call-p99-ms")
			b.ReportMetric(res.StormRate, "storm-deliveries/s")
			b.ReportMetric(res.StormGCRate, "storm-gc/s")
			b.ReportMetric(res.StormAllocPerDelivery, "storm-B/delivery")
			b.ReportMetric(res.StormObjectsPerDelivery, "storm-objects/delivery")
			b.ReportMetric(float64(res.StormCPUPerDelivery)/float64(time.Microsecond), "storm-cpu-µs/delivery")
		})
	}
}

// countingStore counts the deliveries put in a memory store.
type countingStore struct {
	engine.Store
	puts atomic.Int64
}

func (s *countingStore) PutDelivery(ctx context.Context, d *engine.Delivery) error {
	s.puts.Add(1)
	return s.Store.PutDelivery(ctx, d)
}

// TestRunBenchFills checks that Fill deliveries go to the log before the
// timed rounds, besides the warm-up, the rounds and the latency samples.
func TestRunBenchFills(t *testing.T) {
	for _, fill := range []int{0, 70} {
		st := &countingStore{Store: engine.NewMemoryStore()}
		const n, samples = 40, 5
		if _, err := RunBench(t.Context(), BenchOptions{N: n, Concurrency: 4, LatencySamples: samples, Fill: fill,
			Store: func() (engine.Store, error) { return st, nil }}); err != nil {
			t.Fatal(err)
		}
		// The warm-up is min(N, 500) deliveries.
		if want := int64(n + fill + benchRounds*n + samples); st.puts.Load() != want {
			t.Errorf("Fill %d: %d deliveries put, want %d", fill, st.puts.Load(), want)
		}
	}
}
