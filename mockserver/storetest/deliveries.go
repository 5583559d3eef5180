package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// mustPutDelivery puts d or stops the test.
func mustPutDelivery(t *testing.T, s engine.Store, d *engine.Delivery) {
	t.Helper()
	if err := s.PutDelivery(t.Context(), d); err != nil {
		t.Fatalf("PutDelivery(%q): %v", d.ID, err)
	}
}

// mustGetDelivery gets delivery id or stops the test.
func mustGetDelivery(t *testing.T, s engine.Store, id string) *engine.Delivery {
	t.Helper()
	d, err := s.GetDelivery(t.Context(), id)
	if err != nil {
		t.Fatalf("GetDelivery(%q): %v", id, err)
	}
	return d
}

// mustList lists deliveries or stops the test.
func mustList(t *testing.T, s engine.Store, f engine.DeliveryFilter) []*engine.Delivery {
	t.Helper()
	list, err := s.ListDeliveries(t.Context(), f)
	if err != nil {
		t.Fatalf("ListDeliveries(%+v): %v", f, err)
	}
	return list
}

func testDeliveryPutGet(t *testing.T, s engine.Store) {
	want := delivery("d1", base)
	mustPutDelivery(t, s, want)
	checkDelivery(t, "GetDelivery", mustGetDelivery(t, s, "d1"), want)

	// Zero values round-trip too, the zero times included.
	bare := &engine.Delivery{ID: "d2", State: engine.StatePending}
	mustPutDelivery(t, s, bare)
	checkDelivery(t, "GetDelivery of a bare delivery", mustGetDelivery(t, s, "d2"), bare)
}

func testDeliveryBodies(t *testing.T, s engine.Store) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	bodies := map[string][]byte{
		"empty":        {},
		"nil":          nil,
		"every-byte":   all,
		"invalid-utf8": {0xff, 0xfe, 'a', 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80},
		"nul":          []byte("a\x00b\x00"),
		"big":          big,
	}
	for i, id := range sortedKeys(bodies) {
		d := delivery(id, at(i))
		d.Body = bodies[id]
		mustPutDelivery(t, s, d)
	}
	for i, id := range sortedKeys(bodies) {
		want := delivery(id, at(i))
		want.Body = bodies[id]
		checkDelivery(t, "GetDelivery "+id, mustGetDelivery(t, s, id), want)
	}
}

func testDeliveryReplace(t *testing.T, s engine.Store) {
	mustPutDelivery(t, s, delivery("d1", base))
	want := delivery("d1", base)
	want.State = engine.StateExhausted
	want.Attempts = 3
	want.NextAttemptAt = time.Time{}
	want.Body = []byte("replaced")
	want.UpdatedAt = at(9000)
	mustPutDelivery(t, s, want)
	checkDelivery(t, "GetDelivery after replace", mustGetDelivery(t, s, "d1"), want)
	list := mustList(t, s, engine.DeliveryFilter{})
	if len(list) != 1 {
		t.Fatalf("ListDeliveries after replace: %d deliveries, want 1", len(list))
	}
	checkDelivery(t, "ListDeliveries after replace", list[0], want)
}

func testDeliveryNotFound(t *testing.T, s engine.Store) {
	mustPutDelivery(t, s, delivery("d1", base))
	if d, err := s.GetDelivery(t.Context(), "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetDelivery(missing) = %v, %v; want ErrNotFound", d, err)
	}
	if list, err := s.ListAttempts(t.Context(), "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListAttempts(missing delivery) = %d attempts, %v; want ErrNotFound", len(list), err)
	}
	f := engine.DeliveryFilter{Before: "nope"}
	if list, err := s.ListDeliveries(t.Context(), f); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListDeliveries(Before: missing) = %d deliveries, %v; want ErrNotFound", len(list), err)
	}
}

func testDeliveryCopies(t *testing.T, s engine.Store) {
	in := delivery("d1", base)
	mustPutDelivery(t, s, in)
	in.Body[0], in.State = 'X', "changed"
	got := mustGetDelivery(t, s, "d1")
	checkDelivery(t, "after changing the value put", got, delivery("d1", base))
	got.Body[0], got.State = 'X', "changed"
	checkDelivery(t, "after changing the value got", mustGetDelivery(t, s, "d1"), delivery("d1", base))
}

// Values of the filterable fields the list tests spread deliveries over.
var (
	providers = []string{"airalo", "esimaccess", "esimfly"}
	events    = []string{"order.completed", "esim.low_data"}
	endpoints = []string{"ep1", "ep2"}
	states    = []string{engine.StatePending, engine.StateDelivered, engine.StateFailed, engine.StateExhausted}
)

// spread returns delivery i of the list tests, created at created.
func spread(i int, created time.Time) *engine.Delivery {
	d := delivery(fmt.Sprintf("d%04d", i), created)
	d.Provider = providers[i%len(providers)]
	d.Event = events[i%len(events)]
	d.EndpointID = endpoints[(i/2)%len(endpoints)]
	d.State = states[(i/3)%len(states)]
	d.EventID = fmt.Sprintf("evt%03d", i/4)
	return d
}

// matches reports whether d passes f's field filters (not Before or Limit).
func matches(d *engine.Delivery, f engine.DeliveryFilter) bool {
	ok := func(want, got string) bool { return want == "" || want == got }
	return ok(f.Provider, d.Provider) && ok(f.Event, d.Event) && ok(f.EndpointID, d.EndpointID) &&
		ok(f.State, d.State) && ok(f.EventID, d.EventID)
}

// filter returns the deliveries of list that pass f's field filters.
func filter(list []*engine.Delivery, f engine.DeliveryFilter) []*engine.Delivery {
	var out []*engine.Delivery
	for _, d := range list {
		if matches(d, f) {
			out = append(out, d)
		}
	}
	return out
}

// putShuffled puts n deliveries spread(i, created(i)) in a shuffled order
// and returns them newest first, assuming created increases with i.
func putShuffled(t *testing.T, s engine.Store, n int, created func(i int) time.Time) []*engine.Delivery {
	t.Helper()
	newest := make([]*engine.Delivery, n)
	for i := range n {
		newest[n-1-i] = spread(i, created(i))
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for _, i := range rng.Perm(n) {
		mustPutDelivery(t, s, spread(i, created(i)))
	}
	return newest
}
