package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	sqlite3 "modernc.org/sqlite/lib"

	"modernc.org/libc"
)

// discard closes the store and removes its files, for a segment that a
// Segmented log drops: like Close, but the last connection does not
// checkpoint the write-ahead log into a file about to be removed (a
// checkpoint of a full segment cost 40-50 ms of CPU; closing without it,
// 0.5 ms).
func (s *Store) discard() error {
	s.closeOnce.Do(func() {
		s.stopWriter()
		if err := s.closeDBs(true); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
	})
	// The database file first: a crash that leaves its write-ahead log
	// behind leaves no segment (Segmented's Open removes the rest), where
	// one that removed the log first would leave a segment that went back
	// to its last checkpoint.
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(s.closeErr, errors.Join(errs...))
}

// skipCheckpointOnClose tells SQLite not to checkpoint the write-ahead log
// when c closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
func (c *wconn) skipCheckpointOnClose() error {
	va := libc.NewVaList(int32(1), uintptr(0))
	if va == 0 {
		return errors.New("out of memory")
	}
	defer libc.Xfree(c.tls, va)
	if rc := sqlite3.Xsqlite3_db_config(c.tls, c.db, sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, va); rc != sqlite3.SQLITE_OK {
		return c.lastError(rc)
	}
	return nil
}

// eachKey calls fn with the id and stored creation time of every delivery,
// for a Segmented log's id filter and bounds.
func (s *Store) eachKey(ctx context.Context, fn func(id string, created int64)) error {
	rows, err := s.r.QueryContext(ctx, "SELECT id, created_at FROM deliveries INDEXED BY deliveries_created")
	if err != nil {
		return s.fail("read the delivery ids", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var created int64
		if err := rows.Scan(&id, &created); err != nil {
			return s.fail("read the delivery ids", err)
		}
		fn(id, created)
	}
	if err := rows.Err(); err != nil {
		return s.fail("read the delivery ids", err)
	}
	return nil
}

// held returns the deliveries and attempts on file.
func (s *Store) held() (deliveries, attempts int64) {
	return s.wc.rows.deliveries.Load(), s.wc.rows.attempts.Load()
}

// pendingTriggers calls fn with the event id and stored creation time of
// every pending delivery: what a Segmented log keeps when it drops a
// segment. A damaged file is read as Pending reads it.
func (s *Store) pendingTriggers(ctx context.Context, fn func(event string, created int64)) error {
	rows, err := s.r.QueryContext(ctx, "SELECT event_id, created_at FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending'")
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var event string
			var created int64
			if err = rows.Scan(&event, &created); err != nil {
				break
			}
			fn(event, created)
		}
		if err == nil {
			err = rows.Err()
		}
	}
	if isCorrupt(err) {
		list, perr := s.Pending(ctx)
		for _, d := range list {
			fn(d.EventID, clampTime(d.CreatedAt))
		}
		return perr
	}
	if err != nil {
		return s.fail("list pending deliveries", err)
	}
	return nil
}
