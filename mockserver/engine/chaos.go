package engine

import (
	"sync"
	"time"
)

// mergeChaos returns base with every non-zero field of over applied: a
// trigger's chaos wins over its endpoint's, field by field.
func mergeChaos(base Chaos, over *Chaos) Chaos {
	if over == nil {
		return base
	}
	if over.Duplicates != 0 {
		base.Duplicates = over.Duplicates
	}
	if over.DuplicateSpacing != 0 {
		base.DuplicateSpacing = over.DuplicateSpacing
	}
	if over.ReorderWindow != 0 {
		base.ReorderWindow = over.ReorderWindow
	}
	if over.Delay != 0 {
		base.Delay = over.Delay
	}
	if over.Jitter != 0 {
		base.Jitter = over.Jitter
	}
	if over.CutAfterBody != 0 {
		base.CutAfterBody = over.CutAfterBody
	}
	return base
}

// barrierWait bounds how long (real time) the first attempts of a
// concurrent duplicate group stay parked waiting for their siblings: when
// the endpoint's slots are taken by other deliveries, the copies go as
// soon as they can. A parked copy holds its endpoint slot, no goroutine.
const barrierWait = time.Second

// reorderSpread is the widest span over which the deliveries of one
// reorder window are released after the window closes (smaller when the
// scaled window itself is smaller).
const reorderSpread = time.Millisecond

// chaosState holds the engine's in-memory chaos bookkeeping: the open
// reorder window of each endpoint and the start barriers of concurrent
// duplicate groups. Neither needs to survive a restart: after recovery
// every delivery keeps its persisted due time.
type chaosState struct {
	mu       sync.Mutex
	windows  map[string]time.Time  // endpoint id → close of its open reorder window
	barriers map[string]*barrier   // delivery id → its group's barrier
	live     map[*barrier]struct{} // barriers not yet opened
}

func newChaosState() *chaosState {
	return &chaosState{windows: map[string]time.Time{}, barriers: map[string]*barrier{}, live: map[*barrier]struct{}{}}
}

// reorder returns the due time of a delivery to endpoint ep whose first
// attempt would be at base, under a reorder window of w (scaled, > 0).
//
// The first such delivery opens a window [base, base+w) for its endpoint;
// every delivery to that endpoint whose base falls before the window's
// close joins it. All members are held until the close and then released
// at close + u, with u drawn independently and uniformly from
// [0, min(w, reorderSpread)) by rnd: sorting by independent uniform keys
// is a uniformly random permutation, so the members leave in shuffled
// order, whatever order they were triggered in. The due time is persisted
// with each delivery, so the order survives a restart.
func (c *chaosState) reorder(ep string, base time.Time, w time.Duration, rnd func(time.Duration) time.Duration) time.Time {
	c.mu.Lock()
	end, ok := c.windows[ep]
	if !ok || !base.Before(end) {
		end = base.Add(w)
		if len(c.windows) >= 4096 {
			for k, v := range c.windows {
				if v.Before(base) {
					delete(c.windows, k)
				}
			}
		}
		c.windows[ep] = end
	}
	c.mu.Unlock()
	return end.Add(rnd(min(w, reorderSpread)))
}

// barrier makes the first attempts of an original and its concurrent
// copies start together without holding a worker: each copy, once its
// request can be built, is parked (arrive) and the goroutine that brought
// it moves on; when the last of the barrier's parties arrives, or
// barrierWait after the first parked, every parked attempt starts at once,
// each on a goroutine of its own. The parties are the group's size, at
// most the endpoint's slot count (more could never be under way together);
// copies that arrive after the barrier opened are sent at once.
type barrier struct {
	owner *chaosState

	mu     sync.Mutex
	left   int
	open   bool
	parked []func()
	timer  *time.Timer
}

// arrive counts one party in. Unless the barrier is (or thereby becomes)
// open, or stop is closed, it parks send and reports true: send will run
// on a goroutine of its own when the barrier opens. Otherwise the caller
// sends now.
func (b *barrier) arrive(stop <-chan struct{}, send func()) bool {
	b.mu.Lock()
	if b.open {
		b.mu.Unlock()
		return false
	}
	b.left--
	select {
	case <-stop:
		b.mu.Unlock()
		b.release()
		return false
	default:
	}
	if b.left <= 0 {
		b.mu.Unlock()
		b.release()
		return false
	}
	b.parked = append(b.parked, send)
	if b.timer == nil {
		b.timer = time.AfterFunc(barrierWait, b.release)
	}
	b.mu.Unlock()
	return true
}

// skip counts in a party that will not be sent (it could not be built).
func (b *barrier) skip() {
	b.mu.Lock()
	b.left--
	done := b.left <= 0 && !b.open
	b.mu.Unlock()
	if done {
		b.release()
	}
}

// release opens the barrier: every parked attempt starts.
func (b *barrier) release() {
	b.mu.Lock()
	if b.open {
		b.mu.Unlock()
		return
	}
	b.open = true
	parked := b.parked
	b.parked = nil
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.owner.mu.Lock()
	delete(b.owner.live, b)
	b.owner.mu.Unlock()
	for _, f := range parked {
		go f()
	}
}

// group registers a barrier of parties shared by the given deliveries.
func (c *chaosState) group(ids []string, parties int) {
	b := &barrier{owner: c, left: min(parties, len(ids))}
	c.mu.Lock()
	for _, id := range ids {
		c.barriers[id] = b
	}
	c.live[b] = struct{}{}
	c.mu.Unlock()
}

// takeBarrier removes and returns the barrier of delivery id, if any.
func (c *chaosState) takeBarrier(id string) *barrier {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.barriers[id]
	if b != nil {
		delete(c.barriers, id)
	}
	return b
}

// releaseAll opens every barrier (at Close, after the scheduler stopped:
// the parked attempts go, as attempts under way finish).
func (c *chaosState) releaseAll() {
	c.mu.Lock()
	bs := make([]*barrier, 0, len(c.live))
	for b := range c.live {
		bs = append(bs, b)
	}
	c.mu.Unlock()
	for _, b := range bs {
		b.release()
	}
}

// reset forgets every window and barrier (at Close).
func (c *chaosState) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.windows)
	clear(c.barriers)
	clear(c.live)
}
