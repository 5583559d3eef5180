package storetest

import (
	"net/http"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// mustAddAttempt adds a with d or stops the test.
func mustAddAttempt(t *testing.T, s engine.Store, a *engine.Attempt, d *engine.Delivery) {
	t.Helper()
	if err := s.AddAttempt(t.Context(), a, d); err != nil {
		t.Fatalf("AddAttempt(%q, %d): %v", a.DeliveryID, a.N, err)
	}
}

// mustListAttempts lists the attempts of delivery id or stops the test.
func mustListAttempts(t *testing.T, s engine.Store, id string) []*engine.Attempt {
	t.Helper()
	list, err := s.ListAttempts(t.Context(), id)
	if err != nil {
		t.Fatalf("ListAttempts(%q): %v", id, err)
	}
	return list
}

// checkAttempts fails t unless got equals want, in order.
func checkAttempts(t *testing.T, what string, got, want []*engine.Attempt) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d attempts, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		checkAttempt(t, what, got[i], want[i])
	}
}

// afterAttempt returns a copy of d as the engine saves it after attempt a.
func afterAttempt(d *engine.Delivery, a *engine.Attempt) *engine.Delivery {
	c := *d
	c.Attempts = a.N
	c.State = a.Outcome
	c.NextAttemptAt = a.NextRetryAt
	c.UpdatedAt = a.StartedAt.Add(a.Latency)
	c.LastAttempt = a.Summary()
	return &c
}

func testAddAttemptStoresBoth(t *testing.T, s engine.Store) {
	d := delivery("d1", base)
	mustPutDelivery(t, s, d)
	other := delivery("d2", base)
	mustPutDelivery(t, s, other)

	a1 := attempt(d, 1)
	d1 := afterAttempt(d, a1)
	mustAddAttempt(t, s, a1, d1)
	checkDelivery(t, "delivery after attempt 1", mustGetDelivery(t, s, "d1"), d1)
	checkAttempts(t, "attempts after attempt 1", mustListAttempts(t, s, "d1"), []*engine.Attempt{a1})
	checkPending(t, s, []*engine.Delivery{d1, other})

	a2 := attempt(d, 2)
	a2.Status, a2.Success, a2.Outcome, a2.NextRetryAt = 200, true, engine.StateDelivered, time.Time{}
	a2.ResponseBody, a2.ResponseHeaders = []byte("ok"), nil
	d2 := afterAttempt(d1, a2)
	mustAddAttempt(t, s, a2, d2)
	checkDelivery(t, "delivery after attempt 2", mustGetDelivery(t, s, "d1"), d2)
	checkAttempts(t, "attempts after attempt 2", mustListAttempts(t, s, "d1"), []*engine.Attempt{a1, a2})
	checkPending(t, s, []*engine.Delivery{other})
	checkIDs(t, "delivered", mustList(t, s, engine.DeliveryFilter{State: engine.StateDelivered}), []*engine.Delivery{d2})
	checkAttempts(t, "attempts of the other delivery", mustListAttempts(t, s, "d2"), nil)
}

func testPutDeliveryKeepsAttempts(t *testing.T, s engine.Store) {
	d := delivery("d1", base)
	mustPutDelivery(t, s, d)
	a := attempt(d, 1)
	mustAddAttempt(t, s, a, afterAttempt(d, a))
	d2 := afterAttempt(d, a)
	d2.State = engine.StateFailed // cancelled
	mustPutDelivery(t, s, d2)
	checkDelivery(t, "delivery", mustGetDelivery(t, s, "d1"), d2)
	checkAttempts(t, "attempts after PutDelivery", mustListAttempts(t, s, "d1"), []*engine.Attempt{a})

	// A new body and new indexed fields leave the attempts as they were
	// sent, the attempt's request body (the old body) included.
	d3 := afterAttempt(d2, a)
	d3.Body, d3.Provider, d3.EventID = []byte("another body"), "esimfly", "evt_other"
	mustPutDelivery(t, s, d3)
	checkDelivery(t, "delivery with a new body", mustGetDelivery(t, s, "d1"), d3)
	checkAttempts(t, "attempts after a new body", mustListAttempts(t, s, "d1"), []*engine.Attempt{a})
	checkIDs(t, "the delivery by its new provider", mustList(t, s, engine.DeliveryFilter{Provider: "esimfly"}), []*engine.Delivery{d3})
	checkIDs(t, "the delivery by its old provider", mustList(t, s, engine.DeliveryFilter{Provider: d.Provider}), nil)
}

func testAttemptRoundTrip(t *testing.T, s engine.Store) {
	d := delivery("d1", base)
	d.Body = []byte{0xff, 0x00, 0xfe, '{', 0x80}
	mustPutDelivery(t, s, d)

	resp := make([]byte, 4096)
	for i := range resp {
		resp[i] = byte(255 - i%256)
	}
	failed := attempt(d, 1)
	failed.Status = 0
	failed.ResponseHeaders, failed.ResponseBody = nil, nil
	failed.ErrorKind, failed.Error = engine.ErrKindTimeout, "Post \"https://receiver.example\": context deadline exceeded"
	failed.Latency = 10*time.Second + 1

	truncated := attempt(d, 2)
	truncated.Status = 500
	truncated.ResponseHeaders = http.Header{"Content-Type": {"text/html; charset=latin1"}, "X-Empty": {""}}
	truncated.ResponseBody, truncated.ResponseTruncated = resp, true
	truncated.Latency = 1

	empty := attempt(d, 3)
	empty.RequestHeaders, empty.RequestBody = http.Header{}, []byte{}
	empty.Status, empty.Success = 204, true
	empty.ResponseHeaders, empty.ResponseBody = http.Header{}, []byte{}
	empty.NextRetryAt, empty.Outcome, empty.Latency = time.Time{}, engine.StateDelivered, 0

	cur := d
	for _, a := range []*engine.Attempt{failed, truncated, empty} {
		cur = afterAttempt(cur, a)
		mustAddAttempt(t, s, a, cur)
	}
	checkAttempts(t, "ListAttempts", mustListAttempts(t, s, "d1"), []*engine.Attempt{failed, truncated, empty})
	checkDelivery(t, "delivery", mustGetDelivery(t, s, "d1"), cur)
}

func testAttemptOrder(t *testing.T, s engine.Store) {
	ds := []*engine.Delivery{delivery("d1", at(0)), delivery("d2", at(1))}
	want := map[string][]*engine.Attempt{}
	for _, d := range ds {
		mustPutDelivery(t, s, d)
	}
	// Interleave the two deliveries' attempts.
	for n := 1; n <= 6; n++ {
		for i, d := range ds {
			a := attempt(d, n)
			a.Latency = time.Duration(n*10+i) * time.Millisecond
			want[d.ID] = append(want[d.ID], a)
			mustAddAttempt(t, s, a, afterAttempt(d, a))
		}
	}
	for _, d := range ds {
		checkAttempts(t, "ListAttempts "+d.ID, mustListAttempts(t, s, d.ID), want[d.ID])
	}
}

func testAttemptEmpty(t *testing.T, s engine.Store) {
	mustPutDelivery(t, s, delivery("d1", base))
	if list := mustListAttempts(t, s, "d1"); len(list) != 0 {
		t.Errorf("ListAttempts of a delivery without attempts = %d attempts, want 0", len(list))
	}
}
