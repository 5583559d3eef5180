package engine

import (
	"time"
	"unique"
)

// DefaultShareWindow is how long an endpoint counts as active for the fair
// share of attempt slots after its last attempt started (see
// EngineConfig.ShareWindow).
const DefaultShareWindow = time.Second

// recentSet holds the endpoints whose last attempt started within the
// scheduler's window, oldest first: touching one moves it to the back,
// and those whose last start fell out of the window leave from the front,
// so both are O(1) and the count is the set's size.
type recentSet struct {
	m          map[unique.Handle[string]]*recentNode
	head, tail *recentNode
}

type recentNode struct {
	ep         unique.Handle[string]
	at         int64
	prev, next *recentNode
}

func newRecentSet() recentSet {
	return recentSet{m: map[unique.Handle[string]]*recentNode{}}
}

// touch records that ep started an attempt at now, after dropping the
// endpoints whose last start is window or more before now.
func (r *recentSet) touch(ep unique.Handle[string], now, window int64) {
	r.expire(now - window)
	n := r.m[ep]
	if n == nil {
		n = &recentNode{ep: ep}
		r.m[ep] = n
	} else {
		if n == r.tail {
			n.at = now
			return
		}
		r.unlink(n)
	}
	n.at = now
	n.prev, n.next = r.tail, nil
	if r.tail != nil {
		r.tail.next = n
	} else {
		r.head = n
	}
	r.tail = n
}

// expire drops the endpoints whose last start is at or before cutoff.
func (r *recentSet) expire(cutoff int64) {
	for r.head != nil && r.head.at <= cutoff {
		n := r.head
		r.unlink(n)
		delete(r.m, n.ep)
	}
}

func (r *recentSet) unlink(n *recentNode) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		r.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		r.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

// has reports whether ep is in the set, and len how many are.
func (r *recentSet) has(ep unique.Handle[string]) bool { return r.m[ep] != nil }
func (r *recentSet) len() int                          { return len(r.m) }

// touchLocked records an attempt of ep starting now (fair share).
func (s *scheduler) touchLocked(ep unique.Handle[string]) {
	if s.window > 0 {
		s.recent.touch(ep, s.clock.Now().UnixNano(), s.window)
	}
}

// limitLocked returns how many attempts endpoint ep may have under way
// for it to start another: its fair share, ceil(maxPer/n) and at least
// one, where n counts the endpoints active within the window, ep
// included (see scheduler).
func (s *scheduler) limitLocked(ep unique.Handle[string]) int {
	if s.window == 0 {
		return s.maxPer
	}
	n := s.recent.len()
	if !s.recent.has(ep) {
		n++
	}
	return max(1, (s.maxPer+n-1)/n)
}

// share returns endpoint ep's fair share of attempt slots now (see
// limitLocked): how many copies of a duplicate group can start together.
func (s *scheduler) share(ep unique.Handle[string]) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.window > 0 {
		s.recent.expire(s.clock.Now().UnixNano() - s.window)
	}
	return s.limitLocked(ep)
}
