package engine

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// ErrClosed is returned by an Engine's methods after Close.
var ErrClosed = errors.New("engine closed")

// ErrNotPending is wrapped by RetryNow's error for a delivery that is no
// longer pending; the message names its state.
var ErrNotPending = errors.New("delivery is not pending")

// EngineConfig configures NewEngine. Catalogue and Store are required.
type EngineConfig struct {
	Catalogue *providers.Catalogue
	// Store holds endpoints, deliveries and attempts. The engine does not
	// close it: the caller owns it and may hand it to another engine after
	// Close (recovery).
	Store Store
	// TimeScale multiplies every provider delay (retry schedule, chaos
	// delay, jitter, duplicate spacing, reorder window): 0.001 makes a 1 h
	// retry take 3.6 s. It does not scale the ack deadline, which is the
	// receiver's real timing. 0 means 1.
	TimeScale float64
	// Clock is the source of time for due times and timestamps; nil is the
	// real clock. Attempt latencies and ack deadlines are always real time.
	Clock Clock
	// Client sends the attempts. Nil builds one with a transport keeping
	// MaxPerEndpoint idle connections per host; a caller's client is copied
	// and never follows redirects.
	Client *http.Client
	// TLSConfig is used by the engine-built client (ignored with Client):
	// RootCAs for a staging receiver with a private CA, or
	// InsecureSkipVerify.
	TLSConfig *tls.Config
	// MaxPerEndpoint bounds the concurrent attempts to one endpoint;
	// default 16. It is an endpoint's whole only while no other endpoint
	// has attempts: see ShareWindow.
	MaxPerEndpoint int
	// ShareWindow sets the fair share of attempt slots: while n endpoints
	// have had an attempt start within the last ShareWindow, each starts
	// attempts only while it has fewer than ceil(MaxPerEndpoint/n) under
	// way (at least one), so that a storm to one endpoint does not crowd
	// another's attempts out of the CPU. Default DefaultShareWindow (1 s,
	// engine clock); negative turns the share off, every endpoint then
	// using MaxPerEndpoint whatever the others do.
	ShareWindow time.Duration
	// MaxTriggerDeliveries bounds the deliveries one trigger makes (its
	// endpoints times 1 + duplicates): beyond it Trigger fails with a
	// *LimitError and makes none; default DefaultMaxTriggerDeliveries.
	MaxTriggerDeliveries int
	// Workers is the pool of goroutines that make attempts, shared by
	// every endpoint; default 64. Beyond it, an endpoint with no attempt
	// under way while every worker is busy gets one goroutine of its own,
	// and copies of a duplicate group released together run on their own
	// goroutines (at most MaxPerEndpoint per group), so the attempts under
	// way are at most Workers + one per endpoint + those copies.
	Workers int
	// Logger receives one line per attempt at debug level (failures at
	// info); nil discards. Secrets and header values are never logged.
	Logger *slog.Logger
	// Metrics records counters and histograms; nil records nothing.
	Metrics *Metrics
	// Seed, when not zero, makes delivery and event ids, jitter and
	// reorder shuffles deterministic for a given sequence of calls. Two
	// engines sharing a Store must not use the same non-zero Seed.
	Seed uint64
	// OnAttempt, when not nil, is called with every attempt the engine
	// records (the attempts Subscribe streams; not those of Send), after
	// it is stored, on the goroutine that made it. Unlike a subscription
	// it never drops an attempt, so it must be quick, must not block and
	// must not modify the attempt: it is for counting and timing
	// deliveries (esimhooks bench does) or feeding a program's own
	// metrics, not for work.
	OnAttempt func(*Attempt)
}

// Engine turns triggers into deliveries and delivers them with each
// provider's deadline, success rule and retry schedule. Make one with
// NewEngine, call Start, and Close it when done. Its methods are safe for
// concurrent use.
//
// Scheduling: every pending delivery of the engine is one 32-byte entry
// (due time, id, endpoint handle) in a single timer heap; one dispatcher
// goroutine sleeps until the earliest due time and hands due deliveries to
// a fixed pool of Workers goroutines, at most MaxPerEndpoint at a time per
// endpoint (its fair share of them while other endpoints have attempts:
// see ShareWindow). Due deliveries that cannot start wait in a FIFO per endpoint,
// and the endpoints that wait take turns for a free worker (round robin),
// so an endpoint with a thousand due deliveries delays another's by at
// most one attempt per waiting endpoint. When every worker is busy (say,
// with endpoints that hang until the ack deadline), an endpoint with no
// attempt under way starts one at once on a goroutine of its own: no
// endpoint ever waits for another's attempts. No wait of a delivery
// (retry schedule, chaos delay, jitter, duplicate spacing, reorder
// window, duplicate barrier) holds a worker or a goroutine: there is no
// goroutine per pending retry; bodies stay in the Store.
//
// Durability (at-least-once): a delivery is stored as pending, with its
// due time, before it is scheduled; each attempt is stored together with
// the delivery's new state and next due time (Store.AddAttempt) before the
// retry is scheduled. Start schedules every pending delivery of the Store
// at its stored due time (overdue ones at once), so after Close or a crash
// another engine on the same Store carries on where this one stopped; an
// attempt cut short by a crash is made again. On a Store that is a
// CommitWaiter the attempt that ends a delivery is written off the worker
// (see CommitWaiter); Close waits for those writes.
//
// Retries: attempt n (1-based) that fails is followed by attempt n+1 at
// Retry.Schedule[n] (scaled) after the failure; after len(Schedule)
// attempts the delivery is exhausted. A 4xx ends it as failed where the
// variant has NoRetryOn4xx (SimplifyTrip). Success is any 2xx, or only 200
// where Ack.Success is "200" (Airalo); a 3xx is never followed.
//
// Chaos (all delays scaled by TimeScale): Delay plus a uniform random
// [0, Jitter) holds the first attempt; Duplicates adds separate deliveries
// (CopyOf set, same body and wire id, each signed afresh on every
// attempt), copy i due i×DuplicateSpacing after the original — with no
// spacing the first copies, as many as the endpoint's fair share of its
// MaxPerEndpoint slots when triggered, are parked, ready to send, until
// all of them are (at most a second), then go out together, each on a
// goroutine of its own (see barrier); CutAfterBody cancels the first N attempts
// of a delivery as soon as the request is written. ReorderWindow: see
// chaosState.reorder — deliveries to one endpoint whose first attempt
// falls within an open window of that endpoint are held to the window's
// end and released in a uniformly random order within the next
// millisecond (at most); the due times are stored, so the order survives
// a restart.
type Engine struct {
	cat     *providers.Catalogue
	store   Store
	clock   Clock
	scale   float64
	log     *slog.Logger
	metrics *Metrics
	workers int

	sched  *scheduler
	maxPer int
	// maxTrigger is EngineConfig.MaxTriggerDeliveries.
	maxTrigger int
	eps        *endpointCache
	// defer_ writes final attempts off the worker; nil unless the Store is
	// a CommitWaiter.
	defer_ *deferrer
	sender *wire.Sender
	stream *stream
	chaos  *chaosState

	rngMu sync.Mutex
	rng   *mrand.Rand

	// signerMu is read-locked on every attempt, written only for a new
	// (variant, secret) pair.
	signerMu sync.RWMutex
	signers  map[signerKey]signing.Signer

	pending atomic.Int64
	// idSeq is the sequence part of the last id (see newID); seeded says
	// whether EngineConfig.Seed was set.
	idSeq  atomic.Uint64
	seeded bool

	// onAttempt is EngineConfig.OnAttempt.
	onAttempt func(*Attempt)

	lifeMu    sync.RWMutex
	started   bool
	closed    bool
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type signerKey struct {
	v      *providers.Variant
	secret string
}

// NewEngine returns an engine that is not yet running; call Start.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Catalogue == nil {
		return nil, errors.New("mockserver: EngineConfig.Catalogue is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("mockserver: EngineConfig.Store is required")
	}
	if cfg.TimeScale < 0 {
		return nil, fmt.Errorf("mockserver: TimeScale %v is negative", cfg.TimeScale)
	}
	if cfg.TimeScale == 0 {
		cfg.TimeScale = 1
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.MaxPerEndpoint <= 0 {
		cfg.MaxPerEndpoint = 16
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.MaxTriggerDeliveries <= 0 {
		cfg.MaxTriggerDeliveries = DefaultMaxTriggerDeliveries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	e := &Engine{
		cat: cfg.Catalogue, store: cfg.Store, clock: cfg.Clock, scale: cfg.TimeScale,
		log: cfg.Logger, metrics: cfg.Metrics, workers: cfg.Workers, maxPer: cfg.MaxPerEndpoint, maxTrigger: cfg.MaxTriggerDeliveries,
		eps:     newEndpointCache(cfg.Store),
		sender:  wire.New(wire.Options{Client: cfg.Client, TLS: cfg.TLSConfig, Conns: max(cfg.MaxPerEndpoint, cfg.Workers)}),
		stream:  newStream(cfg.Metrics),
		chaos:   newChaosState(),
		rng:     mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		signers: map[signerKey]signing.Signer{},
	}
	e.onAttempt = cfg.OnAttempt
	// A Seed makes the id sequence as repeatable as the rest (see nextSeq).
	if cfg.Seed != 0 {
		e.seeded = true
		e.idSeq.Store(e.rng.Uint64N(1 << 40))
	}
	if cw, ok := cfg.Store.(CommitWaiter); ok && cw.WaitsForCommit() {
		e.defer_ = newDeferrer()
	}
	switch {
	case cfg.ShareWindow == 0:
		cfg.ShareWindow = DefaultShareWindow
	case cfg.ShareWindow < 0:
		cfg.ShareWindow = 0
	}
	e.sched = newScheduler(cfg.Clock, cfg.Workers, cfg.MaxPerEndpoint, cfg.ShareWindow, func(delta int) {
		e.pending.Add(int64(delta))
		e.metrics.addPending(delta)
	})
	return e, nil
}

// Start recovers every pending delivery from the Store (overdue ones
// become due at once) and starts the dispatcher and the workers. ctx bounds
// the recovery only: the engine runs until Close. Start may be called once.
func (e *Engine) Start(ctx context.Context) error {
	e.lifeMu.Lock()
	defer e.lifeMu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.started {
		return errors.New("mockserver: engine already started")
	}
	pend, err := e.store.Pending(ctx)
	if err != nil {
		return fmt.Errorf("recovering pending deliveries: %w", err)
	}
	now := e.clock.Now()
	for _, d := range pend {
		due := d.NextAttemptAt
		if due.IsZero() {
			due = now
		}
		e.sched.add(d.ID, unique.Make(d.EndpointID), due)
	}
	if len(pend) > 0 {
		e.log.Info("recovered pending deliveries", "count", len(pend))
	}
	// An endpoint's extra goroutine (see scheduler) is started only once
	// the engine runs. spawn is called under the scheduler's lock before
	// it stops, so before Close waits: the Add never races the Wait.
	e.sched.mu.Lock()
	e.sched.spawn = func(job schedEntry) {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.run(job, slotExtra)
		}()
	}
	e.sched.mu.Unlock()
	e.started = true
	e.wg.Add(1 + e.workers)
	go func() {
		defer e.wg.Done()
		e.sched.run()
	}()
	for range e.workers {
		go e.worker()
	}
	return nil
}

// Close stops accepting triggers, stops the dispatcher, waits for the
// attempts in flight to finish (each is bounded by its ack deadline),
// closes every live-stream subscription and the idle connections. Pending
// deliveries stay pending in the Store for the next engine; the Store is
// not closed. Close is idempotent and always returns nil.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.lifeMu.Lock()
		e.closed = true
		e.lifeMu.Unlock()
		e.sched.shutdown()
		e.chaos.releaseAll()
		e.wg.Wait()
		if e.defer_ != nil {
			e.defer_.wait()
		}
		e.chaos.reset()
		e.stream.close()
		e.sender.Close()
	})
	return nil
}

func (e *Engine) isClosed() bool {
	e.lifeMu.RLock()
	defer e.lifeMu.RUnlock()
	return e.closed
}

// Pending returns the number of deliveries this engine holds as pending:
// waiting for their due time, due, or in flight.
func (e *Engine) Pending() int { return int(e.pending.Load()) }

// Catalogue returns the provider catalogue the engine was built with.
func (e *Engine) Catalogue() *providers.Catalogue { return e.cat }

// Subscribe returns a live stream of every attempt the engine records
// (not those of Send), with room for buffer unread attempts (at least 1).
// A subscriber that falls behind loses attempts (counted in
// esimhooks_stream_dropped_total) and never slows the engine. The
// received attempts are shared: the caller must not modify them. The
// returned func unsubscribes and closes the channel; it is idempotent.
// Close closes every subscription's channel.
func (e *Engine) Subscribe(buffer int) (<-chan *Attempt, func()) {
	return e.stream.subscribe(buffer)
}

// StreamDropped returns how many live-stream attempts were dropped because
// a subscriber's buffer was full.
func (e *Engine) StreamDropped() uint64 { return e.stream.dropped.Load() }

// maxScaled caps a scaled delay: far beyond any due time the log can store,
// far below what time.Duration can hold.
const maxScaled = 100 * 365 * 24 * time.Hour

// scaled applies the engine's TimeScale to a provider delay.
func (e *Engine) scaled(d time.Duration) time.Duration {
	if e.scale == 1 || d == 0 {
		return d
	}
	// Saturate rather than overflow into a negative duration.
	return time.Duration(min(float64(d)*e.scale, float64(maxScaled)))
}

// randDuration returns a uniform duration in [0, d).
func (e *Engine) randDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	return time.Duration(e.rng.Int64N(int64(d)))
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// idSeqDigits is how many base-36 digits of an id are its sequence number:
// enough for the microseconds since 1970 until the year 3100.
const idSeqDigits = 10

// newID returns prefix, idSeqDigits base-36 digits of the engine's id
// sequence, and 10 random base-36 characters. The sequence grows with every
// id, so ids sort in the order they were made and a log indexed by id is
// appended to instead of written all over (with random ids, each insert
// into a SQLite index dirtied a page of its own). The random part keeps ids
// of different engines apart.
func (e *Engine) newID(prefix string) string {
	seq := e.nextSeq()
	e.rngMu.Lock()
	r := e.rng.Uint64()
	e.rngMu.Unlock()
	buf := make([]byte, len(prefix)+idSeqDigits+10)
	copy(buf, prefix)
	for i := len(prefix) + idSeqDigits - 1; i >= len(prefix); i-- {
		buf[i] = idAlphabet[seq%36]
		seq /= 36
	}
	for i := len(prefix) + idSeqDigits; i < len(buf); i++ {
		buf[i] = idAlphabet[r%36]
		r /= 36
	}
	return string(buf)
}

// nextSeq returns the next id sequence number: with a Seed, one more than
// the last; otherwise also at least the clock's microseconds since 1970,
// so that an engine started after another on the same log (a restart)
// makes ids that sort after the other's.
func (e *Engine) nextSeq() uint64 {
	if e.seeded {
		return e.idSeq.Add(1)
	}
	now := uint64(e.clock.Now().UnixMicro())
	for {
		cur := e.idSeq.Load()
		next := max(cur+1, now)
		if e.idSeq.CompareAndSwap(cur, next) {
			return next
		}
	}
}

// signer returns the (cached) signer of variant v for secret, or nil for
// an unsigned variant.
func (e *Engine) signer(v *providers.Variant, secret string) (signing.Signer, error) {
	if v.Signature.Scheme == "none" {
		return nil, nil
	}
	k := signerKey{v, secret}
	e.signerMu.RLock()
	s, ok := e.signers[k]
	e.signerMu.RUnlock()
	if ok {
		return s, nil
	}
	s, err := v.Signer(secret)
	if err != nil {
		return nil, err
	}
	e.signerMu.Lock()
	if len(e.signers) >= 4096 {
		clear(e.signers)
	}
	e.signers[k] = s
	e.signerMu.Unlock()
	return s, nil
}
