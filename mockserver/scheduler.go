package mockserver

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
// deliveries to a fixed pool of workers, at most maxPer at a time per
// endpoint. A delivery whose endpoint is saturated waits in that
// endpoint's FIFO queue and is taken by the worker that frees a slot.
//
// tracked says where each delivery id is: its due time while it waits in
// the heap, or stateBlocked (due, endpoint saturated) or stateInflight
// (handed to a worker). Heap entries are deleted lazily: an entry whose
// due time differs from tracked[id] is stale and skipped.
type scheduler struct {
	clock  Clock
	maxPer int
	// onCount is called with the change in the number of tracked
	// deliveries; it must be cheap and must not call back into the
	// scheduler (it runs under the lock).
	onCount func(delta int)

	mu       sync.Mutex
	h        entryHeap
	tracked  map[string]int64
	nwaiting int
	blocked  map[unique.Handle[string]][]schedEntry
	active   map[unique.Handle[string]]int
	stopped  bool

	wake chan struct{}
	stop chan struct{}
	jobs chan schedEntry
}

// Sentinel values of scheduler.tracked (no real due time is this small).
const (
	stateBlocked  = math.MinInt64
	stateInflight = math.MinInt64 + 1
)

func newScheduler(clock Clock, maxPer int, onCount func(int)) *scheduler {
	if onCount == nil {
		onCount = func(int) {}
	}
	return &scheduler{
		clock: clock, maxPer: maxPer, onCount: onCount,
		tracked: map[string]int64{},
		blocked: map[unique.Handle[string]][]schedEntry{},
		active:  map[unique.Handle[string]]int{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		jobs:    make(chan schedEntry, jobsBuffer),
	}
}

// jobsBuffer is how many dispatched deliveries may wait for a free worker.
// A delivery due at once for an endpoint with a free slot goes straight
// into this buffer from add, without a round trip through the dispatcher.
const jobsBuffer = 64

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
	s.mu.Unlock()
}

func (s *scheduler) addLocked(en schedEntry) {
	if s.stopped {
		return
	}
	id, ep, due := en.id, en.ep, en.due
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
		if s.active[ep] >= s.maxPer {
			// Due now for a saturated endpoint (a burst of triggers): queue
			// it for the next free slot without waking the dispatcher.
			s.tracked[id] = stateBlocked
			s.blocked[ep] = append(s.blocked[ep], en)
			return
		}
		select {
		case s.jobs <- en: // straight to a worker
			s.active[ep]++
			s.tracked[id] = stateInflight
			return
		default: // every worker busy and the buffer full: the heap waits
		}
	}
	s.nwaiting++
	s.tracked[id] = due
	heap.Push(&s.h, en)
	if s.h[0].id == id {
		s.poke()
	}
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
// deliveries to the workers. It returns when stop is closed.
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
		job, ok := s.nextDueLocked(now)
		if ok {
			s.mu.Unlock()
			select {
			case s.jobs <- job:
			case <-s.stop:
				s.finish(job, nil)
				return
			}
			continue
		}
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
				s.mu.Unlock()
				continue
			}
			wait = timer.C()
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-s.wake:
		case <-s.stop:
			return
		}
	}
}

// nextDueLocked pops due entries until one can be dispatched, queueing
// those whose endpoint is saturated.
func (s *scheduler) nextDueLocked(now int64) (schedEntry, bool) {
	for len(s.h) > 0 {
		top := s.h[0]
		if due, ok := s.tracked[top.id]; !ok || due != top.due {
			heap.Pop(&s.h) // stale
			continue
		}
		if top.due > now {
			return schedEntry{}, false
		}
		heap.Pop(&s.h)
		s.nwaiting--
		if s.active[top.ep] >= s.maxPer {
			s.blocked[top.ep] = append(s.blocked[top.ep], top)
			s.tracked[top.id] = stateBlocked
			continue
		}
		s.active[top.ep]++
		s.tracked[top.id] = stateInflight
		return top, true
	}
	return schedEntry{}, false
}

// finish ends the attempt of job: the delivery is rescheduled at next (nil
// when it is no longer pending), its endpoint slot is freed, and the next
// delivery blocked on that endpoint, if any, is returned for the calling
// worker to run.
func (s *scheduler) finish(job schedEntry, next *time.Time) (schedEntry, bool) {
	s.mu.Lock()
	delete(s.tracked, job.id)
	s.onCount(-1)
	if next != nil {
		s.addLocked(schedEntry{due: next.UnixNano(), id: job.id, ep: job.ep})
	}
	var (
		nj schedEntry
		ok bool
	)
	if q := s.blocked[job.ep]; len(q) > 0 && !s.stopped {
		nj, ok = q[0], true
		q[0] = schedEntry{}
		if len(q) == 1 {
			delete(s.blocked, job.ep)
		} else {
			s.blocked[job.ep] = q[1:]
		}
		s.tracked[nj.id] = stateInflight
	} else if s.active[job.ep]--; s.active[job.ep] <= 0 {
		delete(s.active, job.ep)
	}
	s.mu.Unlock()
	return nj, ok
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
	close(s.stop)
	s.onCount(-n)
}
