package sqlite

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestCloseLeavesNoGoroutines checks that Close ends the writer and every
// goroutine the connection pools started.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Open(filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				d := &engine.Delivery{ID: fmt.Sprintf("d%d-%d", g, i), State: engine.StatePending}
				if err := s.PutDelivery(ctx, d); err != nil {
					t.Error(err)
				}
				if _, err := s.ListDeliveries(ctx, engine.DeliveryFilter{Limit: 5}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// database/sql ends its pool goroutines asynchronously: yield until
	// they are gone, without sleeping.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		runtime.Gosched()
	}
}
