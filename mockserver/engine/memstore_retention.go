package engine

import "context"

// Prune implements Store.Prune. It picks the oldest deliveries r selects
// under the order's read lock, then removes each under its shard's and
// its own lock (checking again that it is not pending), then takes them
// out of the order under its write lock, moving only the part of the
// order before the newest one removed: a batch costs about its size, not
// the store's, and deliveries keep being put and attempted meanwhile.
func (s *memStore) Prune(_ context.Context, r PruneRule) (PruneResult, error) {
	if s.closed.Load() {
		return PruneResult{}, errStoreClosed
	}
	limit := r.limit()
	cands := s.pruneCandidates(r, limit)
	res := PruneResult{More: len(cands) == limit}
	removed := make(map[*memDelivery]bool, len(cands))
	for _, md := range cands {
		sh := s.shard(md.id)
		sh.mu.Lock()
		if sh.m[md.id] == md {
			md.mu.Lock()
			if md.d.State != StatePending {
				delete(sh.m, md.id)
				md.pruned = true
				removed[md] = true
				res.Deliveries++
				res.Attempts += len(md.attempts)
			}
			md.mu.Unlock()
		}
		sh.mu.Unlock()
	}
	if len(removed) == 0 {
		return res, nil
	}
	s.orderMu.Lock()
	s.dropFromOrderLocked(removed)
	s.orderMu.Unlock()
	s.attempts.Add(-int64(res.Attempts))
	return res, nil
}

// pruneCandidates returns up to limit of the oldest deliveries r selects
// and PruneRule does not keep. Deliveries with the same CreatedAt are
// taken together, so that a trigger with a pending delivery keeps all of
// its deliveries of that instant with the same EventID.
func (s *memStore) pruneCandidates(r PruneRule, limit int) []*memDelivery {
	s.orderMu.RLock()
	defer s.orderMu.RUnlock()
	n := len(s.order)
	excess := 0
	if r.Keep > 0 {
		excess = n - r.Keep
	}
	var out []*memDelivery
	type state struct {
		event   string
		pending bool
	}
	var run []state
	for i := 0; i < n && len(out) < limit; {
		created := s.order[i].created
		byAge := !r.Before.IsZero() && created.Before(r.Before)
		if !byAge && excess <= 0 {
			break
		}
		j := i
		run = run[:0]
		held := map[string]bool{}
		for ; j < n && s.order[j].created.Equal(created); j++ {
			md := s.order[j]
			md.mu.RLock()
			st := state{md.d.EventID, md.d.State == StatePending}
			md.mu.RUnlock()
			if st.pending {
				held[st.event] = true
			}
			run = append(run, st)
		}
		for k, st := range run {
			if len(out) == limit || !byAge && excess <= 0 {
				break
			}
			if st.pending || held[st.event] {
				continue
			}
			out = append(out, s.order[i+k])
			excess--
		}
		i = j
	}
	return out
}

// dropFromOrderLocked takes the deliveries of removed out of the order;
// the caller holds orderMu. They are among the oldest: the kept
// deliveries before the newest of them move up, and the order's start
// moves past the gap.
func (s *memStore) dropFromOrderLocked(removed map[*memDelivery]bool) {
	last := -1
	for md := range removed {
		if i, found := s.indexLocked(md.created, md.id); found && i > last {
			last = i
		}
	}
	w := last
	for r := last; r >= 0; r-- {
		if md := s.order[r]; !removed[md] {
			s.order[w] = md
			w--
		}
	}
	gap := w + 1
	clear(s.order[:gap]) // for the garbage collector
	s.order = s.order[gap:]
}

// LogSize implements LogSizer.
func (s *memStore) LogSize(context.Context) (LogSize, error) {
	if s.closed.Load() {
		return LogSize{}, errStoreClosed
	}
	s.orderMu.RLock()
	n := len(s.order)
	s.orderMu.RUnlock()
	return LogSize{Deliveries: int64(n), Attempts: s.attempts.Load()}, nil
}

var _ LogSizer = (*memStore)(nil)
