package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// searchLog puts 60 deliveries spread over every filter (spread, plus a
// variant, a run, a body with an ICCID and an order id, and for two in
// three a latest attempt) and returns them newest first.
func searchLog(t *testing.T, s engine.Store) []*engine.Delivery {
	t.Helper()
	const n = 60
	all := make([]*engine.Delivery, n)
	for i := range n {
		d := spread(i, at(i))
		d.Variant = []string{"", "v1", "v2"}[(i/3)%3]
		if i%4 == 0 {
			d.RunID = fmt.Sprintf("run%d", i/20)
		}
		d.Body = fmt.Appendf(nil, `{"data":{"order_id":"ORD-%d","esims":[{"iccid":"89%017d"}],"note":"x"},"n":%d}`, i/2, i/5, 8900000000000000000+i)
		mustPutDelivery(t, s, d)
		if i%3 != 2 {
			a := attempt(d, 1)
			a.Status = []int{200, 503, 0, 400}[i%4]
			d = afterAttempt(d, a)
			mustAddAttempt(t, s, a, d)
		}
		all[n-1-i] = d
	}
	return all
}

// searchMatches is the search contract: f's filters (not Before or
// Limit), every one that is set, on d as searchLog made it.
func searchMatches(d *engine.Delivery, f engine.DeliveryFilter) bool {
	ok := func(want, got string) bool { return want == "" || want == got }
	terms := engine.SearchTerms(d)
	return matches(d, f) && ok(f.Variant, d.Variant) && ok(f.ID, d.ID) && ok(f.RunID, d.RunID) &&
		(f.Status == nil || d.LastAttempt != nil && d.LastAttempt.Status == *f.Status) &&
		(f.Since.IsZero() || !d.CreatedAt.Before(f.Since)) && (f.Until.IsZero() || d.CreatedAt.Before(f.Until)) &&
		(f.Q == "" || slices.Contains(terms, f.Q))
}

func intp(n int) *int { return &n }

func testListSearch(t *testing.T, s engine.Store) {
	all := searchLog(t, s)
	for _, c := range []struct {
		f    engine.DeliveryFilter
		none bool // the filter is meant to match nothing
	}{
		{f: engine.DeliveryFilter{Provider: "airalo", Variant: "v1"}},
		{f: engine.DeliveryFilter{ID: "d0017"}},
		{f: engine.DeliveryFilter{RunID: "run1"}},
		{f: engine.DeliveryFilter{Status: intp(503)}},
		{f: engine.DeliveryFilter{Status: intp(0)}},
		{f: engine.DeliveryFilter{Since: at(40)}},
		{f: engine.DeliveryFilter{Until: at(3)}},
		{f: engine.DeliveryFilter{Since: at(10), Until: at(20), Provider: "esimfly"}},
		{f: engine.DeliveryFilter{Q: "d0033"}},                       // an id
		{f: engine.DeliveryFilter{Q: "evt005"}},                      // an event id
		{f: engine.DeliveryFilter{Q: "wire_d0021"}},                  // a wire id
		{f: engine.DeliveryFilter{Q: "ORD-7"}},                       // order_id
		{f: engine.DeliveryFilter{Q: "8900000000000000002"}},         // iccid in an array
		{f: engine.DeliveryFilter{Q: "8900000000000000044"}},         // a number of ICCID length
		{f: engine.DeliveryFilter{Q: "ORD-7", State: all[45].State}}, // with a filter
		{f: engine.DeliveryFilter{Status: intp(200), Event: "order.completed", RunID: "run0"}},
		{f: engine.DeliveryFilter{Q: "x"}, none: true},            // not an id-like field
		{f: engine.DeliveryFilter{Q: "ORD"}, none: true},          // not a whole value
		{f: engine.DeliveryFilter{Status: intp(418)}, none: true}, // no such status
		{f: engine.DeliveryFilter{RunID: "run0", Provider: "esimfly", Status: intp(400)}, none: true},
		{f: engine.DeliveryFilter{Since: at(100)}, none: true},
	} {
		want := slices.DeleteFunc(slices.Clone(all), func(d *engine.Delivery) bool { return !searchMatches(d, c.f) })
		if (len(want) == 0) != c.none {
			t.Fatalf("filter %+v matches %d fixtures; fix the fixtures", c.f, len(want))
		}
		checkIDs(t, fmt.Sprintf("ListDeliveries(%+v)", c.f), mustList(t, s, c.f), want)
		// Pages of 2 through the cursor give the same list.
		var paged []*engine.Delivery
		f := c.f
		f.Limit = 2
		for {
			page := mustList(t, s, f)
			paged = append(paged, page...)
			if len(page) < 2 {
				break
			}
			f.Before = page[len(page)-1].ID
		}
		checkIDs(t, fmt.Sprintf("pages of ListDeliveries(%+v)", c.f), paged, want)
	}
	// Each listed delivery carries its latest attempt's summary.
	for _, d := range mustList(t, s, engine.DeliveryFilter{Limit: 1000}) {
		i := slices.IndexFunc(all, func(w *engine.Delivery) bool { return w.ID == d.ID })
		if got, want := normDelivery(d).LastAttempt, normDelivery(all[i]).LastAttempt; (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s: last attempt %+v, want %+v", d.ID, got, want)
		}
	}
}

// testLastAttemptKept checks that the latest attempt's summary is the
// store's: a later PutDelivery of the delivery (without it) keeps it, a
// new attempt replaces it.
func testLastAttemptKept(t *testing.T, s engine.Store) {
	d := delivery("d1", at(0))
	mustPutDelivery(t, s, d)
	if got := mustGetDelivery(t, s, "d1").LastAttempt; got != nil {
		t.Errorf("before any attempt: LastAttempt = %+v, want none", got)
	}
	a := attempt(d, 1)
	mustAddAttempt(t, s, a, afterAttempt(d, a))
	put := afterAttempt(d, a)
	put.LastAttempt = nil
	put.State, put.UpdatedAt = engine.StateFailed, at(9)
	mustPutDelivery(t, s, put)
	got := mustGetDelivery(t, s, "d1").LastAttempt
	if got == nil || got.N != 1 || got.Status != 503 || got.Outcome != engine.StatePending ||
		got.Latency != a.Latency || !got.At.Equal(a.StartedAt) {
		t.Errorf("after PutDelivery: LastAttempt = %+v, want attempt 1's %+v", got, a.Summary())
	}
	a2 := attempt(d, 2)
	a2.Status, a2.ErrorKind, a2.Outcome = 0, engine.ErrKindTimeout, engine.StateExhausted
	mustAddAttempt(t, s, a2, afterAttempt(put, a2))
	if got := mustGetDelivery(t, s, "d1").LastAttempt; got == nil || got.N != 2 || got.Status != 0 ||
		got.ErrorKind != engine.ErrKindTimeout || got.Outcome != engine.StateExhausted {
		t.Errorf("after attempt 2: LastAttempt = %+v, want attempt 2's", got)
	}
	// A copy of the delivery put as a new one (a resend) starts without.
	c := *mustGetDelivery(t, s, "d1")
	c.ID, c.CreatedAt = "d2", at(2)
	mustPutDelivery(t, s, &c)
	if got := mustGetDelivery(t, s, "d2").LastAttempt; got != nil {
		t.Errorf("a new delivery put with a LastAttempt: %+v, want none", got)
	}
}
