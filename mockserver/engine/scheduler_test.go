package engine

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
	"unique"
)

// dueJobs dispatches everything due at now and returns what went to the
// workers, in order.
func dueJobs(s *scheduler, now time.Time) []schedEntry {
	s.mu.Lock()
	s.dispatchDueLocked(now.UnixNano())
	s.unlock()
	var out []schedEntry
	for len(s.jobs) > 0 {
		out = append(out, <-s.jobs)
	}
	return out
}

func jobIDs(js []schedEntry) string {
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = j.id
	}
	return fmt.Sprint(ids)
}

// TestSchedulerOrder: due deliveries leave in due order; re-adding keeps
// the earlier time; taking removes; counts follow.
func TestSchedulerOrder(t *testing.T) {
	fc := NewFakeClock(time.Unix(0, 0))
	var count int
	s := newScheduler(fc, 100, 100, 0, func(d int) { count += d })
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
	got := dueJobs(s, at(100))
	for _, j := range got {
		s.finish(j, nil, slotWorker)
	}
	if jobIDs(got) != "[a b c d]" || count != 0 || s.count() != 0 {
		t.Fatalf("order %v, count %d", jobIDs(got), count)
	}
	if len(dueJobs(s, at(100))) != 0 || len(s.h) != 0 {
		t.Fatalf("stale entries left: %d", len(s.h))
	}
}

// TestSchedulerPerEndpointLimit: due deliveries beyond MaxPerEndpoint wait
// for a slot, and are handed to the worker that frees one.
func TestSchedulerPerEndpointLimit(t *testing.T) {
	// The clock stands before every due time, so that all go to the heap.
	s := newScheduler(NewFakeClock(time.Unix(-1, 0)), 8, 2, 0, nil)
	a, b := unique.Make("a"), unique.Make("b")
	for i := range 4 {
		s.add(fmt.Sprint("a", i), a, time.Unix(0, int64(i)))
	}
	s.add("b0", b, time.Unix(0, 10))
	running := dueJobs(s, time.Unix(0, 100))
	if jobIDs(running) != "[a0 a1 b0]" || s.busy() != 5 {
		t.Fatalf("running %v, busy %d", jobIDs(running), s.busy())
	}
	next, ok := s.finish(running[0], nil, slotWorker)
	if !ok || next.id != "a2" {
		t.Fatalf("freed slot went to %v %v", next, ok)
	}
	if tracked, waiting := s.state("a3"); !tracked || waiting {
		t.Fatalf("a3 should be blocked")
	}
}

// TestSchedulerDueNowSkipsDispatcher: a delivery due at once goes straight
// to the workers' channel, carrying its delivery, while its endpoint has a
// free slot and a worker is free; beyond either it waits in its
// endpoint's queue, never in the heap.
func TestSchedulerDueNowSkipsDispatcher(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	const workers = 4
	s := newScheduler(fc, workers, 2, 0, nil)
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
	for i := range 3 { // b0 and b1 take the last free workers; b2 waits
		s.add(fmt.Sprint("b", i), unique.Make(fmt.Sprint("b", i)), fc.Now())
	}
	if s.running != workers || len(s.h) != 0 || len(s.ring)-s.ringHead != 1 {
		t.Fatalf("running %d, heap %d, ring %d: want every worker busy, the last in the ring", s.running, len(s.h), len(s.ring)-s.ringHead)
	}
}

// TestSchedulerRoundRobin: with every worker busy, a freed worker serves
// the endpoints that wait in turn, so an endpoint with one due delivery
// does not wait behind another's thousand.
func TestSchedulerRoundRobin(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	s := newScheduler(fc, 1, 16, 0, nil)
	storm, calm := unique.Make("storm"), unique.Make("calm")
	for i := range 1000 {
		s.add(fmt.Sprint("s", i), storm, fc.Now())
	}
	s.add("c0", calm, fc.Now())
	first := <-s.jobs
	if first.id != "s0" {
		t.Fatalf("first job %s", first.id)
	}
	var got []string
	for j, ok := first, true; ok && len(got) < 5; {
		j, ok = s.finish(j, nil, slotWorker)
		got = append(got, j.id)
	}
	if fmt.Sprint(got) != "[s1 c0 s2 s3 s4]" {
		t.Fatalf("the worker ran %v, want storm and calm in turn: [s1 c0 s2 s3 s4]", got)
	}
}

// TestSchedulerExtraSlot: with every worker busy (a hanging endpoint), an
// endpoint with nothing under way starts its delivery at once on its own
// goroutine, and that goroutine then serves its endpoint's queue.
func TestSchedulerExtraSlot(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	s := newScheduler(fc, 2, 2, 0, nil)
	var spawned []schedEntry
	s.spawn = func(j schedEntry) { spawned = append(spawned, j) }
	hang, calm := unique.Make("hang"), unique.Make("calm")
	for i := range 5 {
		s.add(fmt.Sprint("h", i), hang, fc.Now())
	}
	s.add("c0", calm, fc.Now())
	s.add("c1", calm, fc.Now())
	if len(s.jobs) != 2 || jobIDs(spawned) != "[c0]" || s.extras != 1 {
		t.Fatalf("jobs %d, spawned %v, extras %d: want the workers on hang, c0 on calm's own goroutine", len(s.jobs), jobIDs(spawned), s.extras)
	}
	next, ok := s.finish(spawned[0], nil, slotExtra)
	if !ok || next.id != "c1" {
		t.Fatalf("calm's goroutine got %v %v, want c1", next.id, ok)
	}
	if _, ok := s.finish(next, nil, slotExtra); ok || s.extras != 0 {
		t.Fatalf("calm's goroutine should end with its queue (extras %d)", s.extras)
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

// TestSchedulerHurry: a delivery hurried while its attempt is under way
// (RetryNow then) has its next attempt at once when that attempt fails,
// not at its retry time; one not hurried waits for its retry time, and
// only a delivery in flight can be hurried.
func TestSchedulerHurry(t *testing.T) {
	fc := NewFakeClock(time.Unix(100, 0))
	s := newScheduler(fc, 4, 4, 0, nil)
	ep := unique.Make("ep")
	later := fc.Now().Add(15 * time.Minute)
	if s.hurry("a") {
		t.Fatalf("an unknown delivery was hurried")
	}
	s.add("a", ep, fc.Now())
	s.add("b", ep, fc.Now())
	a, b := <-s.jobs, <-s.jobs
	if !s.hurry(a.id) {
		t.Fatalf("a delivery in flight could not be hurried")
	}
	s.finish(a, &later, slotWorker)
	s.finish(b, &later, slotWorker)
	if len(s.jobs) != 1 {
		t.Fatalf("%d jobs after the hurried attempt failed, want its retry at once", len(s.jobs))
	}
	if j := <-s.jobs; j.id != "a" {
		t.Fatalf("the retry at once is %s, want a", j.id)
	}
	if _, waiting := s.state("b"); !waiting {
		t.Fatalf("b, not hurried, should wait for its retry time")
	}
	if len(s.hurried) != 0 {
		t.Fatalf("hurried left behind: %v", s.hurried)
	}
}
