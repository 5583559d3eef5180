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
	fs := newFlags("bench", "[--n N] [--concurrency C] [--store memory|sqlite|both] [--json] [--cpuprofile FILE]", e)
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
