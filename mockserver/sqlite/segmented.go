package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Segmented is the delivery log that retention prunes cheaply: the
// endpoints, and the deliveries of a release before segments, stay in the
// SQLite file at its path (the main file); new deliveries go to segment
// files beside it, in the directory path+".segments", each a Store of its
// own. A segment takes new deliveries until it is full (SegmentOptions),
// then the next one does; retention drops the oldest segments whole:
// removing their files costs a few microseconds a delivery where deleting
// rows cost the single writer about two thirds of writing them
// (BenchmarkSegmentDrop, README "Retention").
//
// What it gives up is exactness: a rule keeps whole segments, so the log
// holds up to a segment more than a count asks, and deliveries up to a
// segment's span older than an age (see SegmentsFor). The main file's
// deliveries are pruned row by row, as by Store.Prune.
//
// A delivery lives in one segment: the one that took it first. A write
// for it goes there, found through each segment's id filter (idFilter)
// and, when the filter says maybe, a read; a write for an id no segment
// holds goes to the newest. Lists ask every segment whose creation times
// can reach the page, newest first, and merge. A write for a delivery
// that starts after an earlier write for it has returned finds it.
//
// Never dropped with a segment: a delivery engine.PruneRule keeps
// (pending, or of a trigger with one pending). It is copied, with its
// attempts, into the newest segment first. A marker file (N.drop) is
// created before the copy and removed after the segment's files: Open
// finishes a drop that a crash interrupted, so that no delivery is lost
// nor held twice.
type Segmented struct {
	path, dir string
	opt       SegmentOptions
	log       atomic.Pointer[slog.Logger]

	mu   sync.RWMutex // guards segs and ver
	segs []*segment   // oldest first; segs[0] is the main file, the last takes new deliveries
	// ver counts the changes of segs: a write or read that found no
	// delivery while a drop moved it, or that chose a segment on a list
	// that has changed since, tries again.
	ver uint64

	rollMu  sync.Mutex // one new segment at a time
	next    uint64     // the next segment's number (under rollMu)
	closed  bool       // under rollMu
	tplOnce sync.Once  // makes tpl, a new segment's bytes (copyTemplate)
	tpl     []byte
	tplErr  error
	pruneMu sync.Mutex // one Prune at a time

	closeOnce sync.Once
	closeErr  error
}

var (
	_ engine.Store             = (*Segmented)(nil)
	_ engine.EndpointVersioner = (*Segmented)(nil)
	_ engine.CommitWaiter      = (*Segmented)(nil)
	_ engine.LogSizer          = (*Segmented)(nil)
)

// SegmentOptions say when the newest segment is full; the zero value
// never fills one (the log then works as one Store, in the main file,
// unless segments are there from an earlier run).
type SegmentOptions struct {
	// Size: a segment is full when it holds Size deliveries; 0: no bound.
	Size int
	// Span: a segment is full for a delivery created Span or more after
	// the oldest it holds; 0: no bound.
	Span time.Duration
}

func (o SegmentOptions) rolls() bool { return o.Size > 0 || o.Span > 0 }

// The smallest segments SegmentsFor gives: a segment costs a file, some
// 3 ms of CPU to create and 12-20 ms to drop when full, so that a small
// count or a short age does not make one every few deliveries.
const (
	MinSegmentSize = 1000
	MinSegmentSpan = time.Second
)

// SegmentsFor returns the segments that retention ret prunes with: a
// quarter of its count (at least MinSegmentSize), an eighth of its age
// (at least MinSegmentSpan). The log then holds up to a quarter more than
// the count (or MinSegmentSize more), and deliveries up to an eighth
// older than the age (or MinSegmentSpan); the pending ones besides, as
// ever.
func SegmentsFor(ret engine.Retention) SegmentOptions {
	var o SegmentOptions
	if ret.MaxCount > 0 {
		o.Size = max(ret.MaxCount/4, MinSegmentSize)
	}
	if ret.MaxAge > 0 {
		o.Span = max(ret.MaxAge/8, MinSegmentSpan)
	}
	return o
}

// segment is one file of a Segmented log.
type segment struct {
	n   uint64 // 0: the main file
	s   *Store
	ids *idFilter // nil while the main file is the only segment

	// mu is held shared by every read and write of s; a drop holds it
	// alone, and sets gone before it lets go. dropping is set when a drop
	// begins: the segment takes no new delivery.
	mu       sync.RWMutex
	gone     atomic.Bool
	dropping atomic.Bool
	// keptUntil: Prune found it holding only deliveries the rule keeps,
	// and leaves it until then (allKeptBackoff; under Segmented.pruneMu).
	keptUntil time.Time

	// The creation times it holds (stored form) and the newest key:
	// bounds that only widen (a replaced delivery's old time stays in).
	// first is the creation time of the first delivery it took new, for
	// SegmentOptions.Span (a kept delivery copied in does not count).
	kmu      sync.Mutex
	empty    bool
	lo, hi   int64
	newestID string
	first    int64
	tookOne  bool
}

// note widens g's bounds with a delivery created at created (stored
// form); taken says it came as a write, not as a kept delivery copied in.
func (g *segment) note(id string, created int64, taken bool) {
	g.kmu.Lock()
	defer g.kmu.Unlock()
	if taken && !g.tookOne {
		g.first, g.tookOne = created, true
	}
	if g.empty {
		g.empty, g.lo, g.hi, g.newestID = false, created, created, id
		return
	}
	g.lo = min(g.lo, created)
	if created > g.hi || created == g.hi && id > g.newestID {
		g.hi, g.newestID = created, id
	}
}

// since returns the creation time of the first delivery g took new.
func (g *segment) since() (int64, bool) {
	g.kmu.Lock()
	defer g.kmu.Unlock()
	return g.first, g.tookOne
}

// bounds returns g's creation-time bounds; ok is false when it is empty.
func (g *segment) bounds() (lo, hi int64, newestID string, ok bool) {
	g.kmu.Lock()
	defer g.kmu.Unlock()
	return g.lo, g.hi, g.newestID, !g.empty
}

// load fills g's id filter and bounds from its file.
func (g *segment) load(ctx context.Context) error {
	g.ids = newIDFilter()
	return g.s.eachKey(ctx, func(id string, created int64) {
		g.ids.add(id)
		g.note(id, created, true)
	})
}

// segmentSuffix and dropSuffix name a segment's file and its drop marker.
const (
	segmentSuffix = ".db"
	dropSuffix    = ".drop"
)

// OpenSegmented opens the delivery log at path (see Open, which opens
// the main file) with its segments, and finishes the drops a crash
// interrupted. With opt set and no segment yet, it starts the first.
func OpenSegmented(path string, opt SegmentOptions) (*Segmented, error) {
	ctx := context.Background()
	mainStore, err := Open(path)
	if err != nil {
		return nil, err
	}
	l := &Segmented{path: path, dir: path + ".segments", opt: opt, next: 1}
	l.log.Store(slog.Default())
	l.segs = []*segment{{s: mainStore, empty: true}}
	fail := func(err error) (*Segmented, error) {
		_ = l.Close()
		return nil, err
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("sqlite: open %s: %w", l.dir, err))
	}
	dropping := map[uint64]bool{}
	var nums []uint64
	for _, e := range entries {
		if strings.Contains(e.Name(), tempSuffix) {
			removeTemp(filepath.Join(l.dir, e.Name())) // a crash's leftover
			continue
		}
		n, kind, ok := segmentFile(e.Name())
		if !ok {
			continue // not ours
		}
		switch kind {
		case segmentSuffix:
			nums = append(nums, n)
		case dropSuffix:
			dropping[n] = true
		}
		l.next = max(l.next, n+1)
	}
	slices.Sort(nums)
	// What a drop that a crash cut short after it removed the segment's
	// database file left: its marker, its -wal and -shm files (which must
	// not meet a later segment of the same number).
	for _, e := range entries {
		if n, kind, ok := segmentFile(e.Name()); ok && kind != segmentSuffix && !slices.Contains(nums, n) {
			if err := os.Remove(filepath.Join(l.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fail(fmt.Errorf("sqlite: open %s: %w", l.dir, err))
			}
			delete(dropping, n)
		}
	}
	for _, n := range nums {
		s, err := Open(l.segmentPath(n))
		if err != nil {
			return fail(err)
		}
		l.segs = append(l.segs, &segment{n: n, s: s, empty: true})
	}
	// The main file alone needs no id filter: every delivery is there.
	if len(l.segs) > 1 || opt.rolls() {
		for _, g := range l.segs {
			if err := g.load(ctx); err != nil {
				return fail(err)
			}
		}
	}
	if opt.rolls() && len(l.segs) == 1 {
		if _, err := l.roll(nil); err != nil {
			return fail(err)
		}
	}
	for _, g := range slices.Clone(l.segs) {
		if dropping[g.n] && g.n != 0 {
			if _, _, _, err := l.drop(ctx, g, nil); err != nil {
				return fail(err)
			}
		}
	}
	return l, nil
}

// segmentFile reads the name of a file of the segments directory: the
// segment's number and the kind of file (segmentSuffix, its -wal or -shm
// file, or dropSuffix); ok is false for a name of none of these.
func segmentFile(name string) (n uint64, kind string, ok bool) {
	for _, k := range []string{segmentSuffix, segmentSuffix + "-wal", segmentSuffix + "-shm", dropSuffix} {
		if num, found := strings.CutSuffix(name, k); found {
			n, err := strconv.ParseUint(num, 10, 64)
			return n, k, err == nil && n > 0 && num == fmt.Sprintf("%06d", n)
		}
	}
	return 0, "", false
}

func (l *Segmented) segmentPath(n uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%06d%s", n, segmentSuffix))
}

func (l *Segmented) markerPath(n uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%06d%s", n, dropSuffix))
}

// Path returns the main file's path.
func (l *Segmented) Path() string { return l.path }

// Segments returns how many segment files the log has, the main file not
// counted.
func (l *Segmented) Segments() int { return len(l.snapshot()) - 1 }

// SetLogger sets where every segment reports quarantined rows.
func (l *Segmented) SetLogger(log *slog.Logger) {
	l.log.Store(log)
	for _, g := range l.snapshot() {
		g.s.SetLogger(log)
	}
}

// WaitsForCommit implements engine.CommitWaiter.
func (l *Segmented) WaitsForCommit() bool { return true }

// EndpointsVersion implements engine.EndpointVersioner.
func (l *Segmented) EndpointsVersion() uint64 { return l.main().EndpointsVersion() }

func (l *Segmented) main() *Store { return l.snapshot()[0].s }

func (l *Segmented) snapshot() []*segment {
	segs, _ := l.versioned()
	return segs
}

// versioned returns the segments and their version.
func (l *Segmented) versioned() ([]*segment, uint64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.segs, l.ver
}

// changed reports whether the segments have changed since version v.
func (l *Segmented) changed(v uint64) bool {
	_, now := l.versioned()
	return now != v
}

// setSegments replaces the list of segments.
func (l *Segmented) setSegments(edit func(segs []*segment) []*segment) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segs = edit(slices.Clone(l.segs))
	l.ver++
}

// Close waits for a Prune in progress, then closes every segment. Writes
// after Close fail.
func (l *Segmented) Close() error {
	l.closeOnce.Do(func() {
		l.pruneMu.Lock() // no drop is under way, nor will be (Prune's order: pruneMu, then rollMu)
		defer l.pruneMu.Unlock()
		l.rollMu.Lock() // no segment is being added, nor will be
		l.closed = true
		l.rollMu.Unlock()
		var errs []error
		for _, g := range l.snapshot() {
			g.mu.Lock()
			errs = append(errs, g.s.Close())
			g.mu.Unlock()
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Endpoints live in the main file.

func (l *Segmented) PutEndpoint(ctx context.Context, e *engine.Endpoint) error {
	return l.main().PutEndpoint(ctx, e)
}

func (l *Segmented) GetEndpoint(ctx context.Context, id string) (*engine.Endpoint, error) {
	return l.main().GetEndpoint(ctx, id)
}

func (l *Segmented) ListEndpoints(ctx context.Context) ([]*engine.Endpoint, error) {
	return l.main().ListEndpoints(ctx)
}

func (l *Segmented) DeleteEndpoint(ctx context.Context, id string) error {
	return l.main().DeleteEndpoint(ctx, id)
}

// PutDelivery implements engine.Store.PutDelivery.
func (l *Segmented) PutDelivery(ctx context.Context, d *engine.Delivery) error {
	return l.write(ctx, d, func(s *Store) error { return s.PutDelivery(ctx, d) })
}

// AddAttempt implements engine.Store.AddAttempt.
func (l *Segmented) AddAttempt(ctx context.Context, a *engine.Attempt, d *engine.Delivery) error {
	if d == nil || d.ID != a.DeliveryID {
		return l.main().AddAttempt(ctx, a, d) // its error
	}
	return l.write(ctx, d, func(s *Store) error { return s.AddAttempt(ctx, a, d) })
}

// write runs fn on the segment that holds d, or takes it.
func (l *Segmented) write(ctx context.Context, d *engine.Delivery, fn func(s *Store) error) error {
	created, err := encTime(d.CreatedAt)
	if err != nil {
		return l.main().fail(fmt.Sprintf("put delivery %q", d.ID), fmt.Errorf("created_at: %w", err))
	}
	for {
		segs, v := l.versioned()
		g, err := l.holder(ctx, segs[:len(segs)-1], d.ID)
		if err != nil {
			return err
		}
		if g == nil {
			if g, err = l.taker(ctx, segs, d.ID, created); err != nil {
				return err
			}
		}
		g.mu.RLock()
		if g.gone.Load() || l.changed(v) {
			// A segment was added or dropped since segs: the delivery may
			// have been copied into one holder did not ask.
			g.mu.RUnlock()
			continue
		}
		if g.ids != nil {
			g.ids.add(d.ID)
		}
		g.note(d.ID, created, true)
		err = fn(g.s)
		g.mu.RUnlock()
		return err
	}
}

// holder returns the newest of segs that holds delivery id, nil if none.
func (l *Segmented) holder(ctx context.Context, segs []*segment, id string) (*segment, error) {
	g, err := search(segs, id, func(s *Store) error {
		_, err := s.createdAt(ctx, id)
		return err
	})
	if err != nil {
		return nil, g.s.fail(fmt.Sprintf("find delivery %q", id), err)
	}
	return g, nil
}

// search runs read on the segments of segs that may hold delivery id (by
// their id filters), newest first, each under its read lock (so that it
// waits for a drop of that segment to end, after which the segment holds
// nothing), until read returns anything but engine.ErrNotFound. It
// returns that segment and read's error, or nil and nil when none holds
// id.
func search(segs []*segment, id string, read func(s *Store) error) (*segment, error) {
	for _, g := range slices.Backward(segs) {
		if g.ids != nil && !g.ids.has(id) {
			continue
		}
		g.mu.RLock()
		err := engine.ErrNotFound
		if !g.gone.Load() {
			err = read(g.s)
		}
		g.mu.RUnlock()
		if !errors.Is(err, engine.ErrNotFound) {
			return g, err
		}
	}
	return nil, nil
}

// taker returns the segment for delivery id, created at created, that no
// older segment holds: the newest, unless it is full and does not hold
// it, in which case a new one.
func (l *Segmented) taker(ctx context.Context, segs []*segment, id string, created int64) (*segment, error) {
	g := segs[len(segs)-1]
	if !g.dropping.Load() && !l.full(g, created) {
		return g, nil
	}
	if h, err := l.holder(ctx, segs[len(segs)-1:], id); h != nil || err != nil {
		return h, err
	}
	return l.roll(g)
}

// full reports whether g takes no new delivery created at created.
func (l *Segmented) full(g *segment, created int64) bool {
	if g.n == 0 && l.opt.rolls() {
		return true // the main file takes none once there are segments
	}
	if n, _ := g.s.held(); l.opt.Size > 0 && n >= int64(l.opt.Size) {
		return true
	}
	first, ok := g.since()
	return ok && l.opt.Span > 0 && created-first >= int64(l.opt.Span)
}

// roll adds a new segment after full, the newest when it was found full
// (nil: whatever is newest), unless another call added one meanwhile.
func (l *Segmented) roll(full *segment) (*segment, error) {
	l.rollMu.Lock()
	defer l.rollMu.Unlock()
	segs := l.snapshot()
	if last := segs[len(segs)-1]; full != nil && last != full && !last.dropping.Load() {
		return last, nil
	}
	if l.closed {
		return nil, fmt.Errorf("sqlite: %s is closed", l.path)
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	n := l.next
	if err := l.copyTemplate(l.segmentPath(n)); err != nil {
		return nil, err
	}
	s, err := Open(l.segmentPath(n))
	if err != nil {
		return nil, err
	}
	l.next++
	s.SetLogger(l.log.Load())
	g := &segment{n: n, s: s, ids: newIDFilter(), empty: true}
	l.setSegments(func(segs []*segment) []*segment { return append(segs, g) })
	return g, nil
}

// tempSuffix ends the files a Segmented log writes before it renames
// them: Open removes those a crash left.
const tempSuffix = ".tmp"

// copyTemplate writes a new, empty log of the current schema at path: a
// copy of one made once (template), written beside it and renamed, so
// that a crash leaves no partial segment. It costs a third of creating
// the schema (3 ms of CPU against 9).
func (l *Segmented) copyTemplate(path string) error {
	l.tplOnce.Do(func() {
		p := filepath.Join(l.dir, "template"+tempSuffix)
		removeTemp(p)
		s, err := Open(p)
		if err == nil {
			err = s.Close() // checkpoints: the file is then whole
		}
		if err == nil {
			l.tpl, err = os.ReadFile(p)
		}
		removeTemp(p)
		if err != nil {
			l.tplErr = fmt.Errorf("sqlite: make a segment template: %w", err)
		}
	})
	if l.tplErr != nil {
		return l.tplErr
	}
	tmp := path + tempSuffix
	err := os.WriteFile(tmp, l.tpl, 0o600)
	if err == nil {
		removeTemp(path) // what an Open that failed here may have left
		err = os.Rename(tmp, path)
	}
	if err != nil {
		removeTemp(tmp)
		return fmt.Errorf("sqlite: new segment: %w", err)
	}
	return nil
}

// removeTemp removes the file at path and its -wal and -shm files, if any.
func removeTemp(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}

// GetDelivery implements engine.Store.GetDelivery.
func (l *Segmented) GetDelivery(ctx context.Context, id string) (*engine.Delivery, error) {
	var d *engine.Delivery
	err := l.find(ctx, id, fmt.Sprintf("get delivery %q", id), func(s *Store) (err error) {
		d, err = s.GetDelivery(ctx, id)
		return err
	})
	return d, err
}

// ListAttempts implements engine.Store.ListAttempts.
func (l *Segmented) ListAttempts(ctx context.Context, deliveryID string) ([]*engine.Attempt, error) {
	var list []*engine.Attempt
	err := l.find(ctx, deliveryID, fmt.Sprintf("list attempts of delivery %q", deliveryID), func(s *Store) (err error) {
		list, err = s.ListAttempts(ctx, deliveryID)
		return err
	})
	return list, err
}

// find runs read on the segments that may hold delivery id, newest first,
// until one does not say engine.ErrNotFound.
func (l *Segmented) find(ctx context.Context, id, op string, read func(s *Store) error) error {
	for {
		segs, v := l.versioned()
		if g, err := search(segs, id, read); g != nil {
			return err
		}
		if !l.changed(v) { // else a drop may have moved it past us
			return l.main().fail(op, engine.ErrNotFound)
		}
	}
}

// ListDeliveries implements engine.Store.ListDeliveries: each segment
// whose creation times can reach the page is asked for it, newest first,
// and the pages merged.
func (l *Segmented) ListDeliveries(ctx context.Context, f engine.DeliveryFilter) ([]*engine.Delivery, error) {
	for {
		segs, v := l.versioned()
		list, err := l.list(ctx, segs, f)
		if err != nil || !l.changed(v) { // else a drop may have moved one past us
			return list, err
		}
	}
}

// list is ListDeliveries on segs.
func (l *Segmented) list(ctx context.Context, segs []*segment, f engine.DeliveryFilter) ([]*engine.Delivery, error) {
	if len(segs) == 1 {
		return segs[0].s.ListDeliveries(ctx, f)
	}
	var cursor int64 = math.MaxInt64
	if f.Before != "" && f.BeforeAt.IsZero() {
		err := l.find(ctx, f.Before, "list deliveries", func(s *Store) (err error) {
			cursor, err = s.createdAt(ctx, f.Before)
			return err
		})
		if errors.Is(err, engine.ErrNotFound) {
			err = l.main().fail("list deliveries", fmt.Errorf("cursor delivery %q: %w", f.Before, engine.ErrNotFound))
		}
		if err != nil {
			return nil, err
		}
		f.BeforeAt = decTime(cursor)
	} else if f.Before != "" {
		cursor = clampTime(f.BeforeAt)
	}
	var since, until int64 = math.MinInt64, math.MaxInt64
	if !f.Since.IsZero() {
		since = clampTime(f.Since)
	}
	if !f.Until.IsZero() {
		until = clampTime(f.Until)
	}
	type span struct {
		g      *segment
		lo, hi int64
	}
	var spans []span
	for _, g := range segs {
		lo, hi, _, ok := g.bounds()
		// Skip a segment whose deliveries all come before the cursor in
		// the list (newer than it), or lie outside Since and Until.
		if ok && lo <= cursor && hi >= since && lo < until {
			spans = append(spans, span{g, lo, hi})
		}
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(b.hi, a.hi) })
	limit := pageLimit(f.Limit)
	var got []*engine.Delivery
	for _, sp := range spans {
		if len(got) == limit && sp.hi < clampTime(got[len(got)-1].CreatedAt) {
			break // it holds nothing newer than the page's last
		}
		sp.g.mu.RLock()
		var part []*engine.Delivery
		var err error
		if !sp.g.gone.Load() {
			part, err = sp.g.s.ListDeliveries(ctx, f)
		}
		sp.g.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		got = mergePages(got, part, f.Limit)
	}
	return got, nil
}

// Pending implements engine.Store.Pending: every segment's, the soonest
// due first.
func (l *Segmented) Pending(ctx context.Context) ([]*engine.Delivery, error) {
	var all []*engine.Delivery
	for {
		all = all[:0]
		segs, v := l.versioned()
		err := eachLive(segs, func(s *Store) error {
			list, err := s.Pending(ctx)
			all = append(all, list...)
			return err
		})
		if err != nil {
			return nil, err
		}
		if !l.changed(v) { // else a drop may have moved one past us
			break
		}
	}
	slices.SortStableFunc(all, func(a, b *engine.Delivery) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	return all, nil
}

// LogSize implements engine.LogSizer: the sums over the files.
func (l *Segmented) LogSize(ctx context.Context) (engine.LogSize, error) {
	var sz engine.LogSize
	return sz, eachLive(l.snapshot(), func(s *Store) error {
		one, err := s.LogSize(ctx)
		if err != nil {
			return err
		}
		sz.Deliveries += one.Deliveries
		sz.Attempts += one.Attempts
		sz.File = true
		sz.FileBytes += one.FileBytes
		sz.PageSize = cmp.Or(sz.PageSize, one.PageSize)
		sz.Pages += one.Pages
		sz.FreePages += one.FreePages
		sz.Files += one.Files
		return nil
	})
}

// eachLive calls fn with the store of each segment of segs that has not
// been dropped, holding its read lock, until fn fails.
func eachLive(segs []*segment, fn func(s *Store) error) error {
	for _, g := range segs {
		g.mu.RLock()
		var err error
		if !g.gone.Load() {
			err = fn(g.s)
		}
		g.mu.RUnlock()
		if err != nil {
			return err
		}
	}
	return nil
}
