package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/storetest"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// openTemp opens a store in a new file under t.TempDir and closes it when
// the test ends.
func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) engine.Store {
		s, err := Open(filepath.Join(t.TempDir(), "log.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "log.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)
	ep := &engine.Endpoint{ID: "ep1", URL: "http://x", Provider: "airalo", Secret: "s3cret", CreatedAt: at}
	d := &engine.Delivery{ID: "d1", EndpointID: "ep1", State: engine.StatePending, Body: []byte{0xff, 0}, CreatedAt: at, NextAttemptAt: at.Add(time.Minute)}
	a := &engine.Attempt{DeliveryID: "d1", N: 1, StartedAt: at, Status: 502, ResponseBody: []byte("bad gateway"), NextRetryAt: at.Add(time.Minute), Outcome: engine.StatePending}
	if err := s.PutEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Attempts = 1
	if err := s.AddAttempt(ctx, a, d); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.GetDelivery(ctx, "d1"); err == nil {
		t.Errorf("GetDelivery on a closed store: no error")
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	defer s.Close()
	gotEP, err := s.GetEndpoint(ctx, "ep1")
	if err != nil || gotEP.Secret != "s3cret" || !gotEP.CreatedAt.Equal(at) {
		t.Errorf("endpoint after reopening = %+v, %v", gotEP, err)
	}
	pending, err := s.Pending(ctx)
	if err != nil || len(pending) != 1 || pending[0].ID != "d1" || pending[0].Attempts != 1 || string(pending[0].Body) != "\xff\x00" {
		t.Errorf("Pending after reopening = %v, %v", pending, err)
	}
	attempts, err := s.ListAttempts(ctx, "d1")
	if err != nil || len(attempts) != 1 || string(attempts[0].ResponseBody) != "bad gateway" {
		t.Errorf("ListAttempts after reopening = %v, %v", attempts, err)
	}
	var v int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
}

func TestPragmas(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "1"}, // NORMAL
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.w, "page_size", strconv.Itoa(pageSize)},
		{s.w, "wal_autocheckpoint", strconv.Itoa(walAutocheckpoint)},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "10000"},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil || got != c.want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", c.pragma, got, err, c.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, "DELETE FROM endpoints"); err == nil {
		t.Errorf("the read pool can write")
	}
	// The writer's own connection, which makes every write durable.
	for pragma, want := range map[string]string{
		"journal_mode":       "wal",
		"synchronous":        "1", // NORMAL
		"foreign_keys":       "1",
		"busy_timeout":       "10000",
		"wal_autocheckpoint": strconv.Itoa(walAutocheckpoint),
	} {
		if got, err := wconnPragma(s.wc, pragma); err != nil || got != want {
			t.Errorf("writer connection: PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
}

// wconnPragma returns the value of pragma on c.
func wconnPragma(c *wconn, pragma string) (string, error) {
	st, err := c.prepare("PRAGMA "+pragma, 0)
	if err != nil {
		return "", err
	}
	defer sqlite3.Xsqlite3_finalize(c.tls, st)
	if rc := sqlite3.Xsqlite3_step(c.tls, st); rc != sqlite3.SQLITE_ROW {
		return "", c.lastError(rc)
	}
	return libc.GoString(sqlite3.Xsqlite3_column_text(c.tls, st, 0)), nil
}

func TestFileMode(t *testing.T) {
	s, path := openTemp(t)
	// A write makes SQLite create the -wal file (and -shm).
	if err := s.PutEndpoint(t.Context(), &engine.Endpoint{ID: "ep1", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), m)
		}
	}
}

func TestNotADatabase(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"text.db":    strings.Repeat("this is not an SQLite database\n", 100),
		"garbage.db": "\x00\x01\x02 not sqlite at all",
		"header.db":  "SQLite format 3\x00" + strings.Repeat("\xff", 200),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s): no error", name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "not an SQLite database") && !strings.Contains(msg, "corrupt") {
			t.Errorf("Open(%s) = %q; want the path and what is wrong", name, msg)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", path)
		}
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "log.db")
	if _, err := Open(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open in a missing directory = %v; want an error naming the path", err)
	}
}

func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#with%25.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.PutEndpoint(t.Context(), &engine.Endpoint{ID: "ep1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.w.ExecContext(t.Context(), "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "99") || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a newer schema = %v; want an error naming version 99 and the path", err)
	}
}

func TestAddAttemptIsAtomic(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	d := &engine.Delivery{ID: "d1", State: engine.StatePending}
	if err := s.PutDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	// Make the attempt's insert fail after the delivery's update.
	if _, err := s.w.ExecContext(ctx, `CREATE TRIGGER fail_attempt BEFORE INSERT ON attempts
		WHEN NEW.n = 2 BEGIN SELECT RAISE(ABORT, 'attempt refused'); END`); err != nil {
		t.Fatal(err)
	}
	next := *d
	next.State, next.Attempts = engine.StateDelivered, 2
	err := s.AddAttempt(ctx, &engine.Attempt{DeliveryID: "d1", N: 2}, &next)
	if err == nil || !strings.Contains(err.Error(), "attempt refused") {
		t.Fatalf("AddAttempt = %v; want the trigger's error", err)
	}
	got, err := s.GetDelivery(ctx, "d1")
	if err != nil || got.State != engine.StatePending || got.Attempts != 0 {
		t.Errorf("delivery after a failed AddAttempt = %+v, %v; want it unchanged", got, err)
	}
	next.Attempts = 1
	if err := s.AddAttempt(ctx, &engine.Attempt{DeliveryID: "d1", N: 1}, &next); err != nil {
		t.Errorf("AddAttempt after a failed one: %v", err)
	}
	if err := s.AddAttempt(ctx, &engine.Attempt{DeliveryID: "d2", N: 1}, &next); err == nil {
		t.Errorf("AddAttempt with another delivery's state: no error")
	}
}

func TestErrorsNameOperationAndPath(t *testing.T) {
	s, path := openTemp(t)
	_, err := s.GetDelivery(t.Context(), "d404")
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `get delivery "d404"`) {
		t.Errorf("GetDelivery(missing) = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = s.PutEndpoint(ctx, &engine.Endpoint{ID: "ep1", Secret: "hunter2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), `put endpoint "ep1"`) {
		t.Errorf("PutEndpoint with a cancelled context = %v; want an error naming the operation, not the secret", err)
	}
}

// fillLog inserts n deliveries spread over the filter values the way a
// busy log is: three providers, events and endpoints of uneven frequency,
// 96% delivered, 2% pending, event ids of two deliveries each, bodies of
// 1 KiB.
func fillLog(t testing.TB, s *Store, n int) {
	t.Helper()
	_, err := s.w.ExecContext(t.Context(), `
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
INSERT INTO deliveries (id, event_id, endpoint_id, provider, variant, event, wire_id, key, body,
	copy_of, resend_of, state, attempts, next_attempt_at, chaos, created_at, updated_at)
SELECT 'd_' || hex(randomblob(8)), 'evt_' || (n / 2), 'ep' || (n % 7 % 6),
	CASE n % 3 WHEN 0 THEN 'airalo' WHEN 1 THEN 'esimaccess' ELSE 'esimfly' END, '',
	CASE WHEN n % 100 = 0 THEN 'topup.failed' WHEN n % 10 < 5 THEN 'order.completed'
		WHEN n % 10 < 8 THEN 'esim.activated' ELSE 'balance.low' END,
	'w', 'k', randomblob(1024), '', '',
	CASE WHEN n % 200 = 1 THEN 'exhausted' WHEN n % 200 < 5 THEN 'failed'
		WHEN n % 200 < 9 THEN 'pending' ELSE 'delivered' END,
	1, 1700000000000000000 + n * 1000000, '{}', 1700000000000000000 + n * 1000000, 1700000000000000000 + n * 1000000
FROM i`, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}
