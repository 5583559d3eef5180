package receiver_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
)

// now is the tests' fixed clock: the receiver's, and the signing time of
// every attempt. Order lives start an hour before it.
var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

var start = now.Add(-time.Hour)

// serve starts a correct receiver for v and returns a client for it.
func serve(t *testing.T, v *providers.Variant, mod func(*receiver.Config)) *receivertest.Client {
	t.Helper()
	secret := receivertest.Secret(t, v)
	cfg := receiver.Config{Variant: v, Secret: secret, Clock: func() time.Time { return now }}
	if mod != nil {
		mod(&cfg)
	}
	r, err := receiver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	c := receivertest.Serve(t, v, secret, r)
	c.Now = func() time.Time { return now }
	return c
}

// forEachVariant runs f as a subtest for every shipped variant.
func forEachVariant(t *testing.T, f func(t *testing.T, v *providers.Variant)) {
	for _, v := range receivertest.Variants(t) {
		t.Run(v.ID(), func(t *testing.T) {
			t.Parallel()
			f(t, v)
		})
	}
}

// wantApplied checks that d's key was applied n times and, when n > 0,
// that every resource it moves has the status it says.
func wantApplied(t *testing.T, c *receivertest.Client, d *providers.Delivery, n int) {
	t.Helper()
	if got := c.Applied(d.Key()); got != n {
		t.Errorf("%s: probe says key %q applied %d times, want %d", d.Event.Name, d.Key(), got, n)
	}
	for _, e := range d.Event.Effects(d.Payload) {
		st, ok := c.Status(e.ID)
		switch {
		case n == 0 && ok:
			t.Errorf("%s: resource %s has status %q, want none", d.Event.Name, e.ID, st)
		case n > 0 && st != e.Status:
			t.Errorf("%s: resource %s has status %q (found %v), want %q", d.Event.Name, e.ID, st, ok, e.Status)
		}
	}
}

func TestEveryEventAppliedOnce(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		for i, ev := range v.Events {
			d := c.Delivery(ev, uint64(100+i), start)
			if st := c.Send(d); st != http.StatusOK {
				t.Fatalf("%s: status %d, want 200", ev.Name, st)
			}
			wantApplied(t, c, d, 1)
		}
	})
}

func TestDuplicateAnsweredAndAppliedOnce(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		d := c.Delivery(v.Public()[0], 7, start)
		for attempt := range 3 {
			if st := c.Send(d); st != http.StatusOK {
				t.Fatalf("attempt %d: status %d, want 200", attempt+1, st)
			}
		}
		wantApplied(t, c, d, 1)
	})
}

func TestConcurrentCopiesAppliedOnce(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		c := serve(t, v, nil)
		d := c.Delivery(v.Public()[0], 8, start)
		h := c.Headers(d, c.Signer)
		const copies = 50
		startGun := make(chan struct{})
		statuses := make(chan int, copies)
		errs := make(chan error, copies)
		var wg sync.WaitGroup
		for range copies {
			wg.Go(func() {
				<-startGun
				st, err := c.Post(http.MethodPost, h, d.Body)
				if err != nil {
					errs <- err
				}
				statuses <- st
			})
		}
		close(startGun)
		wg.Wait()
		close(statuses)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for st := range statuses {
			if st != http.StatusOK {
				t.Errorf("a copy got status %d, want 200", st)
			}
		}
		wantApplied(t, c, d, 1)
	})
}
