package sqlite

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
)

func TestZZFrames(t *testing.T) {
	s, path := openTemp(t)
	ctx := t.Context()
	s.w.Exec("PRAGMA wal_autocheckpoint = 0")
	wal := func() int64 { fi, _ := os.Stat(path + "-wal"); return fi.Size() }
	w0 := wal()
	var next atomic.Int64
	var wg sync.WaitGroup
	const per = 500
	for range 16 {
		wg.Go(func() {
			for range per {
				d := benchDelivery(fmt.Sprintf("d%09d", next.Add(1)))
				if err := s.PutDelivery(ctx, d); err != nil {
					t.Error(err)
					return
				}
				for n := 1; n <= 2; n++ {
					a := benchAttempt(d, n)
					d.Attempts, d.State = n, a.Outcome
					if n == 1 {
						a.Status, a.Success, a.Outcome = 503, false, mockserver.StatePending
						d.State = a.Outcome
					}
					if err := s.AddAttempt(ctx, a, d); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%.1f ops per tx", float64(dbgW.Load())/float64(dbgTx.Load()))
	t.Logf("%.1f frames per delivery", float64(wal()-w0)/4120/(16*per))
}
