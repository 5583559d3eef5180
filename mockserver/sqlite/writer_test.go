package sqlite

import (
	"context"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestPruneProgressesUnderABusyWriter keeps the writer from ever being
// idle: each write, as the writer runs it, queues the next one, a new
// delivery, so that the callers' queue is never empty when a commit ends.
// Retention's writes wait for an idle writer, but not for ever: once the
// callers' writes have added idleDue deliveries, one runs in between. So
// Prune returns while the stream still flows, and the log stays bounded.
func TestPruneProgressesUnderABusyWriter(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	const old = 3 * pruneWrite // prunable: delivered
	for i := range old {
		d := benchDelivery(benchID(i))
		d.State = engine.StateDelivered
		if err := s.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}

	// The stream: at most limit writes, each of a new (pending)
	// delivery, each queued by the one before from inside the writer.
	const limit = 100 * old
	pruned := make(chan struct{})
	streamed := make(chan int, 1) // how many writes ran before Prune returned, or limit
	var next func(i int) *writeReq
	next = func(i int) *writeReq {
		d := benchDelivery(benchID(old + i))
		return &writeReq{ctx: context.Background(), done: make(chan error, 1), run: func(c *wconn) error {
			run, err := s.putDeliveryWrite(d)
			if err != nil {
				return err
			}
			select {
			case <-pruned:
				streamed <- i
				return run(c)
			default:
			}
			if i == limit {
				streamed <- i
				return run(c)
			}
			// Queued before this write commits: the writer's queue is not
			// empty when the commit ends.
			select {
			case s.reqs <- next(i + 1):
			default:
				t.Error("the writer's queue is full")
			}
			return run(c)
		}}
	}
	first := next(0)
	if err := s.write(ctx, first.run); err != nil {
		t.Fatal(err)
	}

	res, err := s.Prune(ctx, engine.PruneRule{Keep: 1})
	close(pruned)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	n := <-streamed
	if n >= limit {
		t.Fatalf("Prune returned only after the stream of %d writes ended: a busy writer starves retention", limit)
	}
	if res.Deliveries < old {
		t.Errorf("Prune removed %d deliveries, want the %d delivered ones at least", res.Deliveries, old)
	}
	t.Logf("Prune removed %d deliveries while %d writes streamed", res.Deliveries, n)
}
