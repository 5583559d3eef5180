package engine

import (
	"sync"
	"sync/atomic"
)

// stream fans recorded attempts out to live subscribers. Publishing never
// blocks: a subscriber whose buffer is full loses the event, which is
// counted.
type stream struct {
	metrics *Metrics
	dropped atomic.Uint64

	mu     sync.RWMutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch chan *Attempt
}

func newStream(m *Metrics) *stream {
	return &stream{metrics: m, subs: map[*subscriber]struct{}{}}
}

// subscribe registers a subscriber with the given buffer (at least 1).
// After close it returns an already closed channel.
func (s *stream) subscribe(buffer int) (<-chan *Attempt, func()) {
	if buffer < 1 {
		buffer = 1
	}
	sub := &subscriber{ch: make(chan *Attempt, buffer)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		close(sub.ch)
		return sub.ch, func() {}
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if _, ok := s.subs[sub]; ok {
				delete(s.subs, sub)
				close(sub.ch)
			}
		})
	}
}

// publish offers a to every subscriber without blocking.
func (s *stream) publish(a *Attempt) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for sub := range s.subs {
		select {
		case sub.ch <- a:
		default:
			s.dropped.Add(1)
			s.metrics.drop()
		}
	}
}

// active reports whether anyone is subscribed.
func (s *stream) active() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.subs) > 0
}

// close closes every subscriber's channel; later subscriptions get a
// closed channel.
func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for sub := range s.subs {
		close(sub.ch)
		delete(s.subs, sub)
	}
}

// Streaming reports whether a subscription (Subscribe) is open.
func (e *Engine) Streaming() bool { return e.stream.active() }
