package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// checkIDs fails t unless list holds exactly the deliveries of want, in order.
func checkIDs(t *testing.T, what string, list, want []*engine.Delivery) {
	t.Helper()
	if got, w := deliveryIDs(list), deliveryIDs(want); !slices.Equal(got, w) {
		t.Errorf("%s:\n got %d %v\nwant %d %v", what, len(got), got, len(w), w)
	}
}

func testListFilters(t *testing.T, s engine.Store) {
	all := putShuffled(t, s, 48, at)
	checkIDs(t, "ListDeliveries()", mustList(t, s, engine.DeliveryFilter{}), all)
	for _, f := range []engine.DeliveryFilter{
		{Provider: "esimfly"},
		{Event: "esim.low_data"},
		{EndpointID: "ep2"},
		{State: engine.StateDelivered},
		{EventID: "evt007"},
		{Provider: "airalo", State: engine.StatePending},
		{Event: "order.completed", EndpointID: "ep1"},
		{Provider: "esimaccess", Event: "esim.low_data", EndpointID: "ep2", State: engine.StateFailed},
		{EventID: "evt011", Provider: "airalo"},
		{Provider: "nobody"},
	} {
		want := filter(all, f)
		if len(want) == 0 && f.Provider != "nobody" {
			t.Fatalf("filter %+v matches no fixture; fix the fixtures", f)
		}
		checkIDs(t, fmt.Sprintf("ListDeliveries(%+v)", f), mustList(t, s, f), want)
	}
}

func testListNewestFirst(t *testing.T, s engine.Store) {
	for i := range 5 {
		mustPutDelivery(t, s, spread(i, at(10+i)))
	}
	// Put late, created first: it lists last.
	mustPutDelivery(t, s, spread(5, at(0)))
	got := deliveryIDs(mustList(t, s, engine.DeliveryFilter{}))
	want := []string{"d0004", "d0003", "d0002", "d0001", "d0000", "d0005"}
	if !slices.Equal(got, want) {
		t.Errorf("ListDeliveries = %v, want %v (newest CreatedAt first)", got, want)
	}
}

func testListLimit(t *testing.T, s engine.Store) {
	const n = 1005
	all := putShuffled(t, s, n, at)
	for _, c := range []struct{ limit, want int }{
		{0, 100},
		{1, 1},
		{7, 7},
		{100, 100},
		{1000, 1000},
		{1001, 1000},
		{5000, 1000},
	} {
		list := mustList(t, s, engine.DeliveryFilter{Limit: c.limit})
		if len(list) != c.want {
			t.Errorf("ListDeliveries(Limit: %d) = %d deliveries, want %d", c.limit, len(list), c.want)
			continue
		}
		checkIDs(t, fmt.Sprintf("ListDeliveries(Limit: %d)", c.limit), list, all[:c.want])
	}
	few := filter(all, engine.DeliveryFilter{EventID: "evt010"})
	checkIDs(t, "ListDeliveries(fewer than the limit)", mustList(t, s, engine.DeliveryFilter{EventID: "evt010", Limit: 50}), few)
}

// paginate lists every page of f from the start, checking each page, and
// returns them concatenated.
func paginate(t *testing.T, s engine.Store, f engine.DeliveryFilter) []*engine.Delivery {
	t.Helper()
	var all []*engine.Delivery
	for pages := 0; ; pages++ {
		if pages > 2000 {
			t.Fatalf("paginating %+v: no end after %d pages", f, pages)
		}
		page := mustList(t, s, f)
		if len(page) > f.Limit {
			t.Fatalf("paginating %+v: page of %d", f, len(page))
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		f.Before = page[len(page)-1].ID
		if !f.BeforeAt.IsZero() {
			f.BeforeAt = page[len(page)-1].CreatedAt
		}
	}
}

// checkOrder fails t unless list is newest first, ties by id descending,
// with no id twice.
func checkOrder(t *testing.T, what string, list []*engine.Delivery) {
	t.Helper()
	seen := map[string]bool{}
	for i, d := range list {
		if seen[d.ID] {
			t.Errorf("%s: %q listed twice", what, d.ID)
		}
		seen[d.ID] = true
		if i == 0 {
			continue
		}
		prev := list[i-1]
		if c := d.CreatedAt.Compare(prev.CreatedAt); c > 0 || c == 0 && d.ID > prev.ID {
			t.Errorf("%s: %q (created %v) after %q (created %v)", what, d.ID, d.CreatedAt, prev.ID, prev.CreatedAt)
		}
	}
}

func testListPagination(t *testing.T, s engine.Store) {
	// Three deliveries per instant: the order of ties must hold across pages.
	all := putShuffled(t, s, 250, func(i int) time.Time { return at(i / 3) })
	full := mustList(t, s, engine.DeliveryFilter{Limit: 1000})
	checkOrder(t, "ListDeliveries(Limit: 1000)", full)
	if len(full) != len(all) {
		t.Fatalf("ListDeliveries(Limit: 1000) = %d deliveries, want %d", len(full), len(all))
	}
	for _, f := range []engine.DeliveryFilter{
		{Limit: 1},
		{Limit: 7},
		{Limit: 100},
		{Limit: 250},
		{Limit: 6, State: engine.StatePending},
		{Limit: 5, Provider: "esimfly", EndpointID: "ep2"},
	} {
		what := fmt.Sprintf("pages of %+v", f)
		checkIDs(t, what, paginate(t, s, f), filter(full, f))
	}
}

func testListPaginationWhileInserting(t *testing.T, s engine.Store) {
	first := putShuffled(t, s, 30, at)
	page := mustList(t, s, engine.DeliveryFilter{Limit: 10})
	checkIDs(t, "first page", page, first[:10])
	// Newer deliveries arrive, and one older (a backfill).
	for i := 30; i < 40; i++ {
		mustPutDelivery(t, s, spread(i, at(100+i)))
	}
	old := spread(40, at(-1))
	mustPutDelivery(t, s, old)
	rest := paginate(t, s, engine.DeliveryFilter{Limit: 10, Before: page[len(page)-1].ID})
	checkIDs(t, "later pages", rest, append(slices.Clone(first[10:]), old))
}

func testListCursorOutsideFilter(t *testing.T, s engine.Store) {
	putShuffled(t, s, 40, func(i int) time.Time { return at(i / 2) })
	full := mustList(t, s, engine.DeliveryFilter{})
	f := engine.DeliveryFilter{Provider: "esimfly"}
	i := 9
	for matches(full[i], f) {
		i++
	}
	f.Before = full[i].ID
	checkIDs(t, fmt.Sprintf("ListDeliveries(%+v)", f), mustList(t, s, f), filter(full[i+1:], f))
}

func testPending(t *testing.T, s engine.Store) {
	all := putShuffled(t, s, 24, at)
	checkPending(t, s, filter(all, engine.DeliveryFilter{State: engine.StatePending}))

	// A pending delivery delivered, a failed one back to pending.
	d := spread(0, at(0))
	d.State = engine.StateDelivered
	mustPutDelivery(t, s, d)
	d = spread(6, at(6))
	d.State = engine.StatePending
	mustPutDelivery(t, s, d)
	checkPending(t, s, filter(mustList(t, s, engine.DeliveryFilter{}), engine.DeliveryFilter{State: engine.StatePending}))
}

// checkPending fails t unless Pending returns exactly want, in any order,
// each delivery whole.
func checkPending(t *testing.T, s engine.Store, want []*engine.Delivery) {
	t.Helper()
	got, err := s.Pending(t.Context())
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	byID := map[string]*engine.Delivery{}
	for _, d := range got {
		byID[d.ID] = d
	}
	if len(got) != len(want) || len(byID) != len(want) {
		t.Errorf("Pending = %d deliveries %v, want %d %v", len(got), deliveryIDs(got), len(want), deliveryIDs(want))
	}
	for _, w := range want {
		if byID[w.ID] == nil {
			t.Errorf("Pending lacks %q", w.ID)
			continue
		}
		checkDelivery(t, "Pending "+w.ID, byID[w.ID], w)
	}
}
