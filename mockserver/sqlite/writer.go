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
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, run: run, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	s.reqs <- req
	s.mu.RUnlock()
	// Wait even if ctx ends meanwhile: the write may be committing, and the
	// caller must not be told it failed when it is on file.
	return <-req.done
}

// writer commits the queued writes in batches until s.reqs is closed and
// drained; it is the only user of s.wc.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for req := range s.reqs {
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
		s.commit(batch)
		clear(batch)
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
