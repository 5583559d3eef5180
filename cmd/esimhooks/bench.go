package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/esimhooks/esimhooks/internal/benchkit"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
)

func init() {
	// The storm bench runs its receivers in a process of their own: this
	// program, started again, becomes them here.
	benchkit.ServeReceiversIfChild()
	register("bench", "measure the delivery engine against a plain HTTP client on loopback (memory and SQLite log)", runBench)
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench", "[--scenario throughput|storm|retention] [--retain R] [--n N] [--concurrency C] [--store memory|sqlite|both] [--json] [--cpuprofile FILE]", e)
	scenario := fs.String("scenario", "throughput", "throughput: the engine against a plain client; storm: a healthy endpoint's latency, idle and while another endpoint gets a 100-duplicate storm (the issue's case), then while 20 do and one hangs")
	samples := fs.Int("samples", 1000, "storm: timed deliveries to the healthy endpoint, idle and under the storm")
	stormEPs := fs.Int("storm-endpoints", 1, "storm: endpoints receiving the storm (given, with or without --hanging, only that case runs)")
	blocks := fs.Int("blocks", 10, "storm: alternating idle and storm blocks the samples are split into")
	receivers := fs.String("receivers", "process", "storm: where the storm's receivers run: process (a process of their own, as real receivers are) or inprocess (goroutines beside the engine's)")
	dups := fs.Int("duplicates", 100, "storm: chaos duplicates of every storm trigger (1 to 100)")
	stormLatency := fs.Duration("storm-latency", 5*time.Millisecond, "storm: how long the storm receivers take to answer (0: at once)")
	hanging := fs.Int("hanging", 0, "storm: endpoints that never answer (given, only that case runs)")
	n := fs.Int("n", 20000, "deliveries per side")
	conc := fs.Int("concurrency", 16, "concurrent requests on each side")
	which := fs.String("store", "both", "delivery log to measure: memory, sqlite or both")
	provider := fs.String("provider", "standard", "provider whose deliveries are sent")
	event := fs.String("event", "order.created", "event sent")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	retain := fs.String("retain", "off", "throughput: prune each log continuously with this retention (as serve --retain; default: the store's default; a count is filled before the timed rounds, so that they all prune); retention: the memory store's retention")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 100 || *conc < 1 {
		return usageErr("--n must be at least 100 and --concurrency at least 1")
	}
	// The names are checked before anything is measured, as every command
	// that takes --provider and --event checks them.
	pf := providerFlags{provider: *provider}
	if _, _, err := pf.resolve(); err != nil {
		return err
	}
	if err := pf.checkFilter(*event); err != nil {
		return err
	}
	switch *scenario {
	case "throughput":
	case "retention":
		return runRetentionBench(ctx, e, *n, *retain, *provider, *event, *asJSON)
	case "storm":
		cases := []stormCase{{"issue's case", *stormEPs, *hanging}, {"harsher", 20, 1}}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "storm-endpoints" || f.Name == "hanging" {
				cases = []stormCase{{"as asked", *stormEPs, *hanging}}
			}
		})
		if *receivers != "process" && *receivers != "inprocess" {
			return usageErr("--receivers %q: want process or inprocess", *receivers)
		}
		return runStormBench(ctx, e, cases, *samples, *blocks, *dups, *stormLatency, *receivers == "inprocess", *asJSON)
	default:
		return usageErr("--scenario %q: want throughput, storm or retention", *scenario)
	}
	// The SQLite logs go into temporary directories, removed at the end
	// (RunBench closes each store before it returns).
	var temps []string
	defer func() {
		for _, dir := range temps {
			_ = os.RemoveAll(dir)
		}
	}()
	// Each log as serve opens it for the retention (see openSQLite).
	stores := map[string]func(ret engine.Retention) (engine.Store, error){
		"memory": func(engine.Retention) (engine.Store, error) { return engine.NewMemoryStore(), nil },
		"sqlite": func(ret engine.Retention) (engine.Store, error) {
			dir, err := os.MkdirTemp("", "esimhooks-bench-")
			if err != nil {
				return nil, err
			}
			temps = append(temps, dir)
			return openSQLite(filepath.Join(dir, "bench.db"), ret)
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
	results := map[string]*benchkit.BenchResult{}
	var stops []func() // the pruners of --retain
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	for _, name := range order {
		ret, err := retention(*retain, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "measuring the engine with the %s log: %d deliveries at concurrency %d, retention %s…\n", name, *n, *conc, ret)
		// A count bound is filled before the timed rounds, so that they
		// all run with the pruner removing as many as arrive.
		r, err := benchkit.RunBench(ctx, benchkit.BenchOptions{N: *n, Concurrency: *conc, Provider: *provider, Event: *event,
			Store: retainOpen(func() (engine.Store, error) { return stores[name](ret) }, ret, &stops), Fill: ret.MaxCount})
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
			latency(r.LatencyP50), latency(r.LatencyP99))
	}
	fmt.Fprintln(e.stdout, "p50/p99: trigger to the receiver reading the first attempt.")
	return nil
}

// stormCase is one storm the storm bench measures under.
type stormCase struct {
	name               string
	endpoints, hanging int
}

// runStormBench runs and prints benchkit.RunStormBench for each case
// with the serve command's engine defaults.
func runStormBench(ctx context.Context, e *env, cases []stormCase, samples, blocks, dups int, latency time.Duration, inProcess, asJSON bool) error {
	switch {
	case samples < 100:
		return usageErr("--samples must be at least 100")
	case blocks < 1 || blocks > samples:
		return usageErr("--blocks must be from 1 to --samples")
	case cases[0].endpoints < 1 || cases[0].endpoints > 1000:
		return usageErr("--storm-endpoints must be from 1 to 1000")
	case dups < 1 || dups > 100:
		return usageErr("--duplicates must be from 1 to 100")
	case cases[0].hanging < 0 || cases[0].hanging > 100:
		return usageErr("--hanging must be from 0 to 100")
	case latency < 0 || latency > time.Second:
		return usageErr("--storm-latency must be from 0 to 1s")
	}
	results := make([]*benchkit.StormResult, 0, len(cases))
	for _, c := range cases {
		opts := benchkit.StormOptions{Samples: samples, Blocks: blocks, StormEndpoints: c.endpoints, Duplicates: dups, StormLatency: latency, Hanging: c.hanging, InProcessReceivers: inProcess}
		if latency == 0 {
			opts.StormLatency = -1
		}
		if c.hanging == 0 {
			opts.Hanging = -1
		}
		fmt.Fprintf(e.stderr, "%s: timing %d deliveries to a healthy endpoint, idle and while %d endpoints get %d-duplicate storms (answered in %s) and %d hang, in %d alternating blocks…\n",
			c.name, samples, c.endpoints, dups, latency, c.hanging, blocks)
		r, err := benchkit.RunStormBench(ctx, opts)
		if err != nil {
			return failErr("storm: %v", err)
		}
		results = append(results, r)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	fmt.Fprintf(e.stdout, "healthy endpoint, %d samples per phase in %d alternating idle/storm blocks, %d CPUs (%s); storms of %d duplicates answered in %s\n",
		samples, blocks, runtime.NumCPU(), runtime.Version(), dups, latency)
	fmt.Fprintf(e.stdout, "%-14s %-22s %-22s %8s %-20s %-20s %10s\n", "case", "idle p50 / p99", "storm p50 / p99", "ratio", "to start p99 i/s", "trigger p99 i/s", "storm/s")
	for i, r := range results {
		us := wire.FormatLatency
		fmt.Fprintf(e.stdout, "%-14s %-22s %-22s %7.2f× %-20s %-20s %10.0f\n", cases[i].name,
			us(r.IdleP50)+" / "+us(r.IdleP99), us(r.StormP50)+" / "+us(r.StormP99), r.Ratio,
			us(r.IdleStartP99)+" / "+us(r.StormStartP99), us(r.IdleCallP99)+" / "+us(r.StormCallP99), r.StormRate)
		where := "their own process"
		if r.InProcessReceivers {
			where = "the engine's process"
		}
		fmt.Fprintf(e.stdout, "%-14s %d storm endpoint(s), %d hanging; receivers in %s; engine GCs/s idle %.1f, storm %.1f (%.0f B in %.0f objects allocated and %.0f µs of CPU per storm delivery)\n",
			"", r.StormEndpoints, r.Hanging, where, r.IdleGCRate, r.StormGCRate, r.StormAllocPerDelivery, r.StormObjectsPerDelivery, float64(r.StormCPUPerDelivery)/float64(time.Microsecond))
	}
	fmt.Fprintln(e.stdout, "ratio: storm p99 / idle p99 (target ≤ 2×). p50/p99: trigger to the healthy receiver reading the attempt; to start: to the engine starting it; trigger: the Trigger call itself.")
	return nil
}
