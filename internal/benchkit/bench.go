// Package benchkit measures the delivery engine (engine.Engine) as
// `esimhooks bench` reports it: RunBench, the engine's throughput against
// a plain net/http client on loopback, and RunStormBench, how well one
// endpoint is isolated from another's duplicate storm. It is not part of
// the library: it drives the engine through its public API only
// (EngineConfig.OnAttempt observes the attempts), and it is internal to
// the module so that cmd/esimhooks and the Go benchmarks share it.
package benchkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// BenchOptions configures RunBench; zero fields take the defaults.
type BenchOptions struct {
	// N is the number of deliveries each side sends; default 10000.
	N int
	// Concurrency is the number of concurrent requests on each side: the
	// engine's Workers and MaxPerEndpoint, and the plain client's
	// goroutines; default 16.
	Concurrency int
	// Provider and Event choose what is sent; default "standard" and
	// "order.created" (signed, timestamped: the most work per attempt).
	Provider, Event string
	// LatencySamples is how many single triggers measure the time from
	// Trigger to the receiver seeing the first attempt; default 200.
	LatencySamples int
	// Store makes the engine's store (RunBench closes it); nil uses
	// engine.NewMemoryStore.
	Store func() (engine.Store, error)
	// Catalogue defaults to providers.Builtin().
	Catalogue *providers.Catalogue
	// Fill is how many deliveries the engine sends before the timed
	// rounds, besides the warm-up: with a retention that keeps a count,
	// that count, so that the log is full and the pruner removes as many
	// as arrive throughout every round.
	Fill int
}

// BenchResult is what RunBench measured. Rates are deliveries per second.
type BenchResult struct {
	N           int     `json:"n"`
	Concurrency int     `json:"concurrency"`
	EngineRate  float64 `json:"engine_rate"`
	PlainRate   float64 `json:"plain_rate"`
	// Ratio is EngineRate / PlainRate.
	Ratio float64 `json:"ratio"`
	// LatencyP50 and LatencyP99: from calling Trigger to the receiver
	// reading the first attempt's request.
	LatencyP50 time.Duration `json:"latency_p50_ns"`
	LatencyP99 time.Duration `json:"latency_p99_ns"`
}

// RunBench compares the engine with a plain net/http client on loopback:
// a null receiver on 127.0.0.1 answers 200 to everything; the plain side
// POSTs N copies of one signed request (same body and headers) from
// Concurrency goroutines; the engine side triggers N events (a fixed
// payload, each encoded, signed, stored and delivered) to one endpoint,
// and counts until every attempt has been recorded. After a warm-up the
// two sides take turns, benchRounds times each, and each side's best run
// counts (on a shared machine a single run of either side varies by
// ±5 %). Then LatencySamples
// triggers, one at a time, measure trigger-to-first-attempt latency. ctx
// cancels the run.
func RunBench(ctx context.Context, opts BenchOptions) (*BenchResult, error) {
	if opts.N <= 0 {
		opts.N = 10000
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.Provider == "" {
		opts.Provider, opts.Event = "standard", "order.created"
	}
	if opts.LatencySamples <= 0 {
		opts.LatencySamples = 200
	}
	if opts.Store == nil {
		opts.Store = func() (engine.Store, error) { return engine.NewMemoryStore(), nil }
	}
	cat := opts.Catalogue
	if cat == nil {
		var err error
		if cat, err = providers.Builtin(); err != nil {
			return nil, err
		}
	}
	v, ev, p, secret, err := benchEvent(cat, opts.Provider, opts.Event)
	if err != nil {
		return nil, err
	}

	rcv, err := startNullReceiver()
	if err != nil {
		return nil, err
	}
	defer rcv.close()

	store, err := opts.Store()
	if err != nil {
		return nil, err
	}
	defer store.Close()
	ep := &engine.Endpoint{ID: "bench", URL: rcv.url, Provider: v.Provider.Name, Variant: v.Name, Secret: secret,
		Source: "cli", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := store.PutEndpoint(ctx, ep); err != nil {
		return nil, err
	}
	cnt := &benchCounter{}
	e, err := engine.NewEngine(engine.EngineConfig{Catalogue: cat, Store: store, Workers: opts.Concurrency, MaxPerEndpoint: opts.Concurrency,
		OnAttempt: cnt.record})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := e.Start(ctx); err != nil {
		return nil, err
	}

	// The plain client's request: one signed attempt, sent N times.
	pd, err := v.NewDelivery(ev, p, "msg_bench")
	if err != nil {
		return nil, err
	}
	var signer signing.Signer
	if v.Signature.Scheme != "none" {
		if signer, err = v.Signer(secret); err != nil {
			return nil, err
		}
	}
	hdr, err := pd.Request(signer, time.Now())
	if err != nil {
		return nil, err
	}
	plain := &http.Client{Transport: &http.Transport{MaxIdleConns: opts.Concurrency * 4, MaxIdleConnsPerHost: opts.Concurrency}}
	defer plain.CloseIdleConnections()

	res := &BenchResult{N: opts.N, Concurrency: opts.Concurrency}
	tr := engine.Trigger{Provider: opts.Provider, Event: opts.Event, EndpointIDs: []string{ep.ID}, Payload: p}
	warm := min(opts.N, 500)
	if _, err := benchPlain(ctx, plain, rcv.url, hdr, pd.Body, warm, opts.Concurrency); err != nil {
		return nil, err
	}
	if _, err := benchEngine(ctx, e, cnt, tr, warm+max(0, opts.Fill), opts.Concurrency); err != nil {
		return nil, err
	}
	for range benchRounds {
		el, err := benchPlain(ctx, plain, rcv.url, hdr, pd.Body, opts.N, opts.Concurrency)
		if err != nil {
			return nil, err
		}
		res.PlainRate = max(res.PlainRate, float64(opts.N)/el.Seconds())
		el, err = benchEngine(ctx, e, cnt, tr, opts.N, opts.Concurrency)
		if err != nil {
			return nil, err
		}
		res.EngineRate = max(res.EngineRate, float64(opts.N)/el.Seconds())
	}
	res.Ratio = res.EngineRate / res.PlainRate

	l, err := benchLatency(ctx, e, rcv, tr, opts.LatencySamples, 0, nil)
	if err != nil {
		return nil, err
	}
	lat := l.arrived
	slices.Sort(lat)
	res.LatencyP50 = lat[len(lat)*50/100]
	res.LatencyP99 = lat[min(len(lat)-1, len(lat)*99/100)]
	return res, nil
}

// benchEvent returns what the benchmarks send: the variant and event, a
// payload generated from a fixed seed, and a fixed secret.
func benchEvent(cat *providers.Catalogue, provider, event string) (*providers.Variant, *providers.Event, jsonv.Value, string, error) {
	v, err := cat.Variant(provider, "")
	if err != nil {
		return nil, nil, nil, "", err
	}
	ev, err := v.Event(event)
	if err != nil {
		return nil, nil, nil, "", err
	}
	p, err := ev.Generate(payload.NewWorld(1, payload.Epoch))
	if err != nil {
		return nil, nil, nil, "", err
	}
	secret, err := v.NewSecret(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		return nil, nil, nil, "", err
	}
	return v, ev, p, secret, nil
}

// benchRounds is how many timed runs each side of RunBench makes.
const benchRounds = 3

// benchPlain POSTs body n times from conc goroutines.
func benchPlain(ctx context.Context, c *http.Client, url string, h http.Header, body []byte, n, conc int) (time.Duration, error) {
	start := time.Now()
	err := inParallel(n, conc, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header = h.Clone()
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _, _ = wire.ReadLimited(resp.Body, engine.MaxResponseBody)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("plain client: status %d", resp.StatusCode)
		}
		return nil
	})
	return time.Since(start), err
}

// inParallel calls one n times in all from conc goroutines; a goroutine
// stops at its first error, and the first error is returned.
func inParallel(n, conc int, one func() error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := one(); err != nil {
					errMu.Lock()
					first = cmpOr(first, err)
					errMu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// benchCounter counts the attempts the engine records, through
// engine.EngineConfig.OnAttempt, and signals when a target is reached. record takes no
// lock: sixteen workers call it.
type benchCounter struct {
	n      atomic.Int64
	target atomic.Int64
	reach  atomic.Pointer[chan struct{}]
	failed atomic.Pointer[engine.Attempt]
}

func (c *benchCounter) record(a *engine.Attempt) {
	if !a.Success {
		c.failed.CompareAndSwap(nil, a)
	}
	if c.n.Add(1) == c.target.Load() {
		if ch := c.reach.Swap(nil); ch != nil {
			close(*ch)
		}
	}
}

// expect returns a channel closed once n more attempts have been
// recorded. No attempt may be under way when it is called.
func (c *benchCounter) expect(n int) <-chan struct{} {
	ch := make(chan struct{})
	c.reach.Store(&ch)
	c.target.Store(c.n.Load() + int64(n))
	return ch
}

func (c *benchCounter) err() error {
	if a := c.failed.Load(); a != nil {
		return fmt.Errorf("engine attempt failed: %s %s", a.ErrorKind, a.Error)
	}
	return nil
}

// benchEngine triggers n deliveries from conc goroutines and waits until
// n attempts have been recorded; any failed attempt is an error.
func benchEngine(ctx context.Context, e *engine.Engine, cnt *benchCounter, tr engine.Trigger, n, conc int) (time.Duration, error) {
	done := cnt.expect(n)
	start := time.Now()
	if err := inParallel(n, conc, func() error {
		_, err := e.Trigger(ctx, tr)
		return err
	}); err != nil {
		return 0, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	el := time.Since(start)
	return el, cnt.err()
}

// latencies are the times benchLatency measured, one per sample, from
// calling Trigger: until the receiver read the request (arrived), until
// the attempt started (started, when asked for: the engine's own share),
// and until Trigger returned (called: what the trigger path itself costs,
// locks included).
type latencies struct {
	arrived, started, called []time.Duration
}

func (l *latencies) add(o *latencies) {
	l.arrived = append(l.arrived, o.arrived...)
	l.started = append(l.started, o.started...)
	l.called = append(l.called, o.called...)
}

// benchLatency triggers one delivery at a time and measures until the
// receiver has read its request; with every > 0, the triggers start that
// far apart (or as soon as the last arrived, if later). When started is
// not nil it must receive each sample's Attempt.StartedAt (from
// engine.EngineConfig.OnAttempt), and the result's started holds the times from trigger
// to attempt start.
func benchLatency(ctx context.Context, e *engine.Engine, rcv *nullReceiver, tr engine.Trigger, samples int, every time.Duration, started <-chan time.Time) (*latencies, error) {
	out := &latencies{arrived: make([]time.Duration, 0, samples), called: make([]time.Duration, 0, samples)}
	rcv.signal.Store(true)
	defer rcv.signal.Store(false)
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for i := range samples {
		if tick != nil && i > 0 {
			select {
			case <-tick:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		start := time.Now()
		if _, err := e.Trigger(ctx, tr); err != nil {
			return nil, err
		}
		out.called = append(out.called, time.Since(start))
		select {
		case at := <-rcv.arrived:
			out.arrived = append(out.arrived, at.Sub(start))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return nil, errors.New("latency: no attempt arrived within 10s")
		}
		if started != nil {
			select {
			case at := <-started:
				out.started = append(out.started, at.Sub(start))
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Second):
				return nil, errors.New("latency: no attempt recorded within 10s")
			}
		}
	}
	return out, nil
}

// loopbackServer serves a handler on a free 127.0.0.1 port.
type loopbackServer struct {
	base string // http://127.0.0.1:PORT
	srv  *http.Server
	done chan struct{}
}

func serveLoopback(h http.HandlerFunc) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &loopbackServer{base: "http://" + ln.Addr().String(), done: make(chan struct{}),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		defer close(l.done)
		_ = l.srv.Serve(ln)
	}()
	return l, nil
}

func (l *loopbackServer) close() {
	_ = l.srv.Close()
	<-l.done
}

// nullReceiver answers 200 to every request on 127.0.0.1; while signal is
// set it reports each arrival on arrived (if there is room).
type nullReceiver struct {
	*loopbackServer
	url     string
	signal  atomic.Bool
	arrived chan time.Time
}

func startNullReceiver() (*nullReceiver, error) {
	r := &nullReceiver{arrived: make(chan time.Time, 1)}
	l, err := serveLoopback(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if r.signal.Load() {
			select {
			case r.arrived <- time.Now():
			default:
			}
		}
		w.WriteHeader(http.StatusOK)
	})
	if err != nil {
		return nil, err
	}
	r.loopbackServer, r.url = l, l.base+"/hook"
	return r, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
