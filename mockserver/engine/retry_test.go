package engine

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// engProviderCases lists a variant of each provider with one of its events.
var engProviderCases = []struct{ provider, variant, event string }{
	{"airalo", "", "low_data_75"},
	{"esimfly", "", "order.completed"},
	{"esimfly", "2026-04", "esim.provisioned"},
	{"esimaccess", "", "ORDER_STATUS"},
	{"roamify", "", "esim/esim_status"},
	{"simplifytrip", "", "PURCHASE_ORDER_SUCCESS"},
	{"standard", "", "order.created"},
}

// TestRetrySchedules walks every provider's whole retry schedule on a fake
// clock: a receiver failing all but the last attempt gets len(schedule)
// engAttempts spaced exactly as the schedule (scaled) says, and one failing
// every attempt leaves the delivery exhausted.
func TestRetrySchedules(t *testing.T) {
	for _, scale := range []float64{1, 0.5} {
		for _, c := range engProviderCases {
			name := fmt.Sprintf("scale=%v/%s@%s/%s", scale, c.provider, c.variant, c.event)
			t.Run(name, func(t *testing.T) {
				start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				fc := NewFakeClock(start)
				e := engTestEngine(t, EngineConfig{Clock: fc, TimeScale: scale})
				v, err := e.cat.Variant(c.provider, c.variant)
				if err != nil {
					t.Fatal(err)
				}
				sched := v.Retry.Schedule
				for _, lastOK := range []bool{true, false} {
					k := len(sched)
					if lastOK {
						k--
					}
					rc := newEngReceiver(t, engFailFirst(k, http.StatusServiceUnavailable))
					ep := engAddEndpoint(t, e, c.provider, c.variant, rc.srv.URL, Chaos{})
					t0 := fc.Now()
					res, err := e.Trigger(t.Context(), Trigger{Provider: c.provider, Variant: c.variant, Event: c.event, EndpointIDs: []string{ep.ID}})
					if err != nil {
						t.Fatal(err)
					}
					id := res.Deliveries[0].ID
					engDrive(t, e, fc, 10*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
					d := engDelivery(t, e, id)
					want := StateExhausted
					if lastOK {
						want = StateDelivered
					}
					if d.State != want || d.Attempts != len(sched) {
						t.Fatalf("lastOK=%v: state %s after %d attempts, want %s after %d", lastOK, d.State, d.Attempts, want, len(sched))
					}
					as := engAttempts(t, e, id)
					if len(as) != len(sched) || rc.count() != len(sched) {
						t.Fatalf("%d attempts recorded, %d received, want %d", len(as), rc.count(), len(sched))
					}
					prev := t0
					for i, a := range as {
						wantGap := time.Duration(float64(sched[i].D()) * scale)
						if gap := a.StartedAt.Sub(prev); gap != wantGap {
							t.Errorf("attempt %d came %v after the previous, want %v", i+1, gap, wantGap)
						}
						if a.N != i+1 {
							t.Errorf("attempt %d has N %d", i+1, a.N)
						}
						prev = a.StartedAt
					}
					hits := rc.all()
					for _, h := range hits[1:] {
						if string(h.body) != string(hits[0].body) {
							t.Fatalf("attempt bodies differ")
						}
					}
				}
			})
		}
	}
}

// TestRetryTimeScaleRealClock runs schedules on the real clock with a tiny
// time scale: the gaps follow the schedule within generous bounds.
func TestRetryTimeScaleRealClock(t *testing.T) {
	const scale = 0.0001
	for _, c := range []struct{ provider, event string }{
		{"esimfly", "order.created"},
		{"simplifytrip", "PURCHASE_ORDER_SUCCESS"},
		{"roamify", "esim/esim_status"},
	} {
		t.Run(c.provider, func(t *testing.T) {
			t.Parallel()
			e := engTestEngine(t, EngineConfig{TimeScale: scale})
			v, _ := e.cat.Variant(c.provider, "")
			sched := v.Retry.Schedule
			rc := newEngReceiver(t, engFailFirst(len(sched)-1, http.StatusInternalServerError))
			ep := engAddEndpoint(t, e, c.provider, "", rc.srv.URL, Chaos{})
			res := engTrigger(t, e, c.provider, c.event, ep)
			d := engWaitState(t, e, res.Deliveries[0].ID, 20*time.Second)
			if d.State != StateDelivered || d.Attempts != len(sched) {
				t.Fatalf("state %s after %d attempts, want delivered after %d", d.State, d.Attempts, len(sched))
			}
			hits := rc.all()
			for i := 1; i < len(hits); i++ {
				want := time.Duration(float64(sched[i].D()) * scale)
				gap := hits[i].at.Sub(hits[i-1].at)
				if gap < want || gap > want+time.Second {
					t.Errorf("gap before attempt %d = %v, want about %v", i+1, gap, want)
				}
			}
		})
	}
}

// TestAiraloOnly200 checks that Airalo counts only 200 as success: a 201
// is a failed attempt and is retried.
func TestAiraloOnly200(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc})
	rc := newEngReceiver(t, engFailFirst(1, http.StatusCreated))
	ep := engAddEndpoint(t, e, "airalo", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "airalo", "credit_limit", ep)
	id := res.Deliveries[0].ID
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
	as := engAttempts(t, e, id)
	if len(as) != 2 || as[0].Status != 201 || as[0].Success || as[0].Outcome != StatePending || !as[1].Success {
		t.Fatalf("attempts = %+v", as)
	}
	if as[0].Error == "" {
		t.Errorf("a 201 attempt should say why it failed")
	}
	// Other providers take any 2xx.
	rc2 := newEngReceiver(t, engFailFirst(1, http.StatusAccepted))
	ep2 := engAddEndpoint(t, e, "esimfly", "", rc2.srv.URL, Chaos{})
	res = engTrigger(t, e, "esimfly", "order.created", ep2)
	d := engWaitState(t, e, res.Deliveries[0].ID, 5*time.Second)
	if d.State != StateDelivered || d.Attempts != 1 {
		t.Fatalf("esimfly 202: %s after %d attempts", d.State, d.Attempts)
	}
}

// TestSimplifyTripNoRetryOn4xx: a 4xx ends a SimplifyTrip delivery as
// failed, a 5xx is retried; other providers retry a 4xx.
func TestSimplifyTripNoRetryOn4xx(t *testing.T) {
	fc := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := engTestEngine(t, EngineConfig{Clock: fc})
	rc := newEngReceiver(t, engFailFirst(100, http.StatusBadRequest))
	ep := engAddEndpoint(t, e, "simplifytrip", "", rc.srv.URL, Chaos{})
	res := engTrigger(t, e, "simplifytrip", "PURCHASE_ORDER_SUCCESS", ep)
	d := engWaitState(t, e, res.Deliveries[0].ID, 5*time.Second)
	if d.State != StateFailed || d.Attempts != 1 {
		t.Fatalf("4xx: %s after %d attempts, want failed after 1", d.State, d.Attempts)
	}

	rc5 := newEngReceiver(t, engFailFirst(2, http.StatusBadGateway))
	ep5 := engAddEndpoint(t, e, "simplifytrip", "", rc5.srv.URL, Chaos{})
	res = engTrigger(t, e, "simplifytrip", "PURCHASE_ORDER_SUCCESS", ep5)
	id := res.Deliveries[0].ID
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
	if d := engDelivery(t, e, id); d.State != StateDelivered || d.Attempts != 3 {
		t.Fatalf("5xx: %s after %d attempts, want delivered after 3", d.State, d.Attempts)
	}

	rcf := newEngReceiver(t, engFailFirst(1, http.StatusNotFound))
	epf := engAddEndpoint(t, e, "esimfly", "", rcf.srv.URL, Chaos{})
	res = engTrigger(t, e, "esimfly", "order.created", epf)
	id = res.Deliveries[0].ID
	engDrive(t, e, fc, 5*time.Second, func() bool { return engDelivery(t, e, id).State != StatePending })
	if d := engDelivery(t, e, id); d.State != StateDelivered || d.Attempts != 2 {
		t.Fatalf("esimfly 404: %s after %d attempts, want delivered after 2", d.State, d.Attempts)
	}
}
