package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// reopen closes s and opens the file at path again, closed when t ends.
func reopen(t *testing.T, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func mustLogSize(t *testing.T, s *Store) engine.LogSize {
	t.Helper()
	sz, err := s.LogSize(t.Context())
	if err != nil {
		t.Fatalf("LogSize: %v", err)
	}
	return sz
}

func TestPruneGivesSpaceBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // 1 KiB bodies: some 1,700 pages
	defer func(v int64) { vacuumMinFree = v }(vacuumMinFree)
	vacuumMinFree = 256
	fillLog(t, s, n)
	// fillLog writes behind the writer's back: the counts are taken again
	// when the file is opened.
	s = reopen(t, s, path)
	before := mustLogSize(t, s)
	if before.Deliveries != n || !before.File || before.PageSize != pageSize {
		t.Fatalf("LogSize before pruning = %+v, want %d deliveries in a file of %d-byte pages", before, n, pageSize)
	}
	var pending int64
	if err := s.r.QueryRow("SELECT count(*) FROM deliveries WHERE state = 'pending'").Scan(&pending); err != nil {
		t.Fatal(err)
	}
	removed := 0
	for range n {
		res, err := s.Prune(t.Context(), engine.PruneRule{Keep: 1, Limit: 1000})
		if err != nil {
			t.Fatalf("Prune: %v", err)
		}
		removed += res.Deliveries
		if !res.More {
			break
		}
	}
	after := mustLogSize(t, s)
	if int64(removed) != n-pending || after.Deliveries != pending {
		t.Errorf("pruned %d, %d left; want %d pruned, the %d pending left", removed, after.Deliveries, n-pending, pending)
	}
	// The incremental vacuum gave back all but an eighth of the file.
	if after.Pages > before.Pages/4 || after.FreePages > before.Pages/8 {
		t.Errorf("after pruning %d of %d deliveries: %d pages, %d free (before: %d pages); want at most %d pages, %d free",
			removed, n, after.Pages, after.FreePages, before.Pages, before.Pages/4, before.Pages/8)
	}
	// The space is reused: the same deliveries again take no more pages
	// than the first time.
	fillLog(t, s, n)
	s = reopen(t, s, path)
	if again := mustLogSize(t, s); again.Pages > before.Pages+before.Pages/20 {
		t.Errorf("refilled: %d pages, first time %d", again.Pages, before.Pages)
	}
}

func TestOpenSwitchesAnOldFileToIncrementalVacuum(t *testing.T) {
	s, path := openTemp(t)
	d := &engine.Delivery{ID: "d1", EventID: "e1", State: engine.StateDelivered, CreatedAt: time.Unix(1700000000, 0)}
	if err := s.PutDelivery(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A file as an earlier release made it: auto_vacuum NONE.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var mode int
	_, err = db.Exec("PRAGMA auto_vacuum = NONE; VACUUM")
	if err == nil {
		err = db.QueryRow("PRAGMA auto_vacuum").Scan(&mode)
	}
	if err := db.Close(); err != nil || mode != 0 {
		t.Fatalf("making an old file: auto_vacuum %d, %v", mode, err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open of the old file: %v", err)
	}
	defer s.Close()
	if err := s.r.QueryRow("PRAGMA auto_vacuum").Scan(&mode); err != nil || mode != 2 {
		t.Errorf("auto_vacuum after Open = %d, %v; want 2 (INCREMENTAL)", mode, err)
	}
	if _, err := s.GetDelivery(t.Context(), "d1"); err != nil {
		t.Errorf("the delivery after the switch: %v", err)
	}
	if sz := mustLogSize(t, s); sz.Deliveries != 1 || sz.Attempts != 0 {
		t.Errorf("LogSize after the switch = %+v, want 1 delivery", sz)
	}
}
