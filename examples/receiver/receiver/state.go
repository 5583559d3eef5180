package receiver

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// update is one event to apply: its idempotency key, its effects and its
// own time (timed is false where the provider sends none, as Airalo).
type update struct {
	key     string
	effects []providers.Effect
	at      time.Time
	timed   bool
}

// resource is what the receiver knows of one resource: its status and the
// time of the event that set it.
type resource struct {
	status string
	at     time.Time
	timed  bool
}

// state is the receiver's memory: how many times each idempotency key was
// applied, and each resource's status. One mutex guards both, so applying
// an event is atomic.
type state struct {
	mu        sync.Mutex
	applied   map[string]int
	resources map[string]resource
	// arrivalOrder ignores event times (a fault; see Faults.ArrivalOrder).
	arrivalOrder bool
}

func newState(arrivalOrder bool) *state {
	return &state{applied: map[string]int{}, resources: map[string]resource{}, arrivalOrder: arrivalOrder}
}

// claim applies u if its key was never applied, and reports whether it did.
func (s *state) claim(u update) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied[u.key] > 0 {
		return false
	}
	s.applyLocked(u)
	return true
}

// seen reports whether u's key was applied; with record it makes the
// check-then-act race that Faults.BetweenCheckAndMark needs.
func (s *state) seen(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[key] > 0
}

// record applies u whether or not its key was applied before.
func (s *state) record(u update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyLocked(u)
}

// applyLocked counts u's key and sets its effects. An event older than the
// one that set a resource's status (both by their own times) leaves the
// status alone; an event without a time applies in arrival order.
func (s *state) applyLocked(u update) {
	s.applied[u.key]++
	timed := u.timed && !s.arrivalOrder
	for _, e := range u.effects {
		cur, ok := s.resources[e.ID]
		if ok && timed && cur.timed && u.at.Before(cur.at) {
			continue
		}
		next := resource{status: e.Status, at: cur.at, timed: cur.timed}
		if timed {
			next.at, next.timed = u.at, true
		}
		s.resources[e.ID] = next
	}
}

// appliedCount returns how many times key was applied.
func (s *state) appliedCount(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[key]
}

// status returns a resource's status.
func (s *state) status(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.resources[id]
	return r.status, ok
}

// sha256Hex is the lowercase hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
