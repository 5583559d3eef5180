package engine

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// slowCommits is a memory store that says its writes wait for a commit,
// and holds every AddAttempt that ends a delivery until release is closed.
type slowCommits struct {
	Store
	held    chan struct{} // gets a value when a final write starts waiting
	release chan struct{}
}

func (s *slowCommits) WaitsForCommit() bool { return true }

// waitHeld waits for a final write to start waiting.
func (s *slowCommits) waitHeld(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s.held:
	case <-time.After(10 * time.Second):
		t.Fatalf("no final write started: %s", what)
	}
}

func (s *slowCommits) AddAttempt(ctx context.Context, a *Attempt, d *Delivery) error {
	if d.State != StatePending {
		s.held <- struct{}{}
		<-s.release
	}
	return s.Store.AddAttempt(ctx, a, d)
}

// TestEngineDefersFinalWrites: on a store whose writes wait for a commit,
// the attempt that ends a delivery is written off the worker: with one
// slot per endpoint, a second delivery goes out while the first one's
// write is still waiting; RetryNow does not take the first on again; Close
// waits for the writes, and both are then in the log.
func TestEngineDefersFinalWrites(t *testing.T) {
	st := &slowCommits{Store: NewMemoryStore(), held: make(chan struct{}, 4), release: make(chan struct{})}
	rc := newEngReceiver(t, nil)
	e, err := NewEngine(EngineConfig{Catalogue: engFastCatalogue(t), Store: st, MaxPerEndpoint: 1, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ep := engAddEndpoint(t, e, "fast", "", rc.srv.URL, Chaos{})
	first := engTrigger(t, e, "fast", "order.created", ep).Deliveries[0]
	st.waitHeld(t, "the first delivery's")
	if err := e.RetryNow(context.Background(), first.ID); !errors.Is(err, ErrNotPending) {
		t.Fatalf("RetryNow during the final write: %v, want ErrNotPending", err)
	}
	second := engTrigger(t, e, "fast", "order.created", ep).Deliveries[0]
	st.waitHeld(t, "the second delivery's, made while the first write waits")
	if rc.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rc.count())
	}
	closed := make(chan struct{})
	go func() {
		e.Close()
		close(closed)
	}()
	close(st.release)
	<-closed
	for _, d := range []*Delivery{first, second} {
		got, err := st.GetDelivery(context.Background(), d.ID)
		if err != nil || got.State != StateDelivered || len(engAttempts(t, e, d.ID)) != 1 {
			t.Fatalf("after Close: %v %+v", err, got)
		}
	}
}

// TestEngineWritesRetriesBeforeScheduling: an attempt that schedules a
// retry is written on the worker even on a store that waits for commits.
func TestEngineWritesRetriesBeforeScheduling(t *testing.T) {
	st := &slowCommits{Store: NewMemoryStore(), held: make(chan struct{}, 4), release: make(chan struct{})}
	defer close(st.release)
	rc := newEngReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	e := engTestEngine(t, EngineConfig{Catalogue: engFastCatalogue(t), Store: st})
	ep := engAddEndpoint(t, e, "fast", "", rc.srv.URL, Chaos{})
	d := engTrigger(t, e, "fast", "order.created", ep).Deliveries[0]
	st.waitHeld(t, "the second, successful attempt's")
	as := engAttempts(t, e, d.ID)
	if len(as) != 1 || as[0].Outcome != StatePending || as[0].NextRetryAt.IsZero() {
		t.Fatalf("the failed first attempt was not on file before its retry: %+v", as)
	}
}
