package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// The retention log: deliveries r00 to r23 created 10 ms apart (r00 the
// oldest), each with two attempts and delivered, but r02, which is
// pending, and r05, delivered but of a trigger whose copy r05c (same
// event id and creation time) is pending: those three are never pruned.
// putRetentionLog puts them in a shuffled order and returns them oldest
// first (r05c right after r05).
func putRetentionLog(t *testing.T, s engine.Store) []*engine.Delivery {
	t.Helper()
	var all []*engine.Delivery
	for i := range 24 {
		d := delivery(fmt.Sprintf("r%02d", i), at(10*i))
		d.State = engine.StateDelivered
		if i == 2 {
			d.State = engine.StatePending
		}
		all = append(all, d)
		if i == 5 {
			c := delivery("r05c", d.CreatedAt)
			c.EventID, c.CopyOf = d.EventID, d.ID
			all = append(all, c) // pending
		}
	}
	order := slices.Clone(all)
	rng := rand.New(rand.NewPCG(2, 24))
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, d := range order {
		mustPutDelivery(t, s, d)
		for n := 1; n <= 2; n++ {
			a := attempt(d, n)
			a.Outcome = d.State
			mustAddAttempt(t, s, a, d)
		}
	}
	return all
}

// retentionIDs returns the ids of r.. deliveries by number (-1: r05c).
func retentionIDs(nums ...int) []string {
	var ids []string
	for _, n := range nums {
		if n < 0 {
			ids = append(ids, "r05c")
			continue
		}
		ids = append(ids, fmt.Sprintf("r%02d", n))
	}
	return ids
}

// upTo returns from, from+1, ..., to.
func upTo(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// mustPrune prunes by r or stops the test.
func mustPrune(t *testing.T, s engine.Store, r engine.PruneRule) engine.PruneResult {
	t.Helper()
	res, err := s.Prune(t.Context(), r)
	if err != nil {
		t.Fatalf("Prune(%+v): %v", r, err)
	}
	return res
}

// checkPruned fails t unless the store holds exactly the retention log's
// deliveries with ids kept, listed newest first and page by page, each
// with its two attempts, and the others are gone with their attempts;
// and, for a LogSizer, unless its counts agree.
func checkPruned(t *testing.T, s engine.Store, all []*engine.Delivery, kept []string) {
	t.Helper()
	var want []*engine.Delivery
	for _, d := range slices.Backward(all) {
		if slices.Contains(kept, d.ID) {
			want = append(want, d)
		}
	}
	// r05c sorts after r05 (same CreatedAt, ids descending): after
	// reversing, it comes first, as the stores list it.
	checkIDs(t, "ListDeliveries after Prune", mustList(t, s, engine.DeliveryFilter{}), want)
	pages := paginate(t, s, engine.DeliveryFilter{Limit: 3})
	checkIDs(t, "ListDeliveries page by page after Prune", pages, want)
	checkOrder(t, "ListDeliveries page by page after Prune", pages)
	for _, d := range all {
		if slices.Contains(kept, d.ID) {
			if got := len(mustListAttempts(t, s, d.ID)); got != 2 {
				t.Errorf("kept delivery %s has %d attempts after Prune, want 2", d.ID, got)
			}
			continue
		}
		if _, err := s.GetDelivery(t.Context(), d.ID); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("GetDelivery(%s) of a pruned delivery: error %v, want ErrNotFound", d.ID, err)
		}
		if _, err := s.ListAttempts(t.Context(), d.ID); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("ListAttempts(%s) of a pruned delivery: error %v, want ErrNotFound", d.ID, err)
		}
	}
	if ls, ok := s.(engine.LogSizer); ok {
		sz, err := ls.LogSize(t.Context())
		if err != nil {
			t.Fatalf("LogSize: %v", err)
		}
		if sz.Deliveries != int64(len(kept)) || sz.Attempts != 2*int64(len(kept)) {
			t.Errorf("LogSize = %d deliveries, %d attempts; want %d, %d", sz.Deliveries, sz.Attempts, len(kept), 2*len(kept))
		}
	}
}

// checkResult fails t unless res removed n deliveries (and their two
// attempts each), with More as given.
func checkResult(t *testing.T, what string, res engine.PruneResult, n int, more bool) {
	t.Helper()
	if want := (engine.PruneResult{Deliveries: n, Attempts: 2 * n, More: more}); res != want {
		t.Errorf("%s = %+v, want %+v", what, res, want)
	}
}

func testPruneCount(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// 25 held, keep 10: the 15 oldest that may go, skipping r02, r05, r05c.
	res := mustPrune(t, s, engine.PruneRule{Keep: 10, Limit: 100})
	checkResult(t, "Prune(Keep 10)", res, 15, false)
	checkPruned(t, s, all, append(retentionIDs(2, 5, -1), retentionIDs(upTo(17, 23)...)...))
	// Nothing more to do.
	checkResult(t, "Prune(Keep 10) again", mustPrune(t, s, engine.PruneRule{Keep: 10}), 0, false)
}

func testPruneAge(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// Created before r10 and a half: r00 to r10, but the three kept.
	res := mustPrune(t, s, engine.PruneRule{Before: at(105)})
	checkResult(t, "Prune(Before r10.5)", res, 9, false)
	checkPruned(t, s, all, append(retentionIDs(2, 5, -1), retentionIDs(upTo(11, 23)...)...))
}

func testPruneBoth(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// Keep 20 removes r00, r01, r03, r04 and r06; the age, r07 to r10.
	res := mustPrune(t, s, engine.PruneRule{Keep: 20, Before: at(105)})
	checkResult(t, "Prune(Keep 20, Before r10.5)", res, 9, false)
	checkPruned(t, s, all, append(retentionIDs(2, 5, -1), retentionIDs(upTo(11, 23)...)...))
}

func testPruneBatches(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// Keep 1 with batches of 4: the oldest go first, four at a time.
	gone := retentionIDs(append([]int{0, 1, 3, 4}, upTo(6, 23)...)...) // 22
	for batch := 0; ; batch++ {
		res := mustPrune(t, s, engine.PruneRule{Keep: 1, Limit: 4})
		n := min(4, len(gone)-4*batch)
		checkResult(t, fmt.Sprintf("batch %d", batch), res, n, n == 4)
		kept := append(retentionIDs(2, 5, -1), gone[4*batch+n:]...)
		checkPruned(t, s, all, kept)
		if !res.More {
			break
		}
		if batch > 6 {
			t.Fatalf("Prune still has More after %d batches", batch)
		}
	}
}

func testPruneNothing(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	every := retentionIDs(append([]int{-1}, upTo(0, 23)...)...)
	for _, r := range []engine.PruneRule{{}, {Keep: 25}, {Keep: 1000}, {Before: at(0)}} {
		checkResult(t, fmt.Sprintf("Prune(%+v)", r), mustPrune(t, s, r), 0, false)
	}
	checkPruned(t, s, all, every)
}

func testPruneWhilePaging(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// A client pages from the newest while the oldest are pruned: no
	// delivery is listed twice, and every one still held is listed.
	page := mustList(t, s, engine.DeliveryFilter{Limit: 5})
	mustPrune(t, s, engine.PruneRule{Keep: 12})
	rest := paginate(t, s, engine.DeliveryFilter{Limit: 5, Before: page[len(page)-1].ID})
	listed := append(page, rest...)
	checkOrder(t, "pages before and after Prune", listed)
	kept := append(retentionIDs(2, 5, -1), retentionIDs(upTo(15, 23)...)...)
	var want []*engine.Delivery
	for _, d := range slices.Backward(all) {
		if slices.Contains(kept, d.ID) {
			want = append(want, d)
		}
	}
	checkIDs(t, "pages before and after Prune", listed, want)
}

func testPruneCursorOutlivesDelivery(t *testing.T, s engine.Store) {
	all := putRetentionLog(t, s)
	// The first page ends with r07 (r23 down to r07), which Prune then
	// removes: a cursor of (CreatedAt, id) still continues the list right
	// after it, and page after page to the end; a bare id no longer can.
	page := mustList(t, s, engine.DeliveryFilter{Limit: 17})
	last := page[len(page)-1]
	if last.ID != "r07" {
		t.Fatalf("the first page ends with %s, want r07", last.ID)
	}
	mustPrune(t, s, engine.PruneRule{Keep: 12})
	if _, err := s.ListDeliveries(t.Context(), engine.DeliveryFilter{Before: last.ID}); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("ListDeliveries(Before: pruned r07) = %v; want ErrNotFound", err)
	}
	rest := paginate(t, s, engine.DeliveryFilter{Limit: 2, Before: last.ID, BeforeAt: last.CreatedAt})
	want := []*engine.Delivery{all[6], all[5], all[2]} // r05c, r05, r02: kept, older than r07
	checkIDs(t, "pages after the pruned cursor", rest, want)
	// A cursor between two held deliveries (no delivery at all there).
	between := mustList(t, s, engine.DeliveryFilter{Before: "r04", BeforeAt: at(40)})
	checkIDs(t, "ListDeliveries(Before: r04 at its time, never held)", between, []*engine.Delivery{all[2]})
}
