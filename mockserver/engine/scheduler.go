package engine

import (
	"container/heap"
	"math"
	"sync"
	"time"
	"unique"
)

// schedEntry is one pending delivery waiting in the timer heap. It is kept
// small (40 bytes plus the id's bytes) so that a million pending retries
// fit easily in memory: the body and everything else live in the Store.
type schedEntry struct {
	due int64  // unix nanoseconds
	id  string // delivery id
	ep  unique.Handle[string]
	// d, when not nil, is the delivery as it was stored, carried to the
	// worker so that it need not read it back: set only for a first
	// attempt due within hotHorizon of being scheduled, so that what the
	// heap holds for long waits stays small.
	d *Delivery
}

type entryHeap []schedEntry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h entryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)        { *h = append(*h, x.(schedEntry)) }
func (h *entryHeap) Pop() any {
	old := *h
	n := len(old) - 1
	e := old[n]
	old[n] = schedEntry{}
	*h = old[:n]
	return e
}

// scheduler holds every pending delivery of an engine: a timer heap keyed
// by due time, watched by a single dispatcher goroutine that hands due
// deliveries to a fixed pool of workers.
//
// Slots. A delivery under way holds one of its endpoint's maxPer slots
// and, to run, one of three kinds of goroutine (slotKind): one of the
// workers (the shared pool, at most workers of them busy); the
// endpoint's own extra goroutine, started when the pool is full and the
// endpoint has nothing under way, so that every endpoint always makes
// progress whatever the others do (at most one per endpoint); or, for
// concurrent duplicates released together from their start barrier, a
// goroutine of its own for that one attempt (see chaos.go). A delivery
// parked at a barrier keeps its endpoint slot and holds no goroutine.
//
// Fairness. A due delivery that cannot start waits in its endpoint's FIFO
// (blocked). An endpoint whose FIFO is not empty and which has a free slot
// waits in the ring for a worker; a worker that finishes an attempt takes
// the next endpoint of the ring (round robin), so an endpoint with a
// thousand due deliveries and one with one take turns, and a hanging
// endpoint never holds more than its maxPer slots.
//
// Fair share. The maxPer slots are an endpoint's own only while it is the
// one endpoint with recent attempts: while n endpoints have had an attempt
// start within the last window, each may start attempts only while it has
// fewer than ceil(maxPer/n) under way (at least one). An endpoint alone
// (the throughput benchmark, a conformance run) keeps all maxPer; a storm
// to one endpoint beside a trickle to another gets half of them, so the
// storm's runnable goroutines, which every other endpoint's attempt waits
// behind for a CPU, are halved; twenty storms share maxPer slots, about
// one each, instead of filling every worker. Attempts under way are never
// stopped: an endpoint over its share starts none until it is under.
//
// tracked says where each delivery id is: its due time while it waits in
// the heap, or stateBlocked (due, waiting in its endpoint's FIFO) or
// stateInflight (under way or parked). Heap entries are deleted lazily:
// an entry whose due time differs from tracked[id] is stale and skipped.
type scheduler struct {
	clock   Clock
	workers int
	maxPer  int
	// window is how long an endpoint counts as active for the fair share
	// after its last attempt started; 0 turns the fair share off (every
	// endpoint may use maxPer slots).
	window int64
	recent recentSet
	// onCount is called with the change in the number of tracked
	// deliveries; it must be cheap and must not call back into the
	// scheduler (it runs under the lock).
	onCount func(delta int)
	// spawn, when set, starts an endpoint's extra goroutine for job (a
	// slotExtra run); it is called under the lock and must not block.
	spawn func(job schedEntry)

	mu       sync.Mutex
	h        entryHeap
	tracked  map[string]int64
	nwaiting int
	blocked  map[unique.Handle[string]][]schedEntry
	active   map[unique.Handle[string]]int
	// running counts the workers' jobs (in the jobs channel or under way);
	// extras the endpoints' extra goroutines.
	running, extras int
	// ring[ringHead:] are the endpoints waiting for a worker, in turn.
	ring     []unique.Handle[string]
	ringHead int
	inRing   map[unique.Handle[string]]bool
	// hurried holds the deliveries in flight whose next attempt, if any,
	// is to be made at once (RetryNow during an attempt; see hurry).
	hurried map[string]struct{}
	stopped bool
	// out holds the jobs handed to workers under the lock, sent on jobs
	// by unlock once the lock is released (see unlock).
	out []schedEntry

	wake chan struct{}
	stop chan struct{}
	jobs chan schedEntry
}

// slotKind says which kind of goroutine runs a job (see scheduler).
type slotKind uint8

const (
	slotWorker   slotKind = iota // one of the workers
	slotExtra                    // its endpoint's extra goroutine
	slotDetached                 // a released duplicate's own goroutine
)

// Sentinel values of scheduler.tracked (no real due time is this small).
const (
	stateBlocked  = math.MinInt64
	stateInflight = math.MinInt64 + 1
)

func newScheduler(clock Clock, workers, maxPer int, window time.Duration, onCount func(int)) *scheduler {
	if onCount == nil {
		onCount = func(int) {}
	}
	return &scheduler{
		clock: clock, workers: workers, maxPer: maxPer, window: int64(max(window, 0)), onCount: onCount,
		recent:  newRecentSet(),
		tracked: map[string]int64{},
		blocked: map[unique.Handle[string]][]schedEntry{},
		active:  map[unique.Handle[string]]int{},
		inRing:  map[unique.Handle[string]]bool{},
		hurried: map[string]struct{}{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		// running never exceeds workers, so a send never blocks.
		jobs: make(chan schedEntry, workers),
	}
}

// add schedules delivery id (to endpoint ep) at due. A delivery already
// waiting keeps the earlier of its two due times; one already blocked or
// in flight is left alone. After stop, add does nothing: the delivery
// stays pending in the Store for the next engine.
func (s *scheduler) add(id string, ep unique.Handle[string], due time.Time) {
	s.addEntry(schedEntry{due: due.UnixNano(), id: id, ep: ep})
}

// addEntry is add with a prepared entry, which may carry its delivery.
func (s *scheduler) addEntry(en schedEntry) {
	s.mu.Lock()
	s.addLocked(en)
	s.unlock()
}

// outPool recycles the job lists of unlock.
var outPool = sync.Pool{New: func() any { return new([]schedEntry) }}

// unlock releases the lock, then hands the jobs given to workers while it
// was held to them. Sending on jobs wakes a worker, and waking one is the
// runtime's work (and, for an idle CPU, a system call): done under the
// lock, it made every other taker of the lock wait for it, a healthy
// endpoint's trigger included (the mutex profile of a duplicate storm
// showed the lock's waits there). The sends never block: running, counted
// under the lock, never exceeds the channel's capacity.
func (s *scheduler) unlock() {
	if len(s.out) == 0 {
		s.mu.Unlock()
		return
	}
	out := s.out
	buf := outPool.Get().(*[]schedEntry)
	s.out = (*buf)[:0]
	s.mu.Unlock()
	for i, en := range out {
		s.jobs <- en
		out[i] = schedEntry{}
	}
	*buf = out[:0]
	outPool.Put(buf)
}

// addBatch is how many entries addEntries adds per taking of the lock:
// a duplicate storm's hundred take it a few times, not a hundred, and no
// holding of it is so long that another endpoint's trigger (or a worker
// finishing an attempt) waits behind the whole storm.
const addBatch = 16

// addEntries is addEntry for several entries, addBatch at a time under
// the lock.
func (s *scheduler) addEntries(ens []schedEntry) {
	for len(ens) > 0 {
		n := min(len(ens), addBatch)
		s.mu.Lock()
		for _, en := range ens[:n] {
			s.addLocked(en)
		}
		s.unlock()
		ens = ens[n:]
	}
}

func (s *scheduler) addLocked(en schedEntry) {
	if s.stopped {
		return
	}
	id, due := en.id, en.due
	cur, ok := s.tracked[id]
	if ok && (cur == stateBlocked || cur == stateInflight || cur <= due) {
		return
	}
	if ok {
		s.nwaiting-- // its heap entry becomes stale
	} else {
		s.onCount(1)
	}
	if due <= s.clock.Now().UnixNano() {
		// Due now: straight to a worker (or the endpoint's FIFO) without
		// a round trip through the heap and the dispatcher.
		s.dispatchLocked(en)
		return
	}
	s.nwaiting++
	s.tracked[id] = due
	heap.Push(&s.h, en)
	if s.h[0].id == id {
		s.poke()
	}
}

// dispatchLocked starts a due delivery, or queues it behind its
// endpoint's earlier ones.
func (s *scheduler) dispatchLocked(en schedEntry) {
	ep := en.ep
	if len(s.blocked[ep]) == 0 && s.active[ep] < s.limitLocked(ep) && s.running < s.workers {
		s.running++
		s.active[ep]++
		s.touchLocked(ep)
		s.tracked[en.id] = stateInflight
		s.out = append(s.out, en)
		return
	}
	s.tracked[en.id] = stateBlocked
	s.blocked[ep] = append(s.blocked[ep], en)
	s.startLocked(ep)
}

// startLocked starts endpoint ep's waiting deliveries while it has a free
// slot and a worker is free, or it has nothing under way (its extra
// goroutine); otherwise, if it has a free slot, it joins the ring.
func (s *scheduler) startLocked(ep unique.Handle[string]) {
	for !s.stopped && len(s.blocked[ep]) > 0 && s.active[ep] < s.limitLocked(ep) {
		switch {
		case s.running < s.workers:
			s.running++
			s.out = append(s.out, s.popBlockedLocked(ep))
		case s.active[ep] == 0 && s.spawn != nil:
			s.extras++
			s.spawn(s.popBlockedLocked(ep))
		default:
			s.pushRingLocked(ep)
			return
		}
	}
}

// popBlockedLocked takes the head of ep's FIFO and marks it in flight.
func (s *scheduler) popBlockedLocked(ep unique.Handle[string]) schedEntry {
	q := s.blocked[ep]
	en := q[0]
	q[0] = schedEntry{}
	if len(q) == 1 {
		delete(s.blocked, ep)
	} else {
		s.blocked[ep] = q[1:]
	}
	s.active[ep]++
	s.touchLocked(ep)
	s.tracked[en.id] = stateInflight
	return en
}

func (s *scheduler) pushRingLocked(ep unique.Handle[string]) {
	if !s.inRing[ep] {
		s.inRing[ep] = true
		s.ring = append(s.ring, ep)
	}
}

// popRingLocked takes the next delivery of the ring's next endpoint that
// can start; the endpoint goes to the back of the ring if it has more.
func (s *scheduler) popRingLocked() (schedEntry, bool) {
	for s.ringHead < len(s.ring) {
		ep := s.ring[s.ringHead]
		s.ring[s.ringHead] = unique.Handle[string]{}
		s.ringHead++
		if s.ringHead == len(s.ring) {
			s.ring, s.ringHead = s.ring[:0], 0 // reuse the array
		} else if s.ringHead >= 64 && s.ringHead*2 >= len(s.ring) {
			n := copy(s.ring, s.ring[s.ringHead:])
			clear(s.ring[n:])
			s.ring, s.ringHead = s.ring[:n], 0
		}
		delete(s.inRing, ep)
		if len(s.blocked[ep]) == 0 || s.active[ep] >= s.limitLocked(ep) {
			continue // stale: emptied by the endpoint's extra goroutine, or saturated
		}
		en := s.popBlockedLocked(ep)
		if len(s.blocked[ep]) > 0 && s.active[ep] < s.limitLocked(ep) {
			s.pushRingLocked(ep)
		}
		return en, true
	}
	return schedEntry{}, false
}

// take removes a waiting delivery from the heap so that the caller may
// update it in the Store without racing a worker; the caller must give it
// back with add. It reports false when id is not waiting (in flight,
// blocked — already due — or unknown).
func (s *scheduler) take(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tracked[id]
	if !ok || cur == stateBlocked || cur == stateInflight {
		return false
	}
	delete(s.tracked, id)
	s.nwaiting--
	s.onCount(-1)
	return true
}

// hurry asks that delivery id, if it is in flight, have its next attempt
// (if its attempt under way fails) at once instead of at its retry time:
// RetryNow pressed while an attempt is under way, or while its outcome is
// being recorded, is not lost. It reports whether id is in flight.
func (s *scheduler) hurry(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tracked[id] != stateInflight || s.stopped {
		return false
	}
	s.hurried[id] = struct{}{}
	return true
}

// state reports whether id is tracked and, if so, whether it is waiting.
func (s *scheduler) state(id string) (tracked, waiting bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.tracked[id]
	return ok, ok && cur != stateBlocked && cur != stateInflight
}

// count returns the number of tracked deliveries: waiting, blocked and in
// flight.
func (s *scheduler) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tracked)
}

// busy returns the number of deliveries in flight or blocked.
func (s *scheduler) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tracked) - s.nwaiting
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run is the dispatcher: it waits for the earliest due time and hands due
// deliveries on. It returns when stop is closed.
func (s *scheduler) run() {
	var timer Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		now := s.clock.Now().UnixNano()
		s.dispatchDueLocked(now)
		var wait <-chan time.Time
		if len(s.h) > 0 {
			due := s.h[0].due
			d := time.Duration(due - now)
			if timer == nil {
				timer = s.clock.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			// A clock that moved between Now and Reset (a fake clock set
			// by a test) would leave the timer too late: look again.
			if s.clock.Now().UnixNano() >= due {
				s.unlock()
				continue
			}
			wait = timer.C()
		}
		s.unlock()
		select {
		case <-wait:
		case <-s.wake:
		case <-s.stop:
			return
		}
	}
}

// dispatchDueLocked takes every entry due by now off the heap and
// dispatches it. It never blocks: what cannot start waits in its
// endpoint's FIFO.
func (s *scheduler) dispatchDueLocked(now int64) {
	for len(s.h) > 0 {
		top := s.h[0]
		if due, ok := s.tracked[top.id]; !ok || due != top.due {
			heap.Pop(&s.h) // stale
			continue
		}
		if top.due > now {
			return
		}
		heap.Pop(&s.h)
		s.nwaiting--
		s.dispatchLocked(top)
	}
}

// finish ends the attempt of job, run by a goroutine of the given kind:
// the delivery is rescheduled at next (nil when it is no longer pending),
// its endpoint slot is freed, and the next job for the calling goroutine,
// if any, is returned: for a worker the ring's next, for an endpoint's
// extra goroutine its endpoint's next; a detached goroutine gets none.
func (s *scheduler) finish(job schedEntry, next *time.Time, kind slotKind) (schedEntry, bool) {
	s.mu.Lock()
	delete(s.tracked, job.id)
	s.onCount(-1)
	_, hurried := s.hurried[job.id]
	delete(s.hurried, job.id)
	if next != nil {
		due := next.UnixNano()
		if hurried {
			due = min(due, s.clock.Now().UnixNano())
		}
		s.addLocked(schedEntry{due: due, id: job.id, ep: job.ep})
	}
	s.releaseSlotLocked(job.ep)
	en, ok := s.nextLocked(job.ep, kind)
	s.unlock()
	return en, ok
}

// park is finish for a job that stays in flight, keeping its endpoint
// slot, without the calling goroutine (a duplicate parked at its start
// barrier): the goroutine moves on to its next job, if any.
func (s *scheduler) park(job schedEntry, kind slotKind) (schedEntry, bool) {
	s.mu.Lock()
	en, ok := s.nextLocked(job.ep, kind)
	s.unlock()
	return en, ok
}

func (s *scheduler) releaseSlotLocked(ep unique.Handle[string]) {
	if s.active[ep]--; s.active[ep] <= 0 {
		delete(s.active, ep)
	}
}

// nextLocked returns the next job of a goroutine of kind that has just
// finished (or parked) a job of endpoint ep, and gives up the goroutine's
// slot when there is none.
func (s *scheduler) nextLocked(ep unique.Handle[string], kind slotKind) (schedEntry, bool) {
	switch kind {
	case slotWorker:
		if !s.stopped {
			mine := len(s.blocked[ep]) > 0 && s.active[ep] < s.limitLocked(ep)
			if mine && s.ringHead == len(s.ring) {
				// Nobody else waits: no turn to take.
				return s.popBlockedLocked(ep), true
			}
			if mine {
				s.pushRingLocked(ep)
			}
			if en, ok := s.popRingLocked(); ok {
				return en, true
			}
		}
		s.running--
	case slotExtra:
		if !s.stopped && len(s.blocked[ep]) > 0 && s.active[ep] < s.limitLocked(ep) {
			return s.popBlockedLocked(ep), true
		}
		s.extras--
	default:
		s.startLocked(ep)
	}
	return schedEntry{}, false
}

// shutdown stops the dispatcher and makes add a no-op. The deliveries
// that were waiting or blocked are forgotten (they stay pending in the
// Store); those in flight are forgotten as their workers finish.
func (s *scheduler) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	n := 0
	for id, st := range s.tracked {
		if st != stateInflight {
			delete(s.tracked, id)
			n++
		}
	}
	s.h, s.nwaiting, s.blocked = nil, 0, map[unique.Handle[string]][]schedEntry{}
	s.ring, s.ringHead, s.inRing = nil, 0, map[unique.Handle[string]]bool{}
	close(s.stop)
	s.onCount(-n)
}
