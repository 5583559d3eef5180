package engine

import "sync"

// CommitWaiter is implemented by a Store whose writes return only once
// they are committed to disk (the SQLite log), which takes far longer than
// an attempt's own bookkeeping. The engine then writes the attempt that
// ends a delivery (delivered, failed or exhausted) on a goroutine of its
// own, at most 1024 at a time, so that neither the worker nor the
// endpoint's slot waits for the commit. Attempts that schedule a retry are
// still written before the retry is scheduled. If the process dies before
// such a deferred write is on file, the delivery is still pending in the
// Store and is sent again after the restart: at least once, never lost.
type CommitWaiter interface {
	WaitsForCommit() bool
}

// maxDeferred bounds the deferred final writes in flight; beyond it a
// worker waits for a free place (back-pressure on a slow disk).
const maxDeferred = 1024

// deferrer runs deferred final writes and remembers which deliveries have
// one in flight, so that RetryNow does not take such a delivery on again.
type deferrer struct {
	slots chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	writing map[string]struct{}
}

func newDeferrer() *deferrer {
	return &deferrer{slots: make(chan struct{}, maxDeferred), writing: map[string]struct{}{}}
}

// run starts fn for delivery id on its own goroutine once a place is free.
func (d *deferrer) run(id string, fn func()) {
	d.slots <- struct{}{}
	d.mu.Lock()
	d.writing[id] = struct{}{}
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		fn()
		d.mu.Lock()
		delete(d.writing, id)
		d.mu.Unlock()
		<-d.slots
	}()
}

// busy reports whether delivery id has a deferred write in flight.
func (d *deferrer) busy(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.writing[id]
	return ok
}

// wait returns once every deferred write has finished.
func (d *deferrer) wait() { d.wg.Wait() }
