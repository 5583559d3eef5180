package sqlite

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
)

// logBuffer is a slog destination safe for concurrent use.
type logBuffer = mockservertest.SyncBuffer

// putPending stores n pending deliveries d0..d(n-1) and returns their ids.
func putPending(t *testing.T, s *Store, n int) []string {
	t.Helper()
	now := time.Now().UTC()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("d%04d", i)
		d := &engine.Delivery{ID: ids[i], EndpointID: "ep1", Provider: "esimfly", Event: "order.completed",
			Body: []byte(`{"n":1}`), State: engine.StatePending, NextAttemptAt: now.Add(time.Duration(i) * time.Millisecond),
			Chaos: engine.Chaos{Delay: engine.Duration(time.Second)}, CreatedAt: now.Add(time.Duration(i)), UpdatedAt: now}
		if err := s.PutDelivery(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestDamagedRowsAreQuarantined: rows whose chaos is damaged or beyond
// today's bounds (the poison of issue 11: a negative duration) do not fail
// recovery, a list or a get; they are marked quarantined, listed under
// that state, logged once each, and the rest recovers.
func TestDamagedRowsAreQuarantined(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	ids := putPending(t, s, 10)
	bad := map[string]string{
		ids[2]: `{"delay":"-2562047h47m16.854775808s"}`, // what 1e300 ms became
		ids[5]: `{"jitter":"3000000h"}`,                 // beyond the bound
		ids[7]: `not json`,                              // damaged
	}
	for id, chaos := range bad {
		if _, err := s.w.ExecContext(t.Context(), `UPDATE deliveries SET chaos = ? WHERE id = ?`, chaos, id); err != nil {
			t.Fatal(err)
		}
	}
	pend, err := s.Pending(t.Context())
	if err != nil {
		t.Fatalf("Pending refuses the log: %v", err)
	}
	if len(pend) != 7 {
		t.Errorf("Pending returned %d deliveries, want the 7 sound ones", len(pend))
	}
	for _, d := range pend {
		if _, isBad := bad[d.ID]; isBad {
			t.Errorf("Pending returned quarantined %s", d.ID)
		}
	}
	// Listed, filtered, and read one by one, without an error.
	all, err := s.ListDeliveries(t.Context(), engine.DeliveryFilter{})
	if err != nil || len(all) != 10 {
		t.Fatalf("list: %d, %v; want 10", len(all), err)
	}
	q, err := s.ListDeliveries(t.Context(), engine.DeliveryFilter{State: engine.StateQuarantined})
	if err != nil || len(q) != 3 {
		t.Fatalf("list state=quarantined: %d, %v; want 3", len(q), err)
	}
	for id := range bad {
		d, err := s.GetDelivery(t.Context(), id)
		if err != nil || d.State != engine.StateQuarantined || d.Quarantined == "" {
			t.Errorf("get %s = %+v, %v; want quarantined with a reason", id, d, err)
		}
	}
	out := logs.String()
	for id := range bad {
		if n := strings.Count(out, "delivery="+id); n != 1 {
			t.Errorf("%s logged %d times, want once:\n%s", id, n, out)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// After a restart the marks hold and nothing is logged again.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var logs2 logBuffer
	s2.SetLogger(slog.New(slog.NewTextHandler(&logs2, nil)))
	if pend, err := s2.Pending(t.Context()); err != nil || len(pend) != 7 {
		t.Errorf("Pending after reopen: %d, %v; want 7", len(pend), err)
	}
	if logs2.String() != "" {
		t.Errorf("quarantined rows logged again after reopen:\n%s", logs2.String())
	}
}

// TestDamagedEndpointLoadsDisabled: an endpoint whose chaos cannot be
// loaded does not fail the endpoint list or the endpoint itself.
func TestDamagedEndpointLoadsDisabled(t *testing.T) {
	s, _ := openTemp(t)
	var logs logBuffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Now().UTC()
	for _, id := range []string{"ep1", "ep2"} {
		if err := s.PutEndpoint(t.Context(), &engine.Endpoint{ID: id, URL: "http://127.0.0.1:1", Provider: "esimfly",
			Secret: "s", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(t.Context(), `UPDATE endpoints SET chaos = '{"delay":"-1h"}' WHERE id = 'ep2'`); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListEndpoints(t.Context())
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	e, err := s.GetEndpoint(t.Context(), "ep2")
	if err != nil || !e.Disabled || !strings.Contains(e.Quarantined, "chaos") {
		t.Errorf("ep2 = %+v, %v; want disabled, quarantined for its chaos", e, err)
	}
	if e, _ := s.GetEndpoint(t.Context(), "ep1"); e.Disabled || e.Quarantined != "" {
		t.Errorf("sound ep1 = %+v", e)
	}
	if n := strings.Count(logs.String(), "endpoint=ep2"); n != 1 {
		t.Errorf("ep2 logged %d times, want once:\n%s", n, logs.String())
	}
}

// TestDamagedPagesAreSkipped damages table pages in the middle of a copy
// of a log: every page of the list still answers (the damaged rows skipped
// or shown quarantined), and the pending deliveries that are readable
// recover.
func TestDamagedPagesAreSkipped(t *testing.T) {
	const n = 3000
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fillLog(t, s, n)
	var leaves []int64
	rows, err := s.r.QueryContext(t.Context(), `SELECT pageno FROM dbstat WHERE name = 'deliveries' AND pagetype = 'leaf' ORDER BY pageno`)
	if err != nil {
		s.Close()
		t.Skipf("no dbstat in this SQLite build: %v", err)
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, p)
	}
	rows.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(leaves) < 10 {
		t.Fatalf("only %d table leaves", len(leaves))
	}
	// Damage three leaves in the middle: garbage over their cells.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []int64{leaves[len(leaves)/3], leaves[len(leaves)/2], leaves[2*len(leaves)/3]} {
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, pageSize-16), (p-1)*pageSize+8); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open of the damaged copy: %v", err)
	}
	defer s.Close()
	var logs logBuffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	seen, quarantined, pages := 0, 0, 0
	f0 := engine.DeliveryFilter{Limit: 100}
	for {
		page, err := s.ListDeliveries(t.Context(), f0)
		if err != nil {
			t.Fatalf("page %d (after %q): %v", pages+1, f0.Before, err)
		}
		pages++
		if len(page) == 0 {
			break
		}
		for _, d := range page {
			seen++
			if d.State == engine.StateQuarantined {
				quarantined++
			}
		}
		f0.Before = page[len(page)-1].ID
	}
	t.Logf("%d pages, %d deliveries listed, %d of them quarantined", pages, seen, quarantined)
	if seen < n*9/10 || quarantined == 0 {
		t.Errorf("listed %d of %d with %d quarantined; want most rows and the damaged ones quarantined", seen, n, quarantined)
	}
	if _, err := s.Pending(t.Context()); err != nil {
		t.Errorf("Pending of the damaged copy: %v", err)
	}
	if !strings.Contains(logs.String(), "damaged on disk") {
		t.Errorf("the damage is not logged:\n%s", logs.String())
	}
}
