package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

func testConcurrent(t *testing.T, s engine.Store) {
	const workers, per = 8, 30
	ctx := t.Context()
	shared := delivery("shared", base)
	mustPutDelivery(t, s, shared)

	var wg sync.WaitGroup
	// Meanwhile one delivery is stored again and again with another
	// CreatedAt (it moves in the listing order) and the listing is paged
	// from it: it must end up listed once, where its last CreatedAt puts it.
	wg.Go(func() {
		for i := range per * 2 {
			if err := s.PutDelivery(ctx, delivery("mover", at((i*7)%(workers*per)))); err != nil {
				t.Errorf("PutDelivery(mover): %v", err)
				return
			}
			if _, err := s.ListDeliveries(ctx, engine.DeliveryFilter{Limit: 5, Before: "mover"}); err != nil {
				t.Errorf("ListDeliveries(before mover): %v", err)
				return
			}
		}
	})
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				id := fmt.Sprintf("w%d-%03d", w, i)
				if err := s.PutEndpoint(ctx, endpoint("ep-"+id)); err != nil {
					t.Errorf("PutEndpoint: %v", err)
					return
				}
				d := delivery(id, at(1+w*per+i))
				if err := s.PutDelivery(ctx, d); err != nil {
					t.Errorf("PutDelivery: %v", err)
					return
				}
				for n := 1; n <= 2; n++ {
					a := attempt(d, n)
					d = afterAttempt(d, a)
					if err := s.AddAttempt(ctx, a, d); err != nil {
						t.Errorf("AddAttempt: %v", err)
						return
					}
				}
				// Every worker adds its own attempts to one delivery too.
				a := attempt(shared, 1+w*per+i)
				if err := s.AddAttempt(ctx, a, afterAttempt(shared, a)); err != nil {
					t.Errorf("AddAttempt(shared): %v", err)
					return
				}

				if got, err := s.GetDelivery(ctx, id); err != nil || got.Attempts != 2 {
					t.Errorf("GetDelivery(%q) = %v, %v; want 2 attempts", id, got, err)
				}
				if list, err := s.ListAttempts(ctx, id); err != nil || len(list) != 2 {
					t.Errorf("ListAttempts(%q) = %d attempts, %v; want 2", id, len(list), err)
				}
				if _, err := s.ListDeliveries(ctx, engine.DeliveryFilter{Limit: 20, State: engine.StatePending}); err != nil {
					t.Errorf("ListDeliveries: %v", err)
				}
				if i%5 != 0 {
					continue // the lists below grow with the test: read them now and then
				}
				if _, err := s.Pending(ctx); err != nil {
					t.Errorf("Pending: %v", err)
				}
				if _, err := s.ListEndpoints(ctx); err != nil {
					t.Errorf("ListEndpoints: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	list := mustList(t, s, engine.DeliveryFilter{Limit: 1000})
	checkOrder(t, "ListDeliveries after the writers", list)
	if len(list) != workers*per+2 {
		t.Errorf("ListDeliveries after the writers: %d deliveries, want %d", len(list), workers*per+2)
	}
	movers := 0
	for _, d := range list {
		if d.ID == "mover" {
			movers++
			if want := at(((per*2 - 1) * 7) % (workers * per)); !d.CreatedAt.Equal(want) {
				t.Errorf("the moved delivery is listed as created %v, want its last CreatedAt %v", d.CreatedAt, want)
			}
		}
	}
	if movers != 1 {
		t.Errorf("the moved delivery is listed %d times, want once", movers)
	}
	eps, err := s.ListEndpoints(ctx)
	if err != nil || len(eps) != workers*per {
		t.Errorf("ListEndpoints after the writers = %d endpoints, %v; want %d", len(eps), err, workers*per)
	}
	attempts := mustListAttempts(t, s, "shared")
	if len(attempts) != workers*per {
		t.Fatalf("ListAttempts(shared): %d attempts, want %d", len(attempts), workers*per)
	}
	for i, a := range attempts {
		if a.N != i+1 {
			t.Fatalf("ListAttempts(shared): attempt %d has N %d, want in order 1..%d", i, a.N, workers*per)
		}
	}
}
