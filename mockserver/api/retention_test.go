package api

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
	"github.com/esimhooks/esimhooks/mockserver/sqlite"
	"path/filepath"
)

func TestServerPrunesContinuously(t *testing.T) {
	st := engine.NewMemoryStore()
	s := newTestServer(t, func(c *Options) {
		c.Store = st
		c.Retention = engine.Retention{MaxCount: 5, Interval: 5 * time.Millisecond}
	})
	ctx := t.Context()
	// 20 delivered deliveries, the oldest first, then one pending older
	// than all of them: the pruner keeps the pending one, which counts,
	// and the newest 4.
	now := time.Now()
	putDelivered(t, st, 20, now)
	if err := st.PutDelivery(ctx, &engine.Delivery{ID: "old-pending", EventID: "ep", State: engine.StatePending, CreatedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	mockservertest.Eventually(t, 10*time.Second, "the pruner to keep 5 with the pending delivery", func() bool {
		ds, err := st.ListDeliveries(ctx, engine.DeliveryFilter{})
		return err == nil && len(ds) <= 5
	})
	ds, err := st.ListDeliveries(ctx, engine.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	if want := "[d19 d18 d17 d16 old-pending]"; fmt.Sprint(ids) != want {
		t.Errorf("after pruning: %v, want %s", ids, want)
	}
	// The counters follow each batch (the store changes first).
	var data []byte
	mockservertest.Eventually(t, 10*time.Second, "the pruned counters", func() bool {
		_, _, data = call(t, "GET", s.URL+"/metrics", nil)
		return bytes.Contains(data, []byte("esimhooks_pruned_deliveries_total 16\n"))
	})
	for _, series := range []string{"esimhooks_pruned_deliveries_total 16\n", "esimhooks_pruned_attempts_total 16\n", "esimhooks_log_deliveries 5\n", "esimhooks_log_attempts 4\n"} {
		if !bytes.Contains(data, []byte(series)) {
			t.Errorf("metrics lack %q", series)
		}
	}
	code, _, data := call(t, "GET", s.URL+"/healthz", nil)
	wantStatus(t, code, http.StatusOK, data)
	if m := decode(t, data); m["retention"] != "5" {
		t.Errorf("healthz retention = %v, want \"5\": %s", m["retention"], data)
	}
}

// TestServerDropsSegments: with the segmented SQLite log that serve opens,
// the pruner drops whole segments (of 4, keeping at least 8 deliveries)
// and /metrics shows the files the log is in.
func TestServerDropsSegments(t *testing.T) {
	ret := engine.Retention{MaxCount: 8, Interval: 5 * time.Millisecond}
	st, err := sqlite.OpenSegmented(filepath.Join(t.TempDir(), "log.db"), sqlite.SegmentOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s := newTestServer(t, func(c *Options) {
		c.Store = st
		c.Retention = ret
	})
	putDelivered(t, st, 30, time.Now())
	// 30 in segments of 4 (segment 1 d00-d03, ..., 8 d28-d29): the
	// pruner drops segments 1 to 5, d00-d19; dropping segment 6 would
	// leave 6 deliveries, fewer than 8.
	mockservertest.Eventually(t, 10*time.Second, "the pruner to drop the old segments", func() bool {
		return st.Segments() == 3
	})
	var data []byte
	mockservertest.Eventually(t, 10*time.Second, "the pruned counters", func() bool {
		_, _, data = call(t, "GET", s.URL+"/metrics", nil)
		return bytes.Contains(data, []byte("esimhooks_pruned_deliveries_total 20\n"))
	})
	for _, series := range []string{"esimhooks_log_deliveries 10\n", "esimhooks_log_files 4\n"} {
		if !bytes.Contains(data, []byte(series)) {
			t.Errorf("metrics lack %q", series)
		}
	}
}

// putDelivered puts n delivered deliveries d00, d01, … with one attempt
// each, created a millisecond apart from now on, the oldest first.
func putDelivered(t *testing.T, st engine.Store, n int, now time.Time) {
	t.Helper()
	for i := range n {
		d := &engine.Delivery{ID: fmt.Sprintf("d%02d", i), EventID: fmt.Sprintf("e%02d", i), State: engine.StateDelivered, CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
		if err := st.PutDelivery(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if err := st.AddAttempt(t.Context(), &engine.Attempt{DeliveryID: d.ID, N: 1, Outcome: engine.StateDelivered}, d); err != nil {
			t.Fatal(err)
		}
	}
}
