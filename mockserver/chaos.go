package mockserver

import (
	"sync"
	"sync/atomic"
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

// barrierWait bounds how long the first attempt of a concurrent duplicate
// waits for its siblings (real time): when workers or endpoint slots are
// too few for the whole group, the copies go as soon as they can.
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
	windows  map[string]time.Time // endpoint id → close of its open reorder window
	barriers map[string]*barrier  // delivery id → its group's barrier
}

func newChaosState() *chaosState {
	return &chaosState{windows: map[string]time.Time{}, barriers: map[string]*barrier{}}
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
// copies start together.
type barrier struct {
	left  atomic.Int32
	ready chan struct{}
}

func newBarrier(n int) *barrier {
	b := &barrier{ready: make(chan struct{})}
	b.left.Store(int32(n))
	return b
}

// done counts one party in; the last one releases everybody.
func (b *barrier) done() {
	if b.left.Add(-1) == 0 {
		close(b.ready)
	}
}

// wait counts one party in and waits for the others, at most barrierWait
// or until stop is closed.
func (b *barrier) wait(stop <-chan struct{}) {
	b.done()
	select {
	case <-b.ready:
		return
	default:
	}
	t := time.NewTimer(barrierWait)
	defer t.Stop()
	select {
	case <-b.ready:
	case <-t.C:
	case <-stop:
	}
}

// group registers a barrier shared by the given deliveries.
func (c *chaosState) group(ids []string) {
	b := newBarrier(len(ids))
	c.mu.Lock()
	for _, id := range ids {
		c.barriers[id] = b
	}
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

// reset forgets every window and barrier (at Close).
func (c *chaosState) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.windows)
	clear(c.barriers)
}
