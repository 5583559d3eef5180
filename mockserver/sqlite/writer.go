package sqlite

import (
	"context"
	"errors"
	"runtime"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// errClosed is the error of a write to a closed store.
var errClosed = errors.New("the store is closed")

// writeReq is one caller's write, waiting for the writer.
type writeReq struct {
	ctx  context.Context
	run  func(c *wconn) error // executes the write; may run twice (see commit)
	done chan error           // gets the outcome once the write is on file, or failed
}

// write hands run to the writer goroutine and waits until it is committed
// (or has failed). Writes that arrive while a transaction commits are
// committed together in the next one (group commit): each caller still
// returns only once its own write is on file.
func (s *Store) write(ctx context.Context, run func(c *wconn) error) error {
	return s.send(ctx, s.reqs, run)
}

// writeIdle is write for upkeep (retention's prune, sweep and vacuum
// steps): the writer runs it only when no other write is queued, so that
// it fills the writer's idle time instead of delaying the callers'
// commits, or, if the writer is never idle, once the callers' writes have
// added idleDue deliveries since the last upkeep write, so that pruning
// keeps pace with the deliveries even then.
func (s *Store) writeIdle(ctx context.Context, run func(c *wconn) error) error {
	return s.send(ctx, s.idle, run)
}

// send queues run on ch (s.reqs or s.idle) and waits for its outcome.
func (s *Store) send(ctx context.Context, ch chan *writeReq, run func(c *wconn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, run: run, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	ch <- req
	s.mu.RUnlock()
	// Wait even if ctx ends meanwhile: the write may be committing, and the
	// caller must not be told it failed when it is on file.
	return <-req.done
}

// idleDue is how many deliveries the callers' writes add, while an upkeep
// write waits, before the writer runs that write in between theirs: a
// prune step removes up to pruneWrite, so under a writer that is never
// idle the log still does not outgrow its retention.
const idleDue = pruneWrite

// writer commits the queued writes in batches until s.reqs and s.idle are
// closed and drained; it is the only user of s.wc. The callers' writes
// (s.reqs) come first: an upkeep write (s.idle) runs when none is queued,
// or when it is due (idleDue).
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, maxBatch)
	reqs, idle := s.reqs, s.idle
	var grown int64 // deliveries the callers' writes added since the last upkeep write
	for reqs != nil || idle != nil {
		req, ok, fromIdle := s.next(reqs, idle)
		switch {
		case !ok && fromIdle:
			idle = nil
			continue
		case !ok:
			reqs = nil
			continue
		case fromIdle:
			s.commit([]*writeReq{req})
			grown = 0
			continue
		}
		batch = append(batch[:0], req)
		// Yield once before committing, so that callers that are runnable
		// but not yet running can queue their writes for this
		// transaction: on a busy CPU this is what lets batches form.
		for yielded := false; ; yielded = true {
			batch = s.drain(batch)
			if yielded || len(batch) == maxBatch {
				break
			}
			runtime.Gosched()
		}
		held := s.wc.rows.deliveries.Load()
		s.commit(batch)
		clear(batch)
		if grown += max(0, s.wc.rows.deliveries.Load()-held); grown >= idleDue && idle != nil {
			select {
			case r, ok := <-idle:
				if !ok {
					idle = nil
					break
				}
				s.commit([]*writeReq{r})
				grown = 0
			default:
			}
		}
	}
}

// next returns the next write to run: a caller's if one is queued, else
// (after letting runnable callers queue theirs) whichever comes first. ok
// is false if the channel it came from (fromIdle says which) is closed. A
// nil channel is never read.
func (s *Store) next(reqs, idle chan *writeReq) (req *writeReq, ok, fromIdle bool) {
	for yielded := false; ; yielded = true {
		select {
		case req, ok = <-reqs:
			return req, ok, false
		default:
		}
		if yielded || idle == nil {
			break
		}
		runtime.Gosched()
	}
	select {
	case req, ok = <-reqs:
		return req, ok, false
	case req, ok = <-idle:
		return req, ok, true
	}
}

// drain appends to batch the requests queued, up to maxBatch.
func (s *Store) drain(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commit runs batch in one transaction and tells each caller the outcome.
// If a write fails, or the commit does, it runs each write of the batch in a
// transaction of its own instead, so that a caller gets its own write's
// error and never another's.
func (s *Store) commit(batch []*writeReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) > 1 {
		err := s.wc.inTx(func(c *wconn) error {
			for _, r := range live {
				if err := r.run(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, r := range live {
				r.done <- nil
			}
			return
		}
	}
	for _, r := range live {
		r.done <- s.wc.inTx(r.run)
	}
}
