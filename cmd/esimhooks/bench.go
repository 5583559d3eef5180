package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/sqlite"
)

func init() {
	register("bench", "measure the delivery engine against a plain HTTP client on loopback (memory and SQLite log)", runBench)
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench", "[--scenario throughput|storm] [--n N] [--concurrency C] [--store memory|sqlite|both] [--json] [--cpuprofile FILE]", e)
	scenario := fs.String("scenario", "throughput", "throughput: the engine against a plain client; storm: a healthy endpoint's latency, idle and while other endpoints get 100-duplicate storms and one hangs")
	samples := fs.Int("samples", 300, "storm: timed deliveries to the healthy endpoint, idle and under the storm")
	stormEPs := fs.Int("storm-endpoints", 20, "storm: endpoints receiving the storm")
	dups := fs.Int("duplicates", 100, "storm: chaos duplicates of every storm trigger (1 to 100)")
	stormLatency := fs.Duration("storm-latency", 5*time.Millisecond, "storm: how long the storm receivers take to answer (0: at once)")
	hanging := fs.Int("hanging", 1, "storm: endpoints that never answer")
	n := fs.Int("n", 20000, "deliveries per side")
	conc := fs.Int("concurrency", 16, "concurrent requests on each side")
	which := fs.String("store", "both", "delivery log to measure: memory, sqlite or both")
	provider := fs.String("provider", "standard", "provider whose deliveries are sent")
	event := fs.String("event", "order.created", "event sent")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 100 || *conc < 1 {
		return usageErr("--n must be at least 100 and --concurrency at least 1")
	}
	switch *scenario {
	case "throughput":
	case "storm":
		return runStormBench(ctx, e, *samples, *stormEPs, *dups, *hanging, *stormLatency, *asJSON)
	default:
		return usageErr("--scenario %q: want throughput or storm", *scenario)
	}
	// The SQLite logs go into temporary directories, removed at the end
	// (RunBench closes each store before it returns).
	var temps []string
	defer func() {
		for _, dir := range temps {
			_ = os.RemoveAll(dir)
		}
	}()
	stores := map[string]func() (mockserver.Store, error){
		"memory": func() (mockserver.Store, error) { return mockserver.NewMemoryStore(), nil },
		"sqlite": func() (mockserver.Store, error) {
			dir, err := os.MkdirTemp("", "esimhooks-bench-")
			if err != nil {
				return nil, err
			}
			temps = append(temps, dir)
			return sqlite.Open(filepath.Join(dir, "bench.db"))
		},
	}
	order := []string{"memory", "sqlite"}
	if *which != "both" {
		if _, ok := stores[*which]; !ok {
			return usageErr("--store %q: want memory, sqlite or both", *which)
		}
		order = []string{*which}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return usageErr("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return failErr("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	results := map[string]*mockserver.BenchResult{}
	for _, name := range order {
		fmt.Fprintf(e.stderr, "measuring the engine with the %s log: %d deliveries at concurrency %d…\n", name, *n, *conc)
		r, err := mockserver.RunBench(ctx, mockserver.BenchOptions{N: *n, Concurrency: *conc, Provider: *provider, Event: *event, Store: stores[name]})
		if err != nil {
			return failErr("%s: %v", name, err)
		}
		results[name] = r
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	fmt.Fprintf(e.stdout, "%d signed %s %s deliveries per side, concurrency %d, %d CPUs (%s)\n", *n, *provider, *event, *conc, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(e.stdout, "%-8s %14s %14s %7s %10s %10s\n", "log", "engine/s", "plain/s", "ratio", "p50", "p99")
	for _, name := range order {
		r := results[name]
		fmt.Fprintf(e.stdout, "%-8s %14.0f %14.0f %6.2f× %10s %10s\n", name, r.EngineRate, r.PlainRate, r.Ratio,
			r.LatencyP50.Round(time.Microsecond), r.LatencyP99.Round(time.Microsecond))
	}
	fmt.Fprintln(e.stdout, "p50/p99: trigger to the receiver reading the first attempt.")
	return nil
}

// runStormBench runs and prints mockserver.RunStormBench with the serve
// command's engine defaults.
func runStormBench(ctx context.Context, e *env, samples, stormEPs, dups, hanging int, latency time.Duration, asJSON bool) error {
	switch {
	case samples < 100:
		return usageErr("--samples must be at least 100")
	case stormEPs < 1 || stormEPs > 1000:
		return usageErr("--storm-endpoints must be from 1 to 1000")
	case dups < 1 || dups > 100:
		return usageErr("--duplicates must be from 1 to 100")
	case hanging < 0 || hanging > 100:
		return usageErr("--hanging must be from 0 to 100")
	case latency < 0 || latency > time.Second:
		return usageErr("--storm-latency must be from 0 to 1s")
	}
	opts := mockserver.StormOptions{Samples: samples, StormEndpoints: stormEPs, Duplicates: dups, StormLatency: latency, Hanging: hanging}
	if latency == 0 {
		opts.StormLatency = -1
	}
	if hanging == 0 {
		opts.Hanging = -1
	}
	fmt.Fprintf(e.stderr, "timing %d deliveries to a healthy endpoint, idle, then while %d endpoints get %d-duplicate storms (answered in %s) and %d hang…\n",
		samples, stormEPs, dups, latency, hanging)
	r, err := mockserver.RunStormBench(ctx, opts)
	if err != nil {
		return failErr("storm: %v", err)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(e.stdout, "healthy endpoint, %d samples each, %d CPUs (%s); storm: %d endpoints × %d duplicates answered in %s, %d hanging\n",
		r.Samples, runtime.NumCPU(), runtime.Version(), r.StormEndpoints, r.Duplicates, r.StormLatency, r.Hanging)
	fmt.Fprintf(e.stdout, "%-8s %10s %10s %16s\n", "", "p50", "p99", "p99 to start")
	fmt.Fprintf(e.stdout, "%-8s %10s %10s %16s\n", "idle", r.IdleP50.Round(time.Microsecond), r.IdleP99.Round(time.Microsecond), r.IdleStartP99.Round(time.Microsecond))
	fmt.Fprintf(e.stdout, "%-8s %10s %10s %16s\n", "storm", r.StormP50.Round(time.Microsecond), r.StormP99.Round(time.Microsecond), r.StormStartP99.Round(time.Microsecond))
	fmt.Fprintf(e.stdout, "storm p99 / idle p99: %.2f× (target ≤ 2×); storm deliveries meanwhile: %d (%.0f/s)\n", r.Ratio, r.StormDelivered, r.StormRate)
	fmt.Fprintln(e.stdout, "p50/p99: trigger to the healthy receiver reading the first attempt; to start: trigger to the engine starting the attempt.")
	return nil
}
