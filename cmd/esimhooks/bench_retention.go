package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// RetentionBenchResult is what the retention scenario of esimhooks bench
// measured: the memory store fed N deliveries with two attempts each while
// the retention prunes it.
type RetentionBenchResult struct {
	N         int           `json:"n"`
	Retention string        `json:"retention"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	Rate      float64       `json:"deliveries_per_second"`
	// PeakRSS and FinalRSS: the process's resident set (VmHWM, VmRSS), in
	// bytes; HeapInuse at the end, after a garbage collection.
	PeakRSS, FinalRSS, HeapInuse int64
	// Held is what the store holds at the end.
	HeldDeliveries, HeldAttempts int64
	Pruned                       int64 `json:"pruned_deliveries"`
}

// runRetentionBench feeds a memory store n deliveries, each put pending
// and then given two attempts (a 503 and a 200, as the engine records
// them), with the retention ret applied by the same pruner serve runs.
// Each delivery's body is a real event of provider's, made unique by its
// id, and its attempts carry the headers a signed request and a typical
// answer have. It reports the time taken and the process's peak RSS.
func runRetentionBench(ctx context.Context, e *env, n int, retain, provider, event string, asJSON bool) error {
	ret, err := retention(retain, "memory")
	if err != nil {
		return err
	}
	body, err := benchBody(provider, event)
	if err != nil {
		return failErr("%v", err)
	}
	st := engine.NewMemoryStore()
	defer st.Close()
	m := engine.NewMetrics(nil)
	stop := engine.RunPruner(st, ret, m)
	defer stop()
	reqH := http.Header{
		"Content-Type":      {"application/json"},
		"User-Agent":        {"esimhooks/bench"},
		"Webhook-Id":        {"msg_2b9VhDXkT1mA8yq3zPn7sLwR4cE"},
		"Webhook-Timestamp": {"1767225600"},
		"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
	}
	resH := http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Date": {"Thu, 01 Jan 2026 00:00:00 GMT"}, "Content-Length": {"2"}}
	fmt.Fprintf(e.stderr, "feeding the memory store %d deliveries (two attempts each) with retention %s…\n", n, ret)
	start := time.Now()
	t0 := start
	for i := range n {
		if i%100_000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		now := t0.Add(time.Duration(i) * time.Microsecond)
		id := "dlv_" + strconv.Itoa(i)
		d := &engine.Delivery{
			ID: id, EventID: "evt_" + strconv.Itoa(i), EndpointID: "bench", Provider: provider, Event: event,
			WireID: "msg_" + strconv.Itoa(i), Key: "msg_" + strconv.Itoa(i),
			Body:  append(fmt.Appendf(nil, `{"bench_id":%q,`, id), body[1:]...),
			State: engine.StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		}
		if err := st.PutDelivery(ctx, d); err != nil {
			return failErr("%v", err)
		}
		for a := 1; a <= 2; a++ {
			att := &engine.Attempt{
				DeliveryID: id, EndpointID: "bench", Provider: provider, Event: event, N: a, StartedAt: now,
				URL: "http://127.0.0.1:9/hooks", RequestHeaders: reqH, RequestBody: d.Body, Status: 503,
				ResponseHeaders: resH, ResponseBody: []byte("no"), Latency: 150 * time.Microsecond, Outcome: engine.StatePending,
			}
			d.Attempts = a
			if a == 2 {
				att.Status, att.Success, att.ResponseBody, att.Outcome = 200, true, []byte("ok"), engine.StateDelivered
				d.State = engine.StateDelivered
			}
			if err := st.AddAttempt(ctx, att, d); err != nil {
				return failErr("%v", err)
			}
		}
	}
	elapsed := time.Since(start)
	stop()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r := &RetentionBenchResult{N: n, Retention: ret.String(), Elapsed: elapsed, Rate: float64(n) / elapsed.Seconds(), HeapInuse: int64(ms.HeapInuse)}
	r.PeakRSS, r.FinalRSS = procRSS()
	if sz, err := st.(engine.LogSizer).LogSize(ctx); err == nil {
		r.HeldDeliveries, r.HeldAttempts = sz.Deliveries, sz.Attempts
	}
	r.Pruned = int64(n) - r.HeldDeliveries
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(e.stdout, "%d %s %s deliveries (two attempts each) into the memory store, retention %s, %d CPUs (%s)\n", n, provider, event, r.Retention, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(e.stdout, "time %s (%.0f deliveries/s); held at the end %d deliveries, %d attempts; pruned %d\n", elapsed.Round(time.Millisecond), r.Rate, r.HeldDeliveries, r.HeldAttempts, r.Pruned)
	fmt.Fprintf(e.stdout, "RSS peak %s, at the end %s; Go heap in use after GC %s\n", mib(r.PeakRSS), mib(r.FinalRSS), mib(r.HeapInuse))
	return nil
}

// benchBody returns the encoded body of a generated event of provider's
// default variant.
func benchBody(provider, event string) ([]byte, error) {
	cat, err := providers.Builtin()
	if err != nil {
		return nil, err
	}
	v, err := cat.Variant(provider, "")
	if err != nil {
		return nil, err
	}
	ev, err := v.Event(event)
	if err != nil {
		return nil, err
	}
	p, err := ev.Generate(payload.NewWorld(1, payload.Epoch))
	if err != nil {
		return nil, err
	}
	d, err := v.NewDeliveryIn(v.Encoding, ev, p, "msg_bench")
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(d.Body, []byte("{")) {
		return nil, fmt.Errorf("%s %s: the body is not a JSON object", provider, event)
	}
	return d.Body, nil
}

// procRSS returns the process's peak and current resident set in bytes
// (Linux /proc/self/status; 0 elsewhere).
func procRSS() (peak, cur int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			peak = kb << 10
		case "VmRSS":
			cur = kb << 10
		}
	}
	return peak, cur
}

// retainOpen wraps a store factory so that each store it opens is pruned
// by ret while RunBench uses it; stop ends the pruners.
func retainOpen(open func() (engine.Store, error), ret engine.Retention, stops *[]func()) func() (engine.Store, error) {
	if !ret.Enabled() {
		return open
	}
	return func() (engine.Store, error) {
		st, err := open()
		if err == nil {
			*stops = append(*stops, engine.RunPruner(st, ret, nil))
		}
		return st, err
	}
}
