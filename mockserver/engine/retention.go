package engine

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// PruneRule says which deliveries Store.Prune removes: the oldest, by
// (CreatedAt, ID), that are older than Before or beyond the newest Keep.
//
// Never removed, whatever the rule: a delivery in StatePending (waiting for
// an attempt, a retry due, or in flight), and a delivery of a trigger that
// still has one pending, that is any delivery with the same EventID and
// CreatedAt as a pending one (its chaos duplicates waiting to be sent, its
// copies to the other endpoints). Those still count towards Keep.
type PruneRule struct {
	// Before removes the deliveries created before it; zero: none by age.
	Before time.Time
	// Keep removes the oldest deliveries while the store holds more than
	// Keep; 0: none by count.
	Keep int
	// Limit bounds how many deliveries one call removes, so that a call
	// holds the store's write path briefly; 0 means DefaultPruneBatch.
	Limit int
}

// DefaultPruneBatch is PruneRule.Limit's default.
const DefaultPruneBatch = 256

// PruneResult is what one Store.Prune call removed.
type PruneResult struct {
	Deliveries int `json:"deliveries"`
	Attempts   int `json:"attempts"`
	// More is true when the call stopped at its Limit: more may be due.
	More bool `json:"more"`
}

// limit returns r.Limit or its default.
func (r PruneRule) limit() int {
	if r.Limit <= 0 {
		return DefaultPruneBatch
	}
	return r.Limit
}

// LogSize is how much a delivery log holds, for /metrics.
type LogSize struct {
	Deliveries, Attempts int64
	// File is true for a log kept in a file; the fields below are then
	// set: the file's bytes (the write-ahead log included), its pages
	// and how many of them are free (reused by later writes, or returned
	// to the file system by the incremental vacuum).
	File                       bool
	FileBytes                  int64
	PageSize, Pages, FreePages int64
	// Files is how many database files hold the log: one, or for a
	// segmented SQLite log the main file and its segments.
	Files int64
}

// LogSizer is a Store that can tell its size cheaply (without a scan):
// both stores of this module are. /metrics reports it.
type LogSizer interface {
	LogSize(ctx context.Context) (LogSize, error)
}

// Retention bounds the delivery log: Config.Retention. The zero value
// keeps everything.
type Retention struct {
	// MaxAge removes deliveries created longer ago than this; 0: none by
	// age.
	MaxAge time.Duration `json:"max_age_ns,omitempty"`
	// MaxCount keeps the newest MaxCount deliveries (plus any that must be
	// kept: see PruneRule); 0: none by count.
	MaxCount int `json:"max_count,omitempty"`
	// Interval is how often the pruner looks for deliveries to remove;
	// 0 means DefaultPruneInterval.
	Interval time.Duration `json:"-"`
}

// DefaultPruneInterval is Retention.Interval's default: at the engine's
// rate with the memory store (some 50,000 deliveries a second) a pass
// finds about 5,000 to remove, so the store holds at most that many more
// than the retention asks.
const DefaultPruneInterval = 100 * time.Millisecond

// Default retentions of esimhooks serve, by store.
const (
	// DefaultMemoryRetainCount bounds the memory store: a delivery with
	// two attempts holds about 2.3 KiB of heap, so some 25 MiB, plus what
	// arrives between two passes of the pruner (README, Retention, has
	// the measured RSS).
	DefaultMemoryRetainCount = 10_000
	// DefaultSQLiteRetainAge bounds the SQLite log by age: a month of
	// history, which outlives any provider's retry schedule (the longest,
	// SimplifyTrip's, spans days).
	DefaultSQLiteRetainAge = 30 * 24 * time.Hour
)

// MaxRetainCount and MaxRetainAge bound ParseRetention.
const (
	MaxRetainCount = 1_000_000_000
	MaxRetainAge   = 100 * 365 * 24 * time.Hour
)

// Enabled reports whether r removes anything.
func (r Retention) Enabled() bool { return r.MaxAge > 0 || r.MaxCount > 0 }

// String returns r as ParseRetention reads it: "off", "30d", "20000",
// "7d,100000".
func (r Retention) String() string {
	var parts []string
	if r.MaxAge > 0 {
		parts = append(parts, formatAge(r.MaxAge))
	}
	if r.MaxCount > 0 {
		parts = append(parts, strconv.Itoa(r.MaxCount))
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ",")
}

// formatAge writes whole days as "Nd", anything else as a Go duration.
func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// ParseRetention reads a retention: "off" (or "0": keep everything), an
// age ("30d", "12h", "90m": a number of days with "d", or a Go duration),
// a count ("20000": keep the newest 20,000), or an age and a count joined
// by a comma ("7d,100000": remove what either selects). An age is at most
// MaxRetainAge and a count at most MaxRetainCount.
func ParseRetention(s string) (Retention, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Retention{}, nil
	}
	var r Retention
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return Retention{}, fmt.Errorf("retention %q: want an age, a count, or both joined by a comma (7d,100000)", s)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if n, err := strconv.Atoi(p); err == nil {
			if r.MaxCount != 0 || n < 1 || n > MaxRetainCount {
				return Retention{}, fmt.Errorf("retention %q: a count must be given once, from 1 to %d", s, MaxRetainCount)
			}
			r.MaxCount = n
			continue
		}
		d, err := parseAge(p)
		if err != nil || d <= 0 || d > MaxRetainAge || r.MaxAge != 0 {
			return Retention{}, fmt.Errorf("retention %q: %q is neither a count (100000) nor an age once (30d, 12h, 90m; at most %s)", s, p, formatAge(MaxRetainAge))
		}
		r.MaxAge = d
	}
	return r, nil
}

// parseAge reads "7d" (whole days) or a Go duration.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > int(MaxRetainAge/(24*time.Hour)) {
			return 0, fmt.Errorf("bad number of days %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// rule returns the PruneRule of r at now.
func (r Retention) rule(now time.Time) PruneRule {
	pr := PruneRule{Keep: r.MaxCount}
	if r.MaxAge > 0 {
		pr.Before = now.Add(-r.MaxAge)
	}
	return pr
}

// pruner applies a Retention to a store continuously: every Interval it
// calls Prune in batches of DefaultPruneBatch until a batch comes back
// short, letting other goroutines run between batches (the SQLite store's
// deliveries queue for the same writer, and get in between).
type pruner struct {
	store Store
	ret   Retention
	clock Clock
	m     *Metrics
	log   *slog.Logger
	done  chan struct{}
}

// StartPruner starts pruning store by ret until ctx ends; wait for the
// returned channel to close after cancelling ctx. A disabled ret starts
// nothing (the channel is closed at once).
func StartPruner(ctx context.Context, store Store, ret Retention, clock Clock, m *Metrics, log *slog.Logger) <-chan struct{} {
	p := &pruner{store: store, ret: ret, clock: clock, m: m, log: log, done: make(chan struct{})}
	if !ret.Enabled() {
		close(p.done)
		return p.done
	}
	if p.clock == nil {
		p.clock = RealClock{}
	}
	if p.ret.Interval <= 0 {
		p.ret.Interval = DefaultPruneInterval
	}
	go p.run(ctx)
	return p.done
}

func (p *pruner) run(ctx context.Context) {
	defer close(p.done)
	t := p.clock.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		p.pass(ctx)
		t.Reset(p.ret.Interval)
	}
}

// pass prunes until nothing is due (or ctx ends, or Prune fails: the next
// pass tries again).
func (p *pruner) pass(ctx context.Context) {
	rule := p.ret.rule(p.clock.Now())
	for ctx.Err() == nil {
		res, err := p.store.Prune(ctx, rule)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Error("pruning the delivery log", "err", err)
			}
			return
		}
		p.m.pruned(res)
		if !res.More {
			return
		}
		runtime.Gosched()
	}
}

// RunPruner applies ret to store until ctx ends, as a Server with
// Config.Retention does, and returns a function that stops it and waits
// for it (for benchmarks and tools that use a Store without a Server).
// m may be nil.
func RunPruner(store Store, ret Retention, m *Metrics) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := StartPruner(ctx, store, ret, RealClock{}, m, slog.New(slog.DiscardHandler))
	return func() {
		cancel()
		<-done
	}
}
