package engine

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// engSendDelivery builds a delivery of provider's event (of its default
// variant, or of the one named as provider@variant) for Send and Check.
func engSendDelivery(t *testing.T, e *Engine, provider, event string) *providers.Delivery {
	t.Helper()
	name, variant, _ := strings.Cut(provider, "@")
	v, err := e.Catalogue().Variant(name, variant)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := v.Event(event)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ev.Generate(engPayloadWorld())
	if err != nil {
		t.Fatal(err)
	}
	pd, err := v.NewDelivery(ev, p, "wire-1")
	if err != nil {
		t.Fatal(err)
	}
	return pd
}

// TestSendRecordsAsTheEngineDoes: a Send is a delivery of the log with a
// sortable id and the engine's clock, tagged with its run, counted in the
// metrics and published on the stream; a retry continues it; the
// scheduler never takes it on (RetryNow says its run paces it).
func TestSendRecordsAsTheEngineDoes(t *testing.T) {
	reg := prometheus.NewRegistry()
	fc := NewFakeClock(time.Unix(1_700_000_000, 0).UTC())
	e := engTestEngine(t, EngineConfig{Clock: fc, Metrics: NewMetrics(reg)})
	// The trigger's attempt is acknowledged, the Send's first is not.
	rc := newEngReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
	before := engTrigger(t, e, "standard", "order.created", ep).Deliveries[0]
	engWaitState(t, e, before.ID, 5*time.Second)
	live, stop := e.Subscribe(8)
	defer stop()

	pd := engSendDelivery(t, e, "standard", "order.created")
	ctx := context.Background()
	d, a, err := e.Send(ctx, SendRequest{Endpoint: ep, Delivery: pd, RunID: "run_1", Retry: true, RetryIn: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID <= before.ID || d.RunID != "run_1" || !d.CreatedAt.Equal(fc.Now()) || d.EventID == "" {
		t.Errorf("delivery = %+v; want an id after %s, run_1, created at the engine's %v", d, before.ID, fc.Now())
	}
	if a.Status != http.StatusServiceUnavailable || a.Outcome != StatePending || !a.NextRetryAt.Equal(fc.Now().Add(time.Minute)) {
		t.Errorf("first attempt: status %d outcome %s next %v; want 503, pending, in a minute", a.Status, a.Outcome, a.NextRetryAt)
	}
	stored := engDelivery(t, e, d.ID)
	if stored.State != StatePending || stored.RunID != "run_1" || stored.Attempts != 1 || !bytes.Equal(stored.Body, pd.Body) {
		t.Errorf("stored = %+v", stored)
	}
	if tracked, _ := e.sched.state(d.ID); tracked {
		t.Error("the scheduler took on a delivery its run paces")
	}
	if err := e.RetryNow(ctx, d.ID); !errors.Is(err, ErrNotPending) {
		t.Errorf("RetryNow of a run's pending delivery = %v, want ErrNotPending", err)
	}
	select {
	case got := <-live:
		if got.DeliveryID != d.ID || got.N != 1 {
			t.Errorf("streamed %s #%d, want %s #1", got.DeliveryID, got.N, d.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the attempt was not streamed")
	}

	// The run's retry, with the header it signed itself.
	h, err := pd.Request(mustSigner(t, e, pd.Variant, ep.Secret), fc.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.Set("X-Run-Marker", "kept")
	d2, a2, err := e.Send(ctx, SendRequest{Endpoint: ep, Delivery: pd, Of: d, Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if d2.ID != d.ID || d2.State != StateDelivered || d2.Attempts != 2 || a2.N != 2 {
		t.Errorf("retry: %+v, attempt %d", d2, a2.N)
	}
	if got := rc.all()[rc.count()-1].header.Get("X-Run-Marker"); got != "kept" {
		t.Errorf("the caller's header was not sent as given: %q", got)
	}
	if as := engAttempts(t, e, d.ID); len(as) != 2 || as[1].Outcome != StateDelivered {
		t.Errorf("stored attempts = %d", len(as))
	}
	if _, _, err := e.Send(ctx, SendRequest{Endpoint: ep, Delivery: pd, Of: d2}); !errors.Is(err, ErrNotPending) {
		t.Errorf("another attempt of a delivered delivery = %v, want ErrNotPending", err)
	}
	lbl := map[string]string{"provider": "standard", "event": "order.created"}
	if got := engCounterValue(t, reg, "esimhooks_attempts_total", engWith(lbl, "result", ResultStatus)); got != 1 {
		t.Errorf("failed attempts = %v, want the Send's first", got)
	}
	if got := engCounterValue(t, reg, "esimhooks_deliveries_total", engWith(lbl, "outcome", StateDelivered)); got != 2 {
		t.Errorf("delivered = %v, want the trigger's and the Send's", got)
	}
}

// TestSendEndsWithoutRetry: an unacknowledged attempt without Retry fails
// the delivery; SimplifyTrip's 4xx fails it even with Retry.
func TestSendEndsWithoutRetry(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	rc := newEngReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	for _, tc := range []struct {
		provider, event string
		retry           bool
	}{
		{"standard", "order.created", false},
		{"simplifytrip", "PURCHASE_ORDER_SUCCESS", true},
	} {
		ep := engAddEndpoint(t, e, tc.provider, "", rc.srv.URL, Chaos{})
		pd := engSendDelivery(t, e, tc.provider, tc.event)
		d, a, err := e.Send(context.Background(), SendRequest{Endpoint: ep, Delivery: pd, Retry: tc.retry, RetryIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if d.State != StateFailed || a.Error != "answered Bad Request" || !d.NextAttemptAt.IsZero() {
			t.Errorf("%s: %s, %q, next %v; want failed, answered Bad Request, none", tc.provider, d.State, a.Error, d.NextAttemptAt)
		}
	}
}

// TestSendAfterClose: a closed engine sends nothing.
func TestSendAfterClose(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{})
	pd := engSendDelivery(t, e, "standard", "order.created")
	e.Close()
	if _, _, err := e.Send(context.Background(), SendRequest{Endpoint: ep, Delivery: pd}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v", err)
	}
	if rc.count() != 0 {
		t.Error("a closed engine sent")
	}
}

func mustSigner(t *testing.T, e *Engine, v *providers.Variant, secret string) signing.Signer {
	t.Helper()
	s, err := e.signer(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
