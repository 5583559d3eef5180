package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Prune implements engine.Store.Prune for a Segmented log: the main
// file's deliveries (the oldest) row by row, as Store.Prune; then whole
// segments, the one whose newest delivery is oldest first, while the
// rule selects every delivery a segment holds but those it keeps: by
// count, while the log still holds r.Keep once the segment is gone; by
// age, when the segment's newest delivery is older than r.Before. A kept
// delivery is copied into the newest segment first. A segment that takes
// new deliveries is dropped only when it is full by Size.
//
// A call stops once it has removed r.Limit deliveries, but a segment goes
// whole: it may remove more.
func (l *Segmented) Prune(ctx context.Context, r engine.PruneRule) (engine.PruneResult, error) {
	l.pruneMu.Lock()
	defer l.pruneMu.Unlock()
	l.rollMu.Lock()
	closed := l.closed
	l.rollMu.Unlock()
	if closed {
		return engine.PruneResult{}, fmt.Errorf("sqlite: prune: %s is closed", l.path)
	}
	segs := l.snapshot()
	if len(segs) == 1 {
		return segs[0].s.Prune(ctx, r)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = engine.DefaultPruneBatch
	}
	before := int64(math.MinInt64)
	if !r.Before.IsZero() {
		before = clampTime(r.Before)
	}
	var total int64
	for _, g := range segs {
		n, _ := g.s.held()
		total += n
	}
	var res engine.PruneResult
	if m, _ := segs[0].s.held(); m > 0 {
		mr := engine.PruneRule{Before: r.Before, Limit: limit}
		if r.Keep > 0 {
			if k := int64(r.Keep) - (total - m); k > 0 {
				mr.Keep = int(k)
			} else {
				mr.Before = time.Unix(0, math.MaxInt64) // every one it does not keep
			}
		}
		if mr.Keep > 0 || !mr.Before.IsZero() {
			pr, err := segs[0].s.Prune(ctx, mr)
			res.Deliveries, res.Attempts, res.More = pr.Deliveries, pr.Attempts, pr.More
			total -= int64(pr.Deliveries)
			if err != nil || pr.More {
				return res, err
			}
		}
	}
	type cand struct {
		g      *segment
		hi     int64
		id     string
		filled bool
	}
	var cands []cand
	for _, g := range segs[1:] {
		_, hi, id, ok := g.bounds()
		cands = append(cands, cand{g, hi, id, ok})
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.hi, b.hi), strings.Compare(a.id, b.id))
	})
	newest := segs[len(segs)-1]
	var keys map[pendingKey]bool
	for _, c := range cands {
		if res.Deliveries >= limit {
			break
		}
		g := c.g
		n, _ := g.s.held()
		if g == newest && (l.opt.Size <= 0 || n < int64(l.opt.Size)) {
			continue // still taking deliveries
		}
		if !c.filled {
			if g != newest {
				if _, _, _, err := l.drop(ctx, g, nil); err != nil {
					return res, err
				}
			}
			continue
		}
		// Due by age, or by count if the log holds Keep without any of
		// it. (The deliveries it keeps, copied, would count too: taking
		// them into account would cost a read of every segment's pending
		// deliveries at every pass, for a segment's worth of slack.)
		byAge := c.hi < before
		byCount := r.Keep > 0 && total-n >= int64(r.Keep)
		if !byAge && !byCount {
			break // no newer segment is due either
		}
		if time.Now().Before(g.keptUntil) {
			continue // it held only deliveries the rule keeps a moment ago
		}
		if keys == nil {
			var err error
			if keys, err = l.pendingKeys(ctx, segs); err != nil {
				return res, err
			}
		}
		d, a, dropped, err := l.drop(ctx, g, keys)
		res.Deliveries += d
		res.Attempts += a
		total -= int64(d)
		if err != nil {
			return res, err
		}
		if !dropped {
			g.keptUntil = time.Now().Add(allKeptBackoff)
		}
	}
	res.More = res.Deliveries >= limit
	return res, nil
}

// allKeptBackoff is how long Prune leaves alone a segment it found holding
// only deliveries the rule keeps (pending ones, mostly, waiting for their
// retries), rather than reading them again at every pass (a variable for
// the tests).
var allKeptBackoff = 10 * time.Second

// pendingKey is a trigger with a pending delivery: its event id and
// creation time (stored form).
type pendingKey struct {
	event   string
	created int64
}

// pendingKeys returns the triggers with a pending delivery in segs.
func (l *Segmented) pendingKeys(ctx context.Context, segs []*segment) (map[pendingKey]bool, error) {
	keys := map[pendingKey]bool{}
	err := eachLive(segs, func(s *Store) error {
		return s.pendingTriggers(ctx, func(event string, created int64) { keys[pendingKey{event, created}] = true })
	})
	return keys, err
}

// keptIn returns the deliveries of g that the rule keeps: those of the
// triggers in keys.
func keptIn(ctx context.Context, g *segment, keys map[pendingKey]bool) ([]*engine.Delivery, error) {
	lo, hi, _, ok := g.bounds()
	if !ok {
		return nil, nil
	}
	var kept []*engine.Delivery
	for k := range keys {
		if k.created < lo || k.created > hi {
			continue
		}
		at := decTime(k.created)
		for f := (engine.DeliveryFilter{EventID: k.event, Since: at, Until: at.Add(1), Limit: maxLimit}); ; {
			page, err := g.s.ListDeliveries(ctx, f)
			if err != nil {
				return nil, err
			}
			kept = append(kept, page...)
			if len(page) < maxLimit {
				break
			}
			f.Before, f.BeforeAt = page[len(page)-1].ID, page[len(page)-1].CreatedAt
		}
	}
	return kept, nil
}

// drop removes segment g, after copying the deliveries the rule keeps
// (those of the triggers in keys, or of those pending anywhere when keys
// is nil) into the newest segment, unless it holds nothing else. It
// returns the deliveries and attempts removed.
func (l *Segmented) drop(ctx context.Context, g *segment, keys map[pendingKey]bool) (deliveries, attempts int, dropped bool, err error) {
	marker := l.markerPath(g.n)
	fail := func(what string, err error) (int, int, bool, error) {
		return 0, 0, false, fmt.Errorf("sqlite: drop segment %s: %s: %w", g.s.path, what, err)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return fail("mark it", err)
	}
	if keys == nil {
		if keys, err = l.pendingKeys(ctx, l.snapshot()); err != nil {
			return fail("find the pending deliveries", err)
		}
	}
	g.mu.Lock() // no read or write of g from here
	unlock := sync.OnceFunc(g.mu.Unlock)
	defer unlock()
	g.dropping.Store(true) // nor a new delivery
	defer func() {
		if !dropped {
			g.dropping.Store(false)
		}
	}()
	// Its own pending deliveries, as of now.
	if err := g.s.pendingTriggers(ctx, func(event string, created int64) { keys[pendingKey{event, created}] = true }); err != nil {
		return fail("find its pending deliveries", err)
	}
	kept, err := keptIn(ctx, g, keys)
	if err != nil {
		return fail("find the deliveries it keeps", err)
	}
	n, a := g.s.held()
	if n > 0 && int64(len(kept)) >= n {
		return 0, 0, false, removeMarker(marker)
	}
	moved := 0
	for _, d := range kept {
		m, err := l.copyInto(ctx, g, d)
		if err != nil {
			return fail(fmt.Sprintf("copy delivery %q it keeps", d.ID), err)
		}
		moved += m
	}
	g.gone.Store(true)
	dropped = true
	l.setSegments(func(segs []*segment) []*segment {
		return slices.DeleteFunc(segs, func(x *segment) bool { return x == g })
	})
	unlock()
	if err := g.s.discard(); err != nil {
		return int(n) - len(kept), int(a) - moved, true, fmt.Errorf("sqlite: drop segment: %w", err)
	}
	return int(n) - len(kept), int(a) - moved, true, removeMarker(marker)
}

// copyInto copies delivery d of g, which is being dropped, with its
// attempts, into the newest segment, and returns the attempts copied. A
// copy that a crash left of a drop is replaced: Open does the drop again.
func (l *Segmented) copyInto(ctx context.Context, g *segment, d *engine.Delivery) (int, error) {
	atts, err := g.s.ListAttempts(ctx, d.ID)
	if err != nil {
		return 0, err
	}
	created := clampTime(d.CreatedAt)
	var dst *segment
	for {
		segs, v := l.versioned()
		segs = slices.DeleteFunc(slices.Clone(segs), func(x *segment) bool { return x == g })
		if dst, err = l.holder(ctx, segs, d.ID); err == nil && dst == nil {
			dst, err = l.taker(ctx, segs, d.ID, created)
		}
		if err != nil {
			return 0, err
		}
		dst.mu.RLock()
		if !dst.gone.Load() && !l.changed(v) {
			break
		}
		dst.mu.RUnlock()
	}
	defer dst.mu.RUnlock()
	if dst.ids != nil {
		dst.ids.add(d.ID)
	}
	dst.note(d.ID, created, false)
	if err := dst.s.PutDelivery(ctx, d); err != nil {
		return 0, err
	}
	for _, at := range atts {
		if err := dst.s.AddAttempt(ctx, at, d); err != nil {
			return 0, err
		}
	}
	return len(atts), nil
}

func removeMarker(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}
