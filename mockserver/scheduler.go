package mockserver

import (
	"container/heap"
	"sync"
	"time"
	"unique"
)

// schedEntry is one pending delivery waiting in the timer heap. It is kept
// small (32 bytes plus the id's bytes) so that a million pending retries
// fit easily in memory: the body and everything else live in the Store.
type schedEntry struct {
	due int64  // unix nanoseconds
	id  string // delivery id
	ep  unique.Handle[string]
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
// A delivery id is tracked in exactly one of waiting (in the heap),
// blocked (due, endpoint saturated) or inflight (handed to a worker).
// Heap entries are deleted lazily: an entry whose due time differs from
// waiting[id] is stale and skipped.
type scheduler struct {
	clock  Clock
	maxPer int
	// onCount is called (outside the lock) with the change in the number
	// of tracked deliveries.
	onCount func(delta int)

	mu       sync.Mutex
	h        entryHeap
	waiting  map[string]int64
	inflight map[string]struct{}
	blocked  map[unique.Handle[string]][]schedEntry
	nblocked int
	active   map[unique.Handle[string]]int
	stopped  bool

	wake chan struct{}
	stop chan struct{}
	jobs chan schedEntry
}

func newScheduler(clock Clock, maxPer int, onCount func(int)) *scheduler {
	if onCount == nil {
		onCount = func(int) {}
	}
	return &scheduler{
		clock: clock, maxPer: maxPer, onCount: onCount,
		waiting:  map[string]int64{},
		inflight: map[string]struct{}{},
		blocked:  map[unique.Handle[string]][]schedEntry{},
		active:   map[unique.Handle[string]]int{},
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		jobs:     make(chan schedEntry),
	}
}

// add schedules delivery id (to endpoint ep) at due. A delivery already
// waiting keeps the earlier of its two due times; one already blocked or
// in flight is left alone. After stop, add does nothing: the delivery
// stays pending in the Store for the next engine.
func (s *scheduler) add(id string, ep unique.Handle[string], due time.Time) {
	s.mu.Lock()
	delta := s.addLocked(id, ep, due.UnixNano())
	s.mu.Unlock()
	if delta != 0 {
		s.onCount(delta)
	}
}

func (s *scheduler) addLocked(id string, ep unique.Handle[string], due int64) int {
	if s.stopped {
		return 0
	}
	if _, ok := s.inflight[id]; ok {
		return 0
	}
	delta := 1
	if cur, ok := s.waiting[id]; ok {
		if cur <= due {
			return 0
		}
		delta = 0
	} else if s.isBlockedLocked(id, ep) {
		return 0
	}
	s.waiting[id] = due
	heap.Push(&s.h, schedEntry{due: due, id: id, ep: ep})
	if s.h[0].id == id {
		s.poke()
	}
	return delta
}

func (s *scheduler) isBlockedLocked(id string, ep unique.Handle[string]) bool {
	for _, b := range s.blocked[ep] {
		if b.id == id {
			return true
		}
	}
	return false
}

// take removes a waiting delivery from the heap so that the caller may
// update it in the Store without racing a worker; the caller must give it
// back with add. It reports false when id is not waiting (in flight,
// blocked — already due — or unknown).
func (s *scheduler) take(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.waiting[id]; !ok {
		return false
	}
	delete(s.waiting, id)
	s.onCountLocked(-1)
	return true
}

// onCountLocked defers to onCount; it is cheap (an atomic add) and safe to
// call under the lock.
func (s *scheduler) onCountLocked(delta int) { s.onCount(delta) }

// state reports whether id is tracked and, if so, whether it is waiting.
func (s *scheduler) state(id string) (tracked, waiting bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.waiting[id]; ok {
		return true, true
	}
	if _, ok := s.inflight[id]; ok {
		return true, false
	}
	for _, q := range s.blocked {
		for _, b := range q {
			if b.id == id {
				return true, false
			}
		}
	}
	return false, false
}

// count returns the number of tracked deliveries: waiting, blocked and in
// flight.
func (s *scheduler) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting) + s.nblocked + len(s.inflight)
}

// busy returns the number of deliveries in flight or blocked.
func (s *scheduler) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nblocked + len(s.inflight)
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
			d := time.Duration(s.h[0].due - now)
			if timer == nil {
				timer = s.clock.NewTimer(d)
			} else {
				timer.Reset(d)
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
		if due, ok := s.waiting[top.id]; !ok || due != top.due {
			heap.Pop(&s.h) // stale
			continue
		}
		if top.due > now {
			return schedEntry{}, false
		}
		heap.Pop(&s.h)
		delete(s.waiting, top.id)
		if s.active[top.ep] >= s.maxPer {
			s.blocked[top.ep] = append(s.blocked[top.ep], top)
			s.nblocked++
			continue
		}
		s.active[top.ep]++
		s.inflight[top.id] = struct{}{}
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
	delete(s.inflight, job.id)
	delta := -1
	if next != nil {
		delta += s.addLocked(job.id, job.ep, next.UnixNano())
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
		s.nblocked--
		s.inflight[nj.id] = struct{}{}
	} else if s.active[job.ep]--; s.active[job.ep] <= 0 {
		delete(s.active, job.ep)
	}
	s.mu.Unlock()
	if delta != 0 {
		s.onCount(delta)
	}
	return nj, ok
}

// shutdown stops the dispatcher and makes add a no-op. It returns the
// number of deliveries that were still tracked (they stay pending in the
// Store) so that the caller can correct its gauges.
func (s *scheduler) shutdown() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	n := len(s.waiting) + s.nblocked
	s.h, s.waiting, s.blocked, s.nblocked = nil, map[string]int64{}, map[unique.Handle[string]][]schedEntry{}, 0
	s.mu.Unlock()
	close(s.stop)
	if n != 0 {
		s.onCount(-n)
	}
}
