package benchkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// StormOptions configures RunStormBench; zero fields take the defaults.
type StormOptions struct {
	// StormEndpoints is how many endpoints receive the storm; default 20.
	StormEndpoints int
	// Duplicates is the chaos duplicates of every storm trigger; default
	// 100 (101 deliveries per trigger and endpoint).
	Duplicates int
	// StormLatency is how long the storm receivers take to answer, like an
	// application writing to its database; default 5 ms. A negative value
	// means 0: they answer at once, and the storm then competes with the
	// healthy endpoint for the CPU as much as for the engine.
	StormLatency time.Duration
	// Hanging is how many endpoints never answer (each is sent a storm too,
	// so that it holds every attempt slot it may hold until the ack
	// deadline); default 1, negative for none.
	Hanging int
	// Samples is how many single triggers to the healthy endpoint are timed
	// idle and again during the storm, Every apart (so that they sample the
	// storm over time, not its first moment); default 1000 (the p99 is then
	// the tenth slowest, not one unlucky sample) and 10 ms.
	Samples int
	Every   time.Duration
	// Blocks is how many times the run alternates between an idle block
	// and a storm block, Samples/Blocks samples each (default 5): on a
	// shared machine whose load drifts over seconds, both phases then see
	// the same machine. Before each storm block's samples the storm has
	// run a round; before each idle block it has drained. Default 10.
	Blocks int
	// InProcessReceivers runs the storm's receivers in this process, as
	// goroutines beside the engine's, instead of in a process of their own
	// (see ServeReceiversIfChild). Real receivers are other programs: in
	// this process their garbage and goroutines would be the engine's
	// too, which measures the receivers as much as the engine.
	InProcessReceivers bool
	// Workers and MaxPerEndpoint configure the engine; 0 takes the
	// engine's (and serve's) defaults.
	Workers, MaxPerEndpoint int
	// Store makes the engine's store (RunStormBench closes it); nil uses
	// engine.NewMemoryStore.
	Store func() (engine.Store, error)
}

// StormResult is what RunStormBench measured. Latencies run from calling
// Trigger for the healthy endpoint to its receiver reading the request.
type StormResult struct {
	StormEndpoints int           `json:"storm_endpoints"`
	Duplicates     int           `json:"duplicates"`
	StormLatency   time.Duration `json:"storm_latency_ns"`
	Hanging        int           `json:"hanging"`
	Samples        int           `json:"samples"`
	IdleP50        time.Duration `json:"idle_p50_ns"`
	IdleP99        time.Duration `json:"idle_p99_ns"`
	StormP50       time.Duration `json:"storm_p50_ns"`
	StormP99       time.Duration `json:"storm_p99_ns"`
	// IdleStartP99 and StormStartP99 are the p99 of the engine's share:
	// from calling Trigger to the attempt starting (Attempt.StartedAt),
	// before the network, the receiver and the machine's other load.
	IdleStartP99  time.Duration `json:"idle_start_p99_ns"`
	StormStartP99 time.Duration `json:"storm_start_p99_ns"`
	// IdleCallP99 and StormCallP99 are the p99 of the Trigger call itself
	// (the trigger path's locks included).
	IdleCallP99  time.Duration `json:"idle_call_p99_ns"`
	StormCallP99 time.Duration `json:"storm_call_p99_ns"`
	Blocks       int           `json:"blocks"`
	// InProcessReceivers: the storm's receivers ran in the engine's
	// process (StormOptions.InProcessReceivers).
	InProcessReceivers bool `json:"in_process_receivers"`
	// IdleGCRate and StormGCRate are the engine process's garbage
	// collections per second while the healthy endpoint was timed idle
	// and under the storm.
	IdleGCRate  float64 `json:"idle_gc_per_s"`
	StormGCRate float64 `json:"storm_gc_per_s"`
	// StormAllocPerDelivery is what the engine's process allocated on the
	// heap while the healthy endpoint was timed under the storm, per storm
	// delivery made meanwhile (in bytes): the garbage that sets the GC
	// rate. With InProcessReceivers it includes the receivers' garbage.
	StormAllocPerDelivery float64 `json:"storm_alloc_per_delivery"`
	// StormObjectsPerDelivery is the same count in heap objects: what
	// the allocator's and the collector's work per object scales with.
	StormObjectsPerDelivery float64 `json:"storm_objects_per_delivery"`
	// StormCPUPerDelivery is the CPU time (user and system) the engine's
	// process used while the healthy endpoint was timed under the storm,
	// per storm delivery made meanwhile: what a storm delivery costs the
	// engine, a figure that waiting for a busy machine's CPUs does not
	// inflate as it does latencies. With InProcessReceivers it includes the
	// receivers' CPU; 0 where the system does not report it.
	StormCPUPerDelivery time.Duration `json:"storm_cpu_per_delivery_ns"`
	// Ratio is StormP99 / IdleP99 (target ≤ 2).
	Ratio float64 `json:"ratio"`
	// StormDelivered is how many attempts to the storm endpoints were
	// recorded while the healthy endpoint was timed under the storm, and
	// StormRate that many per second.
	StormDelivered int64   `json:"storm_delivered"`
	StormRate      float64 `json:"storm_rate"`
}

// RunStormBench measures how well the engine isolates endpoints: it times
// Samples single deliveries (Standard Webhooks order.created), Every apart,
// to a healthy receiver on an idle engine and while StormEndpoints other
// endpoints each receive trigger after trigger with Duplicates copies
// (a new round as soon as half of the last one is delivered, so the storm
// never lets up), in Blocks alternating idle and storm blocks. Hanging
// endpoints, each sent one storm after the first idle block, hold their
// attempt slots without ever answering for the rest of the run.
// Everything listens on 127.0.0.1. ctx cancels the run.
func RunStormBench(ctx context.Context, opts StormOptions) (*StormResult, error) {
	if opts.StormEndpoints <= 0 {
		opts.StormEndpoints = 20
	}
	if opts.Duplicates <= 0 {
		opts.Duplicates = 100
	}
	switch {
	case opts.StormLatency == 0:
		opts.StormLatency = 5 * time.Millisecond
	case opts.StormLatency < 0:
		opts.StormLatency = 0
	}
	switch {
	case opts.Hanging == 0:
		opts.Hanging = 1
	case opts.Hanging < 0:
		opts.Hanging = 0
	}
	if opts.Samples <= 0 {
		opts.Samples = 1000
	}
	if opts.Every <= 0 {
		opts.Every = 10 * time.Millisecond
	}
	if opts.Blocks <= 0 {
		opts.Blocks = 10
	}
	opts.Blocks = min(opts.Blocks, opts.Samples)
	if opts.Store == nil {
		opts.Store = func() (engine.Store, error) { return engine.NewMemoryStore(), nil }
	}
	cat, err := providers.Builtin()
	if err != nil {
		return nil, err
	}
	const provider, event = "standard", "order.created"
	v, _, p, secret, err := benchEvent(cat, provider, event)
	if err != nil {
		return nil, err
	}
	healthy, err := startNullReceiver()
	if err != nil {
		return nil, err
	}
	defer healthy.close()
	var storm receivers
	if opts.InProcessReceivers {
		storm, err = startStormReceiver(opts.StormLatency, opts.StormEndpoints+opts.Hanging)
	} else {
		storm, err = startChildReceivers(opts.StormLatency, opts.StormEndpoints+opts.Hanging)
	}
	if err != nil {
		return nil, err
	}
	defer storm.close()
	bases := storm.urls()

	store, err := opts.Store()
	if err != nil {
		return nil, err
	}
	defer store.Close()
	addEP := func(id, url string) error {
		now := time.Now()
		return store.PutEndpoint(ctx, &engine.Endpoint{ID: id, URL: url, Provider: v.Provider.Name, Variant: v.Name,
			Secret: secret, Source: "cli", CreatedAt: now, UpdatedAt: now})
	}
	if err := addEP("healthy", healthy.url); err != nil {
		return nil, err
	}
	var stormIDs, hangIDs []string
	for i := range opts.StormEndpoints {
		id := fmt.Sprintf("storm%02d", i)
		if err := addEP(id, bases[i]+"/"+id); err != nil {
			return nil, err
		}
		stormIDs = append(stormIDs, id)
	}
	for i := range opts.Hanging {
		id := fmt.Sprintf("hang%02d", i)
		if err := addEP(id, bases[opts.StormEndpoints+i]+"/hang"); err != nil {
			return nil, err
		}
		hangIDs = append(hangIDs, id)
	}
	// stormDone counts the storm's recorded attempts; the storm's driver
	// waits for it to reach stormWant, and is woken only then (not at every
	// attempt: its own wake-ups, thousands a second, would be the
	// harness's CPU and scheduling spent in the engine's process).
	var stormDone, stormWant atomic.Int64
	progress := make(chan struct{}, 1)
	started := make(chan time.Time, 1)
	observe := func(a *engine.Attempt) {
		switch {
		case a.EndpointID == "healthy":
			started <- a.StartedAt
		case strings.HasPrefix(a.EndpointID, "storm"):
			if stormDone.Add(1) >= stormWant.Load() {
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}
	}
	e, err := engine.NewEngine(engine.EngineConfig{Catalogue: cat, Store: store, Workers: opts.Workers, MaxPerEndpoint: opts.MaxPerEndpoint,
		OnAttempt: observe})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	// The hanging receiver is released before the engine closes, so that
	// Close does not wait for ack deadlines.
	defer storm.release()
	if err := e.Start(ctx); err != nil {
		return nil, err
	}
	healthyTr := engine.Trigger{Provider: provider, Event: event, EndpointIDs: []string{"healthy"}, Payload: p}
	if _, err := benchLatency(ctx, e, healthy, healthyTr, min(opts.Samples, 50), 0, started); err != nil { // warm-up
		return nil, err
	}

	chaos := &engine.Chaos{Duplicates: opts.Duplicates}
	round := int64(len(stormIDs) * (opts.Duplicates + 1))
	var sent int64 // storm deliveries triggered; only the storm's driver changes it while it runs
	fire := func(ctx context.Context) error {
		for _, id := range stormIDs {
			if _, err := e.Trigger(ctx, engine.Trigger{Provider: provider, Event: event, EndpointIDs: []string{id}, Payload: p, Chaos: chaos}); err != nil {
				return err
			}
		}
		sent += round
		return nil
	}
	// waitDelivered waits until n storm deliveries have been recorded.
	waitDelivered := func(ctx context.Context, n int64) error {
		stormWant.Store(n)
		for stormDone.Load() < n {
			select {
			case <-progress:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	// stormBlock times samples healthy deliveries while the storm runs: a
	// first round, then a new round as soon as half of the last is
	// delivered, so that it never lets up; timing starts once the first
	// round is half delivered. It then stops the storm and waits for it to
	// drain, so that the next idle block is idle.
	var loaded latencies
	var stormTime, idleTime time.Duration
	var delivered, stormGCs, idleGCs, stormAlloc, stormObjects int64
	var stormCPU time.Duration
	cpuKnown := true
	stormBlock := func(samples int) error {
		if err := fire(ctx); err != nil {
			return err
		}
		if err := waitDelivered(ctx, sent-round/2); err != nil {
			return err
		}
		stormCtx, stopStorm := context.WithCancel(ctx)
		var (
			wg       sync.WaitGroup
			stormErr error
		)
		wg.Go(func() {
			for {
				if err := fire(stormCtx); err != nil {
					if stormCtx.Err() == nil {
						stormErr = err
					}
					return
				}
				// The next round goes as soon as half of the last is delivered.
				if waitDelivered(stormCtx, sent-round/2) != nil {
					return
				}
			}
		})
		before, gcs, allocs, objects, start := stormDone.Load(), gcCycles(), heapAllocs(), heapObjects(), time.Now()
		cpu0, ok0 := processCPU()
		l, err := benchLatency(ctx, e, healthy, healthyTr, samples, opts.Every, started)
		cpu1, ok1 := processCPU()
		stormCPU += cpu1 - cpu0
		cpuKnown = cpuKnown && ok0 && ok1
		stormTime += time.Since(start)
		stormGCs += gcCycles() - gcs
		stormAlloc += heapAllocs() - allocs
		stormObjects += heapObjects() - objects
		delivered += stormDone.Load() - before
		stopStorm()
		wg.Wait()
		if err != nil {
			return err
		}
		if stormErr != nil {
			return stormErr
		}
		loaded.add(l)
		drain, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := waitDelivered(drain, sent); err != nil {
			return fmt.Errorf("the storm did not drain (%d of %d delivered): %w", stormDone.Load(), sent, err)
		}
		return nil
	}

	var idle latencies
	for b := range opts.Blocks {
		n := opts.Samples / opts.Blocks
		if b < opts.Samples%opts.Blocks {
			n++
		}
		gcs, start := gcCycles(), time.Now()
		l, err := benchLatency(ctx, e, healthy, healthyTr, n, opts.Every, started)
		if err != nil {
			return nil, err
		}
		idleTime += time.Since(start)
		idleGCs += gcCycles() - gcs
		idle.add(l)
		if b == 0 {
			// The hanging endpoints take their slots once, for the rest of
			// the run: they cost no CPU, only slots.
			for _, id := range hangIDs {
				if _, err := e.Trigger(ctx, engine.Trigger{Provider: provider, Event: event, EndpointIDs: []string{id}, Payload: p, Chaos: chaos}); err != nil {
					return nil, err
				}
			}
		}
		if err := stormBlock(n); err != nil {
			return nil, err
		}
	}
	res := &StormResult{StormEndpoints: opts.StormEndpoints, Duplicates: opts.Duplicates, StormLatency: opts.StormLatency,
		Hanging: opts.Hanging, Samples: opts.Samples, Blocks: opts.Blocks, StormDelivered: delivered, StormRate: float64(delivered) / stormTime.Seconds(),
		InProcessReceivers: opts.InProcessReceivers, IdleGCRate: float64(idleGCs) / idleTime.Seconds(), StormGCRate: float64(stormGCs) / stormTime.Seconds(),
		StormAllocPerDelivery: float64(stormAlloc) / float64(max(delivered, 1)), StormObjectsPerDelivery: float64(stormObjects) / float64(max(delivered, 1))}
	if cpuKnown {
		res.StormCPUPerDelivery = stormCPU / time.Duration(max(delivered, 1))
	}
	res.IdleP50, res.IdleP99 = percentiles(idle.arrived)
	res.StormP50, res.StormP99 = percentiles(loaded.arrived)
	res.Ratio = float64(res.StormP99) / float64(res.IdleP99)
	_, res.IdleStartP99 = percentiles(idle.started)
	_, res.StormStartP99 = percentiles(loaded.started)
	_, res.IdleCallP99 = percentiles(idle.called)
	_, res.StormCallP99 = percentiles(loaded.called)
	return res, nil
}

// gcCycles returns how many garbage collections this process has
// completed (without stopping the world, as runtime.ReadMemStats would).
func gcCycles() int64 { return runtimeCounter("/gc/cycles/total:gc-cycles") }

// heapAllocs returns how many bytes this process has allocated on the heap.
func heapAllocs() int64 { return runtimeCounter("/gc/heap/allocs:bytes") }

// heapObjects returns how many heap objects this process has allocated.
func heapObjects() int64 { return runtimeCounter("/gc/heap/allocs:objects") }

func runtimeCounter(name string) int64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// percentiles returns the p50 and p99 of ds (sorted in place).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)*50/100], ds[min(len(ds)-1, len(ds)*99/100)]
}

// stormReceiver answers every request on 127.0.0.1 with 200 after a
// fixed latency, except /hang, which it holds without an answer until
// release. It listens on one port per endpoint (bases), as the receivers
// of different endpoints are different servers: endpoints sharing one
// host:port would also share the sender's idle connections to it, and
// twenty storming endpoints' 320 concurrent attempts would then measure
// connections being opened and closed as much as isolation.
type stormReceiver struct {
	bases       []string
	servers     []*loopbackServer
	hang        chan struct{}
	releaseOnce sync.Once
}

func startStormReceiver(latency time.Duration, ports int) (*stormReceiver, error) {
	r := &stormReceiver{hang: make(chan struct{})}
	h := func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if req.URL.Path == "/hang" {
			select {
			case <-r.hang:
			case <-req.Context().Done():
			}
			return
		}
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-req.Context().Done():
				t.Stop()
			}
		}
		w.WriteHeader(http.StatusOK)
	}
	for range ports {
		l, err := serveLoopback(h)
		if err != nil {
			r.close()
			return nil, err
		}
		r.servers = append(r.servers, l)
		r.bases = append(r.bases, l.base)
	}
	return r, nil
}

// release lets every held /hang request end.
func (r *stormReceiver) release() { r.releaseOnce.Do(func() { close(r.hang) }) }

func (r *stormReceiver) close() {
	r.release()
	for _, l := range r.servers {
		l.close()
	}
}
