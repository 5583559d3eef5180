package engine

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRecovery: engine A fails the first attempts and is closed with
// retries pending; engine B on the same Store sends each one exactly when
// it was scheduled and continues the attempt count. A delivery left
// pending and overdue (as after kill -9 in mid-attempt) is sent at once.
func TestRecovery(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	fc := NewFakeClock(start)
	store := NewMemoryStore()
	rc := newEngReceiver(t, engFailFirst(2, http.StatusServiceUnavailable))
	a := engTestEngine(t, EngineConfig{Clock: fc, Store: store, Seed: 1})
	ep := engAddEndpoint(t, a, "esimfly", "", rc.srv.URL, Chaos{})
	var ids []string
	for range 2 {
		res := engTrigger(t, a, "esimfly", "order.created", ep)
		ids = append(ids, res.Deliveries[0].ID)
	}
	engEventually(t, 5*time.Second, "both first attempts", func() bool {
		return engDelivery(t, a, ids[0]).Attempts == 1 && engDelivery(t, a, ids[1]).Attempts == 1
	})
	if a.Pending() != 2 {
		t.Fatalf("A holds %d pending, want 2", a.Pending())
	}
	a.Close()
	if err := a.RetryNow(context.Background(), ids[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("RetryNow after Close: %v", err)
	}
	// A third delivery persisted pending and overdue, never attempted.
	crashed := *engDelivery(t, a, ids[1])
	crashed.ID, crashed.Attempts, crashed.NextAttemptAt = "dlv_crashed", 0, start.Add(-time.Hour)
	if err := store.PutDelivery(context.Background(), &crashed); err != nil {
		t.Fatal(err)
	}

	due := engDelivery(t, a, ids[0]).NextAttemptAt
	if want := start.Add(5 * time.Second); !due.Equal(want) {
		t.Fatalf("next attempt due %v, want %v", due, want)
	}
	b := engTestEngine(t, EngineConfig{Clock: fc, Store: store, Seed: 2})
	// Three recovered; the overdue one may already be done.
	if p := b.Pending(); p < 2 || p > 3 {
		t.Fatalf("B holds %d pending, want 3 recovered", p)
	}
	engEventually(t, 5*time.Second, "the overdue delivery", func() bool { return engDelivery(t, b, "dlv_crashed").State != StatePending })
	for _, id := range ids {
		if engDelivery(t, b, id).Attempts != 1 {
			t.Fatalf("sent before its due time")
		}
	}
	engDrive(t, b, fc, 5*time.Second, func() bool {
		return engDelivery(t, b, ids[0]).State != StatePending && engDelivery(t, b, ids[1]).State != StatePending
	})
	for _, id := range ids {
		as := engAttempts(t, b, id)
		if len(as) != 2 || as[1].N != 2 || !as[1].StartedAt.Equal(due) || !as[1].Success {
			t.Fatalf("delivery %s: %d attempts, second at %v (want %v)", id, len(as), as[len(as)-1].StartedAt, due)
		}
	}
	if b.Pending() != 0 {
		t.Errorf("B still holds %d pending", b.Pending())
	}
}

// TestRetryNow: a pending delivery waiting for its retry goes at once; a
// finished one is refused naming its state; an unknown id is not found.
func TestRetryNow(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc})
	rc := newEngReceiver(t, engFailFirst(1, http.StatusInternalServerError))
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "standard", "order.created", ep)
	id := res.Deliveries[0].ID
	engEventually(t, 5*time.Second, "the first attempt", func() bool { return engDelivery(t, e, id).Attempts == 1 })
	if err := e.RetryNow(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	d := engWaitState(t, e, id, 5*time.Second)
	if d.State != StateDelivered || d.Attempts != 2 {
		t.Fatalf("%s after %d attempts", d.State, d.Attempts)
	}
	as := engAttempts(t, e, id)
	if !as[1].StartedAt.Equal(fc.Now()) {
		t.Errorf("retried at %v without the clock moving from %v", as[1].StartedAt, fc.Now())
	}
	err := e.RetryNow(context.Background(), id)
	if !errors.Is(err, ErrNotPending) || !strings.Contains(err.Error(), StateDelivered) {
		t.Errorf("RetryNow(delivered) = %v", err)
	}
	if err := e.RetryNow(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RetryNow(unknown) = %v", err)
	}
}

// TestResend: a resend is a new delivery with the same body and wire id
// and fresh attempts.
func TestResend(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "simplifytrip", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "simplifytrip", "PURCHASE_ORDER_SUCCESS", ep)
	orig := engWaitState(t, e, res.Deliveries[0].ID, 5*time.Second)
	nd, err := e.Resend(context.Background(), orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if nd.ID == orig.ID || nd.ResendOf != orig.ID || nd.WireID != orig.WireID || !bytes.Equal(nd.Body, orig.Body) || nd.Attempts != 0 {
		t.Fatalf("resend = %+v", nd)
	}
	if d := engWaitState(t, e, nd.ID, 5*time.Second); d.State != StateDelivered || d.Attempts != 1 {
		t.Fatalf("resend: %s after %d", d.State, d.Attempts)
	}
	hits := rc.all()
	if len(hits) != 2 || !bytes.Equal(hits[0].body, hits[1].body) {
		t.Fatalf("receiver got %d", len(hits))
	}
	if _, err := e.Resend(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resend(unknown) = %v", err)
	}
}

// TestCheck: one synchronous attempt, recorded nowhere.
func TestCheck(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	rc := newEngReceiver(t, engFailFirst(1, http.StatusNotFound))
	pd := engSendDelivery(t, e, "esimaccess@api-reference", "CHECK_HEALTH")
	ep := &Endpoint{ID: "reg", URL: rc.srv.URL, Provider: "esimaccess", Variant: "api-reference"}
	for i, want := range []bool{false, true} {
		a, err := e.Check(context.Background(), ep, pd)
		if err != nil {
			t.Fatal(err)
		}
		if a.Success != want || a.N != 1 {
			t.Fatalf("send %d: success %v status %d", i, a.Success, a.Status)
		}
	}
	list, _ := e.store.ListDeliveries(context.Background(), DeliveryFilter{})
	if len(list) != 0 || rc.count() != 2 {
		t.Fatalf("Check recorded %d deliveries; receiver got %d", len(list), rc.count())
	}
}

// TestSubscribe: subscribers get attempts live; a slow one loses attempts,
// counted, without slowing the engine; unsubscribing closes the channel.
func TestSubscribe(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := engTestEngine(t, EngineConfig{Metrics: NewMetrics(reg)})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
	live, stopLive := e.Subscribe(64)
	slow, stopSlow := e.Subscribe(1)
	const n = 5
	for range n {
		engTrigger(t, e, "standard", "order.created", ep)
	}
	for i := range n {
		select {
		case a := <-live:
			if !a.Success || a.EndpointID != ep.ID {
				t.Fatalf("attempt %d = %+v", i, a)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("attempt %d not streamed", i)
		}
	}
	engEventually(t, 5*time.Second, "the slow subscriber's losses", func() bool { return e.StreamDropped() == n-1 })
	if got := engCounterValue(t, reg, "esimhooks_stream_dropped_total", nil); got != n-1 {
		t.Errorf("dropped metric = %v, want %d", got, n-1)
	}
	stopSlow()
	stopSlow()
	<-slow // the one buffered attempt
	if _, ok := <-slow; ok {
		t.Fatalf("channel not closed after unsubscribe")
	}
	stopLive()
	e.Close()
	if _, ok := <-live; ok {
		t.Fatalf("channel open after Close")
	}
	after, _ := e.Subscribe(1)
	if _, ok := <-after; ok {
		t.Fatalf("subscription after Close is open")
	}
}

// TestOnAttempt: EngineConfig.OnAttempt sees every recorded attempt, a
// failed one and its retry included, each once and after it is stored,
// and never an attempt of Check (the unrecorded registration check).
func TestOnAttempt(t *testing.T) {
	seen := make(chan *Attempt, 16)
	var e *Engine
	stored := make(chan bool, 16)
	e = engTestEngine(t, EngineConfig{Catalogue: engFastCatalogue(t), OnAttempt: func(a *Attempt) {
		as, err := e.store.ListAttempts(context.Background(), a.DeliveryID)
		stored <- err == nil && len(as) == a.N
		seen <- a
	}})
	rc := newEngReceiver(t, engFailFirst(1, http.StatusServiceUnavailable))
	ep := engAddEndpoint(t, e, "fast", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "fast", "order.created", ep)
	for n := 1; n <= 2; n++ {
		select {
		case a := <-seen:
			if a.DeliveryID != res.Deliveries[0].ID || a.N != n || a.Success != (n == 2) {
				t.Fatalf("attempt %d observed as %+v", n, a)
			}
			if !<-stored {
				t.Errorf("attempt %d observed before it was stored", n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("attempt %d not observed", n)
		}
	}
	v, _ := e.cat.Variant("fast", "")
	ev, _ := v.Event("order.created")
	pd, err := v.NewDelivery(ev, res.Payload, "msg_send")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Check(context.Background(), ep, pd); err != nil {
		t.Fatal(err)
	}
	e.Close() // waits for every attempt: no observation can still be on its way
	if len(seen) != 0 {
		t.Errorf("observed %d more attempts (Check's must not be)", len(seen))
	}
}

// TestCloseWaitsAndNoLeaks: Close waits for the attempt in flight, leaves
// the pending deliveries in the Store, and leaves no goroutine behind.
func TestCloseWaitsAndNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		release := make(chan struct{})
		inside := make(chan struct{}, 1)
		rc := newEngReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				inside <- struct{}{}
				<-release
			}
			w.WriteHeader(http.StatusOK)
		})
		defer rc.srv.Close()
		fc := NewFakeClock(time.Unix(1_700_000_000, 0))
		store := NewMemoryStore()
		e, err := NewEngine(EngineConfig{Catalogue: providers.MustBuiltin(), Store: store, Clock: fc, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
		inFlight := engTrigger(t, e, "standard", "order.created", ep).Deliveries[0]
		<-inside
		later, err := e.Trigger(context.Background(), Trigger{Provider: "standard", Event: "order.created",
			EndpointIDs: []string{ep.ID}, Chaos: &Chaos{Delay: Duration(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() { e.Close(); close(closed) }()
		engEventually(t, 5*time.Second, "Close to stop the dispatcher", func() bool { return e.isClosed() })
		select {
		case <-closed:
			t.Fatal("Close returned with an attempt in flight")
		default:
		}
		close(release)
		<-closed
		if d := engDelivery(t, e, inFlight.ID); d.State != StateDelivered {
			t.Errorf("in-flight delivery %s, want delivered", d.State)
		}
		if d := engDelivery(t, e, later.Deliveries[0].ID); d.State != StatePending || d.Attempts != 0 {
			t.Errorf("later delivery %s after %d attempts, want pending", d.State, d.Attempts)
		}
		if _, err := e.Trigger(context.Background(), Trigger{Provider: "standard", Event: "order.created"}); !errors.Is(err, ErrClosed) {
			t.Errorf("Trigger after Close = %v", err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	}()
	engCheckNoLeak(t, before)
}

// TestMetricsAndLogs: counters follow the attempts; logs name header names
// only — never the secret or a signature.
func TestMetricsAndLogs(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := &lockedLogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc, Metrics: NewMetrics(reg), Logger: log})
	NewMetrics(reg) // a second registration reuses the collectors
	rc := newEngReceiver(t, engFailFirst(1, http.StatusInternalServerError))
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "standard", "order.created", ep)
	id := res.Deliveries[0].ID
	engEventually(t, 5*time.Second, "first attempt", func() bool { return engDelivery(t, e, id).Attempts == 1 })
	if got := engGaugeValue(t, reg, "esimhooks_pending_deliveries"); got != 1 {
		t.Errorf("pending gauge = %v, want 1", got)
	}
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
	// The state is stored before the attempt is counted and logged.
	engEventually(t, 5*time.Second, "the engine to finish the attempt", func() bool { return e.Pending() == 0 })
	lbl := map[string]string{"provider": "standard", "event": "order.created"}
	if got := engCounterValue(t, reg, "esimhooks_attempts_total", engWith(lbl, "result", ResultStatus)); got != 1 {
		t.Errorf("failed attempts = %v", got)
	}
	if got := engCounterValue(t, reg, "esimhooks_attempts_total", engWith(lbl, "result", ResultSuccess)); got != 1 {
		t.Errorf("successful attempts = %v", got)
	}
	if got := engCounterValue(t, reg, "esimhooks_deliveries_total", engWith(lbl, "outcome", StateDelivered)); got != 1 {
		t.Errorf("delivered = %v", got)
	}
	if got := engGaugeValue(t, reg, "esimhooks_pending_deliveries"); got != 0 {
		t.Errorf("pending gauge = %v, want 0", got)
	}
	out := logs.String()
	sig := engAttempts(t, e, id)[0].RequestHeaders.Get("webhook-signature")
	if sig == "" || strings.Contains(out, sig) || strings.Contains(out, ep.Secret) || strings.Contains(out, strings.TrimPrefix(ep.Secret, "whsec_")) {
		t.Fatalf("the log leaks a secret or signature:\n%s", out)
	}
	if !strings.Contains(out, "Webhook-Signature") || !strings.Contains(out, "level=INFO") || !strings.Contains(out, "level=DEBUG") {
		t.Errorf("expected a failed attempt at info and a good one at debug with header names:\n%s", out)
	}
}

func engWith(m map[string]string, k, v string) map[string]string {
	c := map[string]string{k: v}
	for a, b := range m {
		c[a] = b
	}
	return c
}

// engCounterValue sums the counter samples of name whose labels include want.
func engCounterValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func engGaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// lockedLogBuffer is a log sink safe for concurrent writers.
type lockedLogBuffer = mockservertest.SyncBuffer
