package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// termDelivery returns delivery id, delivered, created at, whose body
// carries order id order.
func termDelivery(id, order string, at time.Time) *engine.Delivery {
	return &engine.Delivery{
		ID: id, EventID: "evt_" + id, EndpointID: "ep1", Provider: "airalo", Event: "order.completed",
		WireID: "wire_" + id, Key: "k", Body: []byte(`{"data":{"order_id":"` + order + `"}}`),
		State: engine.StateDelivered, CreatedAt: at, UpdatedAt: at,
	}
}

// danglingTerms counts the entries of delivery_terms whose delivery is gone.
func danglingTerms(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM delivery_terms t
WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = t.id AND d.created_at = t.created_at)`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplacedDeliveryChangesItsTerms: a delivery put again with another
// body is found by its new order id only, and its old terms are gone.
func TestReplacedDeliveryChangesItsTerms(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	at := time.Unix(1000, 0)
	if err := s.PutDelivery(ctx, termDelivery("d1", "ORD-OLD", at)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDelivery(ctx, termDelivery("d1", "ORD-NEW", at)); err != nil {
		t.Fatal(err)
	}
	checkLists(t, s, []listCase{
		{engine.DeliveryFilter{Q: "ORD-OLD"}, nil},
		{engine.DeliveryFilter{Q: "ORD-NEW"}, []string{"d1"}},
		{engine.DeliveryFilter{Q: "wire_d1"}, []string{"d1"}},
	})
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM delivery_terms WHERE id = 'd1'").Scan(&n); err != nil || n != 2 {
		t.Errorf("delivery_terms holds %d entries of d1 (%v), want 2: its wire id and new order id", n, err)
	}
}

// TestPrunedTermsMatchNothingAndAreSwept: the terms of pruned deliveries
// find nothing, not even a later delivery with a pruned one's id, and the
// sweep removes them: at once after the store opens, then once as many
// deliveries have been pruned as the log holds.
func TestPrunedTermsMatchNothingAndAreSwept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	base := time.Unix(1000, 0)
	put := func(i int) {
		t.Helper()
		d := termDelivery(fmt.Sprintf("d%05d", i), fmt.Sprintf("ORD-%05d", i), base.Add(time.Duration(i)*time.Second))
		if err := s.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// One Prune call each, so that the sweep's count is crossed by the
	// call that prunes the last of them.
	prune := func(keep int) {
		t.Helper()
		for {
			res, err := s.Prune(ctx, engine.PruneRule{Keep: keep, Limit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if !res.More {
				return
			}
		}
	}
	for i := range 10 {
		put(i)
	}
	// Deleted behind the store's back, as a prune does: the terms stay
	// until a sweep, and match nothing meanwhile.
	if _, err := s.w.ExecContext(ctx, "DELETE FROM deliveries WHERE id = 'd00000'"); err != nil {
		t.Fatal(err)
	}
	if n := danglingTerms(t, s); n != 2 {
		t.Fatalf("%d terms left by the deleted delivery, want its 2", n)
	}
	// A new delivery with the pruned one's id, created later, is found by
	// its own order id, not by the old one's.
	if err := s.PutDelivery(ctx, termDelivery("d00000", "ORD-AGAIN", base.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	checkLists(t, s, []listCase{
		{engine.DeliveryFilter{Q: "ORD-00000"}, nil},
		{engine.DeliveryFilter{Q: "ORD-AGAIN"}, []string{"d00000"}},
		{engine.DeliveryFilter{Q: "ORD-00001"}, []string{"d00001"}},
	})
	// The first prune after Open sweeps.
	prune(10)
	if n := danglingTerms(t, s); n != 0 {
		t.Errorf("%d dangling terms after the first prune since Open, want 0", n)
	}
	// Fewer pruned than sweepMin: no sweep yet; the rest then starts one.
	for i := 1; i <= sweepMin+20; i++ {
		put(10 + i)
	}
	prune(sweepMin + 30 - sweepMin/2)
	pruned := danglingTerms(t, s)
	if pruned == 0 {
		t.Fatal("pruning left no terms behind: nothing tests the sweep")
	}
	checkLists(t, s, []listCase{{engine.DeliveryFilter{Q: "ORD-00011"}, nil}})
	prune(10)
	if n := danglingTerms(t, s); n != 0 {
		t.Errorf("%d dangling terms once %d deliveries were pruned, want 0", n, sweepMin)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
