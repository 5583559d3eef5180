package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	sqlitedrv "modernc.org/sqlite"
)

// Quarantine. A row the store cannot load never fails a whole read, and
// never stops recovery at start:
//
//   - A delivery whose fields do not decode (a chaos damaged on disk, or
//     beyond today's bounds, such as a negative duration an older release
//     accepted) is returned in engine.StateQuarantined with the reason,
//     and its row is marked quarantined, so Pending leaves it out and
//     GET /api/deliveries?state=quarantined lists it. It is logged once,
//     with its id, when it is marked.
//   - An endpoint whose fields do not decode loads disabled, with those
//     fields empty and Quarantined saying why (logged once); an update
//     rewrites it whole.
//   - When the database file itself is damaged (SQLITE_CORRUPT) a list or
//     the recovery at start salvages: it walks an index for the rows'
//     keys and reads each row on its own, skipping (and logging once) the
//     rows that cannot be read. A list shows such a row as quarantined
//     when the index still names it.

// SetLogger sets where the store reports quarantined rows; the default is
// slog.Default(). Call it before the store is used.
func (s *Store) SetLogger(l *slog.Logger) { s.log = l }

// logger returns the store's logger.
func (s *Store) logger() *slog.Logger {
	if s.log == nil {
		return slog.Default()
	}
	return s.log
}

// pendingSalvageSQL reads the keys of the pending deliveries from
// deliveries_due alone (it holds next_attempt_at and the rowid).
const pendingSalvageSQL = `SELECT seq, '' FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending' ORDER BY next_attempt_at, seq`

// isCorrupt reports whether err says the database file is damaged.
func isCorrupt(err error) bool {
	var e *sqlitedrv.Error
	return err != nil && errors.As(err, &e) && e.Code()&0xff == 11 // SQLITE_CORRUPT
}

// onceSet remembers the keys already reported.
type onceSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

// first reports whether key is seen for the first time.
func (o *onceSet) first(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	if o.seen[key] || len(o.seen) >= 1<<16 {
		return false
	}
	o.seen[key] = true
	return true
}

// noteEndpoint logs a quarantined endpoint, once.
func (s *Store) noteEndpoint(e *engine.Endpoint) {
	if e.Quarantined != "" && s.reported.first("endpoint "+e.ID) {
		s.logger().Warn("endpoint quarantined: a field cannot be loaded; it is disabled until updated",
			"endpoint", e.ID, "reason", e.Quarantined, "db", s.path)
	}
}

// quarantine marks the rows of the deliveries in list that read as
// quarantined (see scanDelivery) but are not marked yet, and logs each
// once with its id. A failure to mark is logged: the read still succeeds.
func (s *Store) quarantine(ctx context.Context, list []*engine.Delivery) {
	for _, d := range list {
		if d.State != engine.StateQuarantined || !s.reported.first("delivery "+d.ID) {
			continue
		}
		var n int64
		err := s.write(context.WithoutCancel(ctx), func(c *wconn) error {
			var err error
			n, err = c.exec(stQuarantineDelivery, d.ID)
			return err
		})
		switch {
		case err != nil:
			s.logger().Error("delivery quarantined, but marking it failed", "delivery", d.ID, "reason", d.Quarantined, "db", s.path, "err", err)
		case n > 0:
			s.logger().Warn("delivery quarantined: it cannot be loaded and will not be attempted",
				"delivery", d.ID, "reason", d.Quarantined, "db", s.path)
		}
	}
}

// salvage runs q, which selects (seq, id) pairs in list order, then reads
// each row by its seq. A row that cannot be read is skipped (logged once),
// or, when stubs is true and the index named its id, listed as a
// quarantined stub. If q itself stops at damage, the rows read until then
// are returned.
func (s *Store) salvage(ctx context.Context, op, q string, args []any, stubs bool) ([]*engine.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type key struct {
		seq int64
		id  string
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.seq, &k.id); err != nil {
			break
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		if !isCorrupt(err) {
			rows.Close()
			return nil, err
		}
		if s.reported.first("index " + op) {
			s.logger().Error("the database file is damaged: an index stops early; rows after the damage are not listed",
				"op", op, "db", s.path, "err", err)
		}
	}
	rows.Close()
	out := make([]*engine.Delivery, 0, len(keys))
	for _, k := range keys {
		d, err := scanDelivery(s.getDeliveryBySeq.QueryRowContext(ctx, k.seq))
		if err == nil {
			out = append(out, d)
			continue
		}
		// A damaged leaf can also read as a missing row.
		if !isCorrupt(err) && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if s.reported.first(fmt.Sprintf("row %d", k.seq)) {
			s.logger().Error("delivery quarantined: its row is damaged on disk and is skipped",
				"delivery", k.id, "seq", k.seq, "db", s.path, "err", err)
		}
		if stubs && k.id != "" {
			out = append(out, &engine.Delivery{ID: k.id, State: engine.StateQuarantined,
				Quarantined: "the row is damaged on disk: " + err.Error()})
		}
	}
	return out, nil
}
