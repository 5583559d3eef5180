package engine

import (
	"sort"
	"sync"
	"time"
)

// FakeClock is a Clock that moves only when told to (Advance, Set), so a
// test can walk through a retry schedule of hours in microseconds. Timers
// fire, in deadline order, when the clock reaches their deadline. A
// FakeClock is safe for concurrent use; make one with NewFakeClock.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]struct{}
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, timers: map[*fakeTimer]struct{}{}}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches Now()+d; a d
// of zero or less fires at once.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the clock forward by d and fires every timer that is due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	t := c.now.Add(d)
	c.mu.Unlock()
	c.Set(t)
}

// Set moves the clock to t (never backwards) and fires every timer whose
// deadline is at or before t, earliest first.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	var due []*fakeTimer
	for ft := range c.timers {
		if !ft.at.After(c.now) {
			due = append(due, ft)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, ft := range due {
		c.fireLocked(ft)
	}
}

// NextDeadline returns the earliest deadline of a running timer.
func (c *FakeClock) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best time.Time
	ok := false
	for ft := range c.timers {
		if !ok || ft.at.Before(best) {
			best, ok = ft.at, true
		}
	}
	return best, ok
}

func (c *FakeClock) fireLocked(ft *fakeTimer) {
	delete(c.timers, ft)
	select {
	case ft.ch <- c.now:
	default:
	}
}

type fakeTimer struct {
	c  *FakeClock
	ch chan time.Time
	at time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, running := t.c.timers[t]
	delete(t.c.timers, t)
	t.drain()
	return running
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, running := t.c.timers[t]
	t.drain()
	t.at = t.c.now.Add(d)
	if d <= 0 {
		delete(t.c.timers, t)
		t.c.fireLocked(t)
		return running
	}
	t.c.timers[t] = struct{}{}
	return running
}

func (t *fakeTimer) drain() {
	select {
	case <-t.ch:
	default:
	}
}
