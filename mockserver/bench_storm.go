package mockserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	// storm over time, not its first moment); default 300 and 10 ms.
	Samples int
	Every   time.Duration
	// Workers and MaxPerEndpoint configure the engine; 0 takes the
	// engine's (and serve's) defaults.
	Workers, MaxPerEndpoint int
	// Store makes the engine's store (RunStormBench closes it); nil uses
	// NewMemoryStore.
	Store func() (Store, error)
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
	// Ratio is StormP99 / IdleP99 (target ≤ 2).
	Ratio float64 `json:"ratio"`
	// StormDelivered is how many storm attempts were recorded while the
	// healthy endpoint was timed, and StormRate that many per second.
	StormDelivered int64   `json:"storm_delivered"`
	StormRate      float64 `json:"storm_rate"`
}

// RunStormBench measures how well the engine isolates endpoints: it times
// Samples single deliveries (Standard Webhooks order.created), Every apart,
// to a healthy receiver on an idle engine, then again while StormEndpoints other
// endpoints each receive trigger after trigger with Duplicates copies
// (a new round as soon as half of the last one is delivered, so the storm
// never lets up) and Hanging endpoints hold their attempt slots without
// ever answering. Everything listens on 127.0.0.1. ctx cancels the run.
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
		opts.Samples = 300
	}
	if opts.Every <= 0 {
		opts.Every = 10 * time.Millisecond
	}
	if opts.Store == nil {
		opts.Store = func() (Store, error) { return NewMemoryStore(), nil }
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
	storm, err := startStormReceiver(opts.StormLatency)
	if err != nil {
		return nil, err
	}
	defer storm.close()

	store, err := opts.Store()
	if err != nil {
		return nil, err
	}
	defer store.Close()
	addEP := func(id, url string) error {
		now := time.Now()
		return store.PutEndpoint(ctx, &Endpoint{ID: id, URL: url, Provider: v.Provider.Name, Variant: v.Name,
			Secret: secret, Source: "cli", CreatedAt: now, UpdatedAt: now})
	}
	if err := addEP("healthy", healthy.url); err != nil {
		return nil, err
	}
	var stormIDs, hangIDs []string
	for i := range opts.StormEndpoints {
		id := fmt.Sprintf("storm%02d", i)
		if err := addEP(id, storm.base+"/"+id); err != nil {
			return nil, err
		}
		stormIDs = append(stormIDs, id)
	}
	for i := range opts.Hanging {
		id := fmt.Sprintf("hang%02d", i)
		if err := addEP(id, storm.base+"/hang"); err != nil {
			return nil, err
		}
		hangIDs = append(hangIDs, id)
	}
	e, err := NewEngine(EngineConfig{Catalogue: cat, Store: store, Workers: opts.Workers, MaxPerEndpoint: opts.MaxPerEndpoint})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	// The hanging receiver is released before the engine closes, so that
	// Close does not wait for ack deadlines.
	defer storm.release()
	var stormDone atomic.Int64
	progress := make(chan struct{}, 1)
	started := make(chan time.Time, 1)
	e.onRecord = func(a *Attempt) {
		if a.EndpointID == "healthy" {
			started <- a.StartedAt
			return
		}
		if a.EndpointID != "healthy" {
			stormDone.Add(1)
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}
	if err := e.Start(ctx); err != nil {
		return nil, err
	}
	healthyTr := Trigger{Provider: provider, Event: event, EndpointIDs: []string{"healthy"}, Payload: p}
	if _, _, err := benchLatency(ctx, e, healthy, healthyTr, min(opts.Samples, 50), 0, started); err != nil { // warm-up
		return nil, err
	}
	idle, idleStart, err := benchLatency(ctx, e, healthy, healthyTr, opts.Samples, opts.Every, started)
	if err != nil {
		return nil, err
	}

	chaos := &Chaos{Duplicates: opts.Duplicates}
	for _, id := range hangIDs {
		if _, err := e.Trigger(ctx, Trigger{Provider: provider, Event: event, EndpointIDs: []string{id}, Payload: p, Chaos: chaos}); err != nil {
			return nil, err
		}
	}
	round := int64(len(stormIDs) * (opts.Duplicates + 1))
	stormCtx, stopStorm := context.WithCancel(ctx)
	var (
		wg       sync.WaitGroup
		stormErr error
		sent     int64
	)
	fire := func() error {
		for _, id := range stormIDs {
			if _, err := e.Trigger(stormCtx, Trigger{Provider: provider, Event: event, EndpointIDs: []string{id}, Payload: p, Chaos: chaos}); err != nil {
				return err
			}
		}
		sent += round
		return nil
	}
	if err := fire(); err != nil {
		stopStorm()
		return nil, err
	}
	wg.Go(func() {
		for {
			// The next round goes as soon as half of the last is delivered.
			for stormDone.Load() < sent-round/2 {
				select {
				case <-progress:
				case <-stormCtx.Done():
					return
				}
			}
			if err := fire(); err != nil {
				if stormCtx.Err() == nil {
					stormErr = err
				}
				return
			}
		}
	})
	before := stormDone.Load()
	start := time.Now()
	loaded, loadedStart, err := benchLatency(ctx, e, healthy, healthyTr, opts.Samples, opts.Every, started)
	el := time.Since(start)
	delivered := stormDone.Load() - before
	stopStorm()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if stormErr != nil {
		return nil, stormErr
	}
	res := &StormResult{StormEndpoints: opts.StormEndpoints, Duplicates: opts.Duplicates, StormLatency: opts.StormLatency,
		Hanging: opts.Hanging, Samples: opts.Samples, StormDelivered: delivered, StormRate: float64(delivered) / el.Seconds()}
	res.IdleP50, res.IdleP99 = percentiles(idle)
	res.StormP50, res.StormP99 = percentiles(loaded)
	res.Ratio = float64(res.StormP99) / float64(res.IdleP99)
	_, res.IdleStartP99 = percentiles(idleStart)
	_, res.StormStartP99 = percentiles(loadedStart)
	return res, nil
}

// percentiles returns the p50 and p99 of ds (sorted in place).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(ds)
	return ds[len(ds)*50/100], ds[min(len(ds)-1, len(ds)*99/100)]
}

// stormReceiver answers every request on 127.0.0.1 with 200 after a
// fixed latency, except /hang, which it holds without an answer until
// release.
type stormReceiver struct {
	*loopbackServer
	hang        chan struct{}
	releaseOnce sync.Once
}

func startStormReceiver(latency time.Duration) (*stormReceiver, error) {
	r := &stormReceiver{hang: make(chan struct{})}
	l, err := serveLoopback(func(w http.ResponseWriter, req *http.Request) {
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
	})
	if err != nil {
		return nil, err
	}
	r.loopbackServer = l
	return r, nil
}

// release lets every held /hang request end.
func (r *stormReceiver) release() { r.releaseOnce.Do(func() { close(r.hang) }) }

func (r *stormReceiver) close() {
	r.release()
	r.loopbackServer.close()
}
