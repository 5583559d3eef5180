package mockserver

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
	"unique"
)

// TestSchedulerOrder: due deliveries leave in due order; re-adding keeps
// the earlier time; taking removes; counts follow.
func TestSchedulerOrder(t *testing.T) {
	fc := NewFakeClock(time.Unix(0, 0))
	var count int
	s := newScheduler(fc, 100, func(d int) { count += d })
	ep := unique.Make("ep")
	at := func(sec int) time.Time { return time.Unix(int64(sec), 0) }
	s.add("c", ep, at(3))
	s.add("a", ep, at(1))
	s.add("b", ep, at(2))
	s.add("b", ep, at(5)) // later: ignored
	s.add("d", ep, at(9))
	s.add("d", ep, at(4)) // earlier: moves
	s.add("e", ep, at(6))
	if !s.take("e") || s.take("e") {
		t.Fatalf("take")
	}
	if count != 4 || s.count() != 4 {
		t.Fatalf("count %d / %d, want 4", count, s.count())
	}
	var got []string
	for {
		j, ok := s.nextDueLocked(at(100).UnixNano())
		if !ok {
			break
		}
		got = append(got, j.id)
		s.finish(j, nil)
	}
	if fmt.Sprint(got) != "[a b c d]" || count != 0 || s.count() != 0 {
		t.Fatalf("order %v, count %d", got, count)
	}
	if _, ok := s.nextDueLocked(at(100).UnixNano()); ok || len(s.h) != 0 {
		t.Fatalf("stale entries left: %d", len(s.h))
	}
}

// TestSchedulerPerEndpointLimit: due deliveries beyond MaxPerEndpoint wait
// for a slot, and are handed to the worker that frees one.
func TestSchedulerPerEndpointLimit(t *testing.T) {
	// The clock stands before every due time, so that all go to the heap.
	s := newScheduler(NewFakeClock(time.Unix(-1, 0)), 2, nil)
	a, b := unique.Make("a"), unique.Make("b")
	for i := range 4 {
		s.add(fmt.Sprint("a", i), a, time.Unix(0, int64(i)))
	}
	s.add("b0", b, time.Unix(0, 10))
	var running []schedEntry
	for {
		j, ok := s.nextDueLocked(100)
		if !ok {
			break
		}
		running = append(running, j)
	}
	if len(running) != 3 || running[2].id != "b0" || s.busy() != 5 {
		t.Fatalf("running %v, busy %d", running, s.busy())
	}
	next, ok := s.finish(running[0], nil)
	if !ok || next.id != "a2" {
		t.Fatalf("freed slot went to %v %v", next, ok)
	}
	if tracked, waiting := s.state("a3"); !tracked || waiting {
		t.Fatalf("a3 should be blocked")
	}
}

// TestSchedulerDueNowSkipsDispatcher: a delivery due at once goes straight
// into the workers' buffer, carrying its delivery, while its endpoint has a
// free slot; beyond the limit it waits for a slot, and a full buffer sends
// it through the heap.
func TestSchedulerDueNowSkipsDispatcher(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	s := newScheduler(fc, 2, nil)
	a := unique.Make("a")
	d := &Delivery{ID: "a0"}
	s.addEntry(schedEntry{due: fc.Now().UnixNano(), id: "a0", ep: a, d: d})
	s.add("a1", a, fc.Now().Add(-time.Second))
	s.add("a2", a, fc.Now())
	if len(s.jobs) != 2 || len(s.h) != 0 {
		t.Fatalf("jobs %d, heap %d: want 2 dispatched, none in the heap", len(s.jobs), len(s.h))
	}
	if j := <-s.jobs; j.id != "a0" || j.d != d {
		t.Fatalf("first job %+v, want a0 with its delivery", j)
	}
	if tracked, waiting := s.state("a2"); !tracked || waiting {
		t.Fatalf("a2 should wait for a slot")
	}
	for i := range jobsBuffer - len(s.jobs) + 1 {
		s.add(fmt.Sprint("b", i), unique.Make(fmt.Sprint("b", i)), fc.Now())
	}
	if len(s.jobs) != jobsBuffer || len(s.h) != 1 {
		t.Fatalf("jobs %d, heap %d: want a full buffer and one in the heap", len(s.jobs), len(s.h))
	}
}

// TestEngineConcurrencyBounds: at most MaxPerEndpoint attempts run against
// one endpoint, and a saturated endpoint does not hold up another.
func TestEngineConcurrencyBounds(t *testing.T) {
	const limit = 3
	var (
		mu          sync.Mutex
		cur, peak   int
		release     = make(chan struct{})
		peakReached = make(chan struct{})
	)
	slow := newEngReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		cur++
		if cur > peak {
			peak = cur
			if peak == limit {
				close(peakReached)
			}
		}
		mu.Unlock()
		<-release
		mu.Lock()
		cur--
		mu.Unlock()
	})
	fast := newEngReceiver(t, nil)
	e := engTestEngine(t, EngineConfig{MaxPerEndpoint: limit, Workers: 8})
	epSlow := engAddEndpoint(t, e, "standard", "", slow.srv.URL, Chaos{})
	epFast := engAddEndpoint(t, e, "standard", "", fast.srv.URL, Chaos{})
	for range 10 {
		engTrigger(t, e, "standard", "order.created", epSlow)
	}
	<-peakReached
	res := engTrigger(t, e, "standard", "order.created", epFast)
	if d := engWaitState(t, e, res.Deliveries[0].ID, 5*time.Second); d.State != StateDelivered {
		t.Fatalf("fast endpoint: %s", d.State)
	}
	close(release)
	engEventually(t, 10*time.Second, "all slow deliveries", func() bool { return slow.count() == 10 && e.Pending() == 0 })
	if peak != limit {
		t.Fatalf("peak concurrency %d, want %d", peak, limit)
	}
}
