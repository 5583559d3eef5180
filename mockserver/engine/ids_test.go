package engine

import (
	"regexp"
	"testing"
	"time"
)

// TestIDsSortInCreationOrder: delivery and event ids are the prefix, a
// 10-digit base-36 sequence and 10 random characters; a later id sorts
// after an earlier one, also across engines started one after the other,
// and a Seed makes them repeatable.
func TestIDsSortInCreationOrder(t *testing.T) {
	shape := regexp.MustCompile(`^dlv_[0-9a-z]{20}$`)
	var last string
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	for range 2 {
		// The second engine starts a second later, on a clock that does not
		// move while the first makes its ids.
		clock.Set(clock.Now().Add(time.Second))
		e, err := NewEngine(EngineConfig{Catalogue: engFastCatalogue(t), Store: NewMemoryStore(), Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		for range 1000 {
			id := e.newID("dlv_")
			if !shape.MatchString(id) || id <= last {
				t.Fatalf("id %q after %q: want dlv_ and 20 base-36 characters, sorting after the previous", id, last)
			}
			last = id
		}
		e.Close()
	}
	seeded := func() []string {
		e, err := NewEngine(EngineConfig{Catalogue: engFastCatalogue(t), Store: NewMemoryStore(), Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		return []string{e.newID("evt_"), e.newID("dlv_")}
	}
	if a, b := seeded(), seeded(); a[0] != b[0] || a[1] != b[1] {
		t.Fatalf("Seed 7 gave %v, then %v", a, b)
	}
}
