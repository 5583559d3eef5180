package engine

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// TestDuplicatesConcurrent: Duplicates 3 with no spacing sends four
// separate deliveries at once — the receiver holds every request until all
// four are in flight together — with the same body and wire id.
func TestDuplicatesConcurrent(t *testing.T) {
	const copies = 3
	var (
		mu      sync.Mutex
		arrived int
		all     = make(chan struct{})
	)
	rc := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == copies+1 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			w.WriteHeader(http.StatusOK)
		case <-time.After(3 * time.Second):
			w.WriteHeader(http.StatusTeapot) // not concurrent
		}
	})
	e := engTestEngine(t, EngineConfig{})
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{Duplicates: copies})
	res := engTrigger(t, e, "standard", "order.created", ep)
	if len(res.Deliveries) != copies+1 {
		t.Fatalf("%d deliveries, want %d", len(res.Deliveries), copies+1)
	}
	orig := res.Deliveries[0]
	for i, d := range res.Deliveries {
		got := engWaitState(t, e, d.ID, 10*time.Second)
		if got.State != StateDelivered || got.Attempts != 1 {
			t.Errorf("delivery %d: %s after %d attempts", i, got.State, got.Attempts)
		}
		if i > 0 && (d.CopyOf != orig.ID || d.ID == orig.ID) {
			t.Errorf("copy %d: CopyOf %q, want %q", i, d.CopyOf, orig.ID)
		}
	}
	hits := rc.all()
	if len(hits) != copies+1 {
		t.Fatalf("received %d, want %d", len(hits), copies+1)
	}
	for _, h := range hits {
		if string(h.body) != string(res.Body) || h.header.Get("webhook-id") != orig.WireID {
			t.Errorf("copy differs: id %q body %q", h.header.Get("webhook-id"), h.body)
		}
	}
}

// TestDuplicatesSpaced: spaced copies come DuplicateSpacing (scaled) apart,
// same body and id, and with Standard Webhooks' timestamped signature each
// copy is signed afresh.
func TestDuplicatesSpaced(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc, TimeScale: 0.5})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "standard", "", rc.srv.URL, Chaos{Duplicates: 2, DuplicateSpacing: Duration(4 * time.Second)})
	t0 := fc.Now()
	res := engTrigger(t, e, "standard", "order.created", ep)
	engDrive(t, e, fc, 5*time.Second, func() bool {
		for _, d := range res.Deliveries {
			if engDelivery(t, e, d.ID).State == StatePending {
				return false
			}
		}
		return true
	})
	sigs := map[string]bool{}
	for i, d := range res.Deliveries {
		as := engAttempts(t, e, d.ID)
		if len(as) != 1 || !as[0].Success {
			t.Fatalf("copy %d: %d attempts", i, len(as))
		}
		if want := t0.Add(time.Duration(i) * 2 * time.Second); !as[0].StartedAt.Equal(want) {
			t.Errorf("copy %d sent at %v, want %v", i, as[0].StartedAt, want)
		}
		sigs[as[0].RequestHeaders.Get("webhook-signature")] = true
	}
	for _, h := range rc.all() {
		if string(h.body) != string(res.Body) || h.header.Get("webhook-id") != res.Deliveries[0].WireID {
			t.Errorf("copy differs")
		}
	}
	if len(sigs) != 3 {
		t.Errorf("%d distinct signatures over 3 copies 2 s apart, want 3", len(sigs))
	}
}

// engReorderRun triggers n events to one endpoint with a reorder window and
// returns the order (trigger index) in which they arrived.
func engReorderRun(t *testing.T, seed uint64, n int) []int {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc, Seed: seed, MaxPerEndpoint: 1})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "esimfly", "", rc.srv.URL, Chaos{ReorderWindow: Duration(time.Minute)})
	byWire := map[string]int{}
	for i := range n {
		res := engTrigger(t, e, "esimfly", "order.created", ep)
		byWire[res.Deliveries[0].WireID] = i
		fc.Advance(time.Second) // all within the window
	}
	engDrive(t, e, fc, 10*time.Second, func() bool { return rc.count() == n })
	var order []int
	for _, h := range rc.all() {
		order = append(order, byWire[h.header.Get("X-eSIMfly-Delivery-ID")])
	}
	return order
}

// TestReorderWindow: deliveries to one endpoint within the window arrive
// all, in an order that differs from the trigger order, deterministically
// for a fixed seed.
func TestReorderWindow(t *testing.T) {
	const n = 12
	a := engReorderRun(t, 7, n)
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("arrivals %v: not every delivery arrived once", a)
		}
	}
	if slices.IsSorted(a) {
		t.Fatalf("arrivals %v are in trigger order", a)
	}
	if b := engReorderRun(t, 7, n); !slices.Equal(a, b) {
		t.Errorf("same seed, different orders: %v and %v", a, b)
	}
}

// TestReorderWindowOpensAnew: a delivery after the window closed opens a
// new window.
func TestReorderWindowOpensAnew(t *testing.T) {
	c := newChaosState()
	t0 := time.Unix(0, 0)
	none := func(time.Duration) time.Duration { return 0 }
	if got := c.reorder("ep", t0, time.Minute, none); !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first: %v", got)
	}
	if got := c.reorder("ep", t0.Add(59*time.Second), time.Minute, none); !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("inside: %v", got)
	}
	if got := c.reorder("ep", t0.Add(time.Minute), time.Minute, none); !got.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("after: %v", got)
	}
	if got := c.reorder("other", t0, time.Second, none); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("other endpoint: %v", got)
	}
}

// TestDelayJitter: the first attempt waits Delay plus up to Jitter, scaled;
// a trigger's chaos overrides the endpoint's field by field.
func TestDelayJitter(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc, TimeScale: 0.1})
	rc := newEngReceiver(t, nil)
	ep := engAddEndpoint(t, e, "esimfly", "", rc.srv.URL, Chaos{Delay: Duration(time.Hour), Jitter: Duration(10 * time.Second)})
	t0 := fc.Now()
	res, err := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created",
		EndpointIDs: []string{ep.ID}, Chaos: &Chaos{Delay: Duration(100 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Deliveries[0]
	if d.Chaos.Delay.D() != 100*time.Second || d.Chaos.Jitter.D() != 10*time.Second {
		t.Fatalf("merged chaos = %+v", d.Chaos)
	}
	lo, hi := t0.Add(10*time.Second), t0.Add(11*time.Second)
	if d.NextAttemptAt.Before(lo) || !d.NextAttemptAt.Before(hi) {
		t.Fatalf("due %v, want in [%v, %v)", d.NextAttemptAt, lo, hi)
	}
	fc.Set(d.NextAttemptAt.Add(-time.Nanosecond))
	if rc.count() != 0 || engDelivery(t, e, d.ID).Attempts != 0 {
		t.Fatalf("sent before its delay")
	}
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, d.ID).State != StatePending })
	if as := engAttempts(t, e, d.ID); !as[0].StartedAt.Equal(d.NextAttemptAt) {
		t.Errorf("sent at %v, due %v", as[0].StartedAt, d.NextAttemptAt)
	}
}

// TestCutAfterBody: the first attempt is cut once the receiver has
// answered and before the mock reads the answer (the lost ack), so the
// receiver processes the event but the attempt is recorded as cut; the
// retry is delivered.
func TestCutAfterBody(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc})
	rc := newEngReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	ep := engAddEndpoint(t, e, "esimfly", "", rc.srv.URL, Chaos{CutAfterBody: 1})
	res := engTrigger(t, e, "esimfly", "order.created", ep)
	id := res.Deliveries[0].ID
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
	as := engAttempts(t, e, id)
	if len(as) != 2 || as[0].ErrorKind != ErrKindCut || as[0].Success || !as[1].Success {
		for _, a := range as {
			t.Logf("attempt %d: status %d kind %q %q", a.N, a.Status, a.ErrorKind, a.Error)
		}
		t.Fatalf("want a cut attempt then a delivered one")
	}
	hits := rc.all()
	if len(hits) != 2 || string(hits[0].body) != string(res.Body) {
		t.Fatalf("the receiver got %d requests; the first body %q", len(hits), hits[0].body)
	}
}

// TestTriggerSelection: with no endpoint ids a trigger reaches every
// enabled endpoint of the provider and variant subscribed to the event.
func TestTriggerSelection(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc})
	url := "http://127.0.0.1:1"
	all := engAddEndpoint(t, e, "esimfly", "", url, Chaos{})
	explicitDefault := engAddEndpoint(t, e, "esimfly", "2025-01", url, Chaos{})
	sub := engAddEndpoint(t, e, "esimfly", "", url, Chaos{})
	sub.Events = []string{"order.created"}
	other := engAddEndpoint(t, e, "esimfly", "", url, Chaos{})
	other.Events = []string{"order.failed"}
	off := engAddEndpoint(t, e, "esimfly", "", url, Chaos{})
	off.Disabled = true
	engAddEndpoint(t, e, "esimfly", "2026-04", url, Chaos{})
	engAddEndpoint(t, e, "standard", "", url, Chaos{})
	for _, ep := range []*Endpoint{sub, other, off} {
		if err := e.store.PutEndpoint(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Deliveries {
		got = append(got, d.EndpointID)
		if d.Variant != "2025-01" || d.Provider != "esimfly" {
			t.Errorf("delivery %+v", d)
		}
	}
	want := []string{all.ID, explicitDefault.ID, sub.ID}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("endpoints %v, want %v", got, want)
	}
	if _, err := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created", EndpointIDs: []string{off.ID}}); err == nil {
		t.Errorf("a disabled endpoint named explicitly should be refused")
	}
	if _, err := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "nope"}); err == nil {
		t.Errorf("unknown event accepted")
	}
	// A given seed makes the same payload; overrides apply.
	seed := uint64(99)
	r1, _ := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created", EndpointIDs: []string{all.ID}, Seed: &seed, Start: &time.Time{}})
	r2, _ := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created", EndpointIDs: []string{all.ID}, Seed: &seed, Start: &time.Time{},
		Overrides: []providers.Override{{Path: "data.order_id", Raw: "ORD-1"}}})
	if string(r1.Body) == string(r2.Body) || !strings.Contains(string(r2.Body), `"order_id":"ORD-1"`) {
		t.Errorf("override not applied: %s", r2.Body)
	}
	r3, _ := e.Trigger(context.Background(), Trigger{Provider: "esimfly", Event: "order.created", EndpointIDs: []string{all.ID}, Seed: &seed, Start: &time.Time{}})
	if string(r1.Body) != string(r3.Body) {
		t.Errorf("same seed, different bodies:\n%s\n%s", r1.Body, r3.Body)
	}
}
