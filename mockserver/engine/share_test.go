package engine

import (
	"fmt"
	"testing"
	"time"
	"unique"
)

// TestRecentSet: touching keeps an endpoint for the window after its last
// touch; the oldest leave first; a touched one moves to the back.
func TestRecentSet(t *testing.T) {
	r := newRecentSet()
	a, b, c := unique.Make("a"), unique.Make("b"), unique.Make("c")
	const w = 10
	r.touch(a, 0, w)
	r.touch(b, 3, w)
	r.touch(c, 5, w)
	r.touch(a, 6, w) // a moves behind c
	if r.len() != 3 || r.head.ep != b || r.tail.ep != a {
		t.Fatalf("len %d, head %v, tail %v: want 3, b first, a last", r.len(), r.head.ep.Value(), r.tail.ep.Value())
	}
	r.touch(c, 13, w) // b (3) has left: 13-10 >= 3
	if r.len() != 2 || r.has(b) || !r.has(a) || !r.has(c) {
		t.Fatalf("after 13: len %d, has a/b/c %v %v %v: want a and c", r.len(), r.has(a), r.has(b), r.has(c))
	}
	r.expire(12) // a's last touch, 6, is at or before 12; c's, 13, is not
	if r.len() != 1 || !r.has(c) || r.head != r.tail {
		t.Fatalf("after expiring to 12: len %d, want c alone", r.len())
	}
	r.expire(13)
	if r.len() != 0 || r.head != nil || r.tail != nil {
		t.Fatalf("after expiring to 13: len %d, want empty", r.len())
	}
}

// TestSchedulerFairShare: an endpoint alone may use every one of its maxPer
// slots; while another endpoint has had an attempt within the window it
// starts attempts only below its share, ceil(maxPer/2), and it gets its
// slots back once the other has been quiet for the window. Attempts under
// way are never stopped, and the share never falls below one slot.
func TestSchedulerFairShare(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	const maxPer, window = 8, time.Second
	s := newScheduler(fc, 64, maxPer, window, nil)
	storm, calm := unique.Make("storm"), unique.Make("calm")
	add := func(prefix string, ep unique.Handle[string], n int) {
		for i := range n {
			s.add(fmt.Sprint(prefix, i), ep, fc.Now())
		}
	}
	add("s", storm, 20)
	if got := len(s.jobs); got != maxPer {
		t.Fatalf("alone, the storm started %d attempts, want all %d slots", got, maxPer)
	}
	add("c", calm, 1)
	if got := len(s.jobs); got != maxPer+1 {
		t.Fatalf("the calm endpoint's delivery did not start at once beside the storm (%d jobs)", got)
	}
	var storms []schedEntry
	for len(s.jobs) > 0 {
		if j := <-s.jobs; j.ep == storm {
			storms = append(storms, j)
		} else if _, ok := s.finish(j, nil, slotWorker); ok {
			t.Fatalf("the calm endpoint's worker got more work")
		}
	}
	// Two endpoints active: the storm's share is 4. Its attempts under way
	// finish one by one; a freed slot starts the next only below the share.
	for i, j := range storms {
		next, ok := s.finish(j, nil, slotWorker)
		under := maxPer - 1 - i
		if ok != (under < maxPer/2) {
			t.Fatalf("with %d storm attempts under way, a freed slot started another: %v (share %d)", under, ok, maxPer/2)
		}
		if ok {
			storms = append(storms, next) // runs until the end of the test
			break
		}
	}
	if s.active[storm] != maxPer/2 {
		t.Fatalf("the storm has %d under way, want its share %d", s.active[storm], maxPer/2)
	}
	// Quiet for the window: the storm's next start may use every slot.
	fc.Advance(window)
	if got := s.share(storm); got != maxPer {
		t.Fatalf("after a quiet window the storm's share is %d, want %d", got, maxPer)
	}
	// The next storm delivery due starts the queued ones up to every slot.
	s.add("s-late", storm, fc.Now())
	if s.active[storm] != maxPer {
		t.Fatalf("alone again, the storm has %d under way, want %d", s.active[storm], maxPer)
	}
	// Many endpoints active: every share is one slot, never zero.
	for i := range 3 * maxPer {
		add(fmt.Sprint("m", i, "-"), unique.Make(fmt.Sprint("m", i)), 2)
	}
	if got := s.share(unique.Make("m0")); got != 1 {
		t.Fatalf("with %d endpoints active the share is %d, want 1", 3*maxPer+2, got)
	}
	if got := s.active[unique.Make(fmt.Sprint("m", 3*maxPer-1))]; got != 1 {
		t.Fatalf("an endpoint with 2 due deliveries among many active has %d under way, want 1", got)
	}
}

// TestSchedulerFairShareOff: a window of 0 keeps maxPer for every endpoint.
func TestSchedulerFairShareOff(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	s := newScheduler(fc, 64, 4, 0, nil)
	a, b := unique.Make("a"), unique.Make("b")
	for i := range 6 {
		s.add(fmt.Sprint("a", i), a, fc.Now())
		s.add(fmt.Sprint("b", i), b, fc.Now())
	}
	if s.active[a] != 4 || s.active[b] != 4 || s.share(a) != 4 {
		t.Fatalf("under way a %d, b %d, share %d: want 4 each", s.active[a], s.active[b], s.share(a))
	}
}

// TestDuplicateGroupStartsItsShare: the copies of a concurrent duplicate
// group that start together are as many as the endpoint's fair share when
// the group is triggered: all MaxPerEndpoint alone, half of them while
// another endpoint has had an attempt, so that the group's barrier never
// waits for copies that the share keeps queued.
func TestDuplicateGroupStartsItsShare(t *testing.T) {
	const maxPer = 4
	other := newEngReceiver(t, nil)
	e := engTestEngine(t, EngineConfig{MaxPerEndpoint: maxPer, ShareWindow: time.Hour})
	// A long chaos delay keeps the copies in the timer heap, barrier and all.
	storm := engAddEndpoint(t, e, "standard", "", "http://127.0.0.1:1/never", Chaos{Duplicates: 2 * maxPer, Delay: Duration(time.Hour)})
	parties := func(res *TriggerResult) int {
		e.chaos.mu.Lock()
		defer e.chaos.mu.Unlock()
		b := e.chaos.barriers[res.Deliveries[0].ID]
		if b == nil {
			t.Fatalf("the group has no barrier")
		}
		return b.left
	}
	if got := parties(engTrigger(t, e, "standard", "order.created", storm)); got != maxPer {
		t.Fatalf("alone, %d copies start together, want %d", got, maxPer)
	}
	calm := engAddEndpoint(t, e, "standard", "", other.srv.URL, Chaos{})
	res := engTrigger(t, e, "standard", "order.created", calm)
	if d := engWaitState(t, e, res.Deliveries[0].ID, 10*time.Second); d.State != StateDelivered {
		t.Fatalf("the other endpoint's delivery: %s", d.State)
	}
	if got := parties(engTrigger(t, e, "standard", "order.created", storm)); got != maxPer/2 {
		t.Fatalf("beside another active endpoint, %d copies start together, want its share %d", got, maxPer/2)
	}
}
