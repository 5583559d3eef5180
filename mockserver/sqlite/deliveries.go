package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/esimhooks/esimhooks/mockserver"
)

// Limits of ListDeliveries.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// PutDelivery inserts d, or replaces the delivery with d's id in place (its
// attempts and its place in the list stay).
func (s *Store) PutDelivery(ctx context.Context, d *mockserver.Delivery) error {
	run, err := s.putDeliveryWrite(d)
	if err == nil {
		err = s.write(ctx, run)
	}
	if err != nil {
		return s.fail(fmt.Sprintf("put delivery %q", d.ID), err)
	}
	return nil
}

// putDeliveryWrite returns the write of PutDelivery(d), for the writer.
func (s *Store) putDeliveryWrite(d *mockserver.Delivery) (func(c *wconn) error, error) {
	args, err := deliveryArgs(d)
	if err != nil {
		return nil, err
	}
	return func(c *wconn) error { return saveDelivery(c, args, true) }, nil
}

// saveDelivery stores the delivery whose deliveryArgs are args. It tries an
// insert and an update that leaves the list indexes and the body alone (a
// change of state), the likelier first: the insert when likelyNew. Failing
// both, the delivery changes its body or an indexed field: it is replaced,
// after its attempts that share its body get a copy of the old one.
func saveDelivery(c *wconn, args []any, likelyNew bool) error {
	insert := func() (int64, error) { return c.exec(stInsertDelivery, args...) }
	update := func() (int64, error) { return c.exec(stUpdateDelivery, reorder(args, updateDeliveryArgs)...) }
	tries := [2]func() (int64, error){update, insert}
	if likelyNew {
		tries = [2]func() (int64, error){insert, update}
	}
	for i, try := range tries {
		if n, err := try(); err != nil || n > 0 {
			if err == nil && (i == 0) == likelyNew {
				c.tx.deliveries++ // the insert
			}
			return err
		}
	}
	if _, err := c.exec(stKeepAttemptBodies, args[0]); err != nil {
		return err
	}
	_, err := c.exec(stUpsertDelivery, args...)
	return err
}

// GetDelivery returns the delivery with id, body included, or an error
// wrapping mockserver.ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, id string) (*mockserver.Delivery, error) {
	d, err := scanDelivery(s.getDelivery.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = mockserver.ErrNotFound
	}
	if err != nil {
		return nil, s.fail(fmt.Sprintf("get delivery %q", id), err)
	}
	s.quarantine(ctx, []*mockserver.Delivery{d})
	return d, nil
}

// ListDeliveries returns the deliveries that match f, newest (by CreatedAt)
// first, and deliveries created at the same instant by id, descending, as
// the memory store does. f.Before is a cursor: only deliveries after that
// one in this order are returned, and an unknown cursor is an error
// wrapping mockserver.ErrNotFound. f.Limit defaults to 100 and is capped at
// 1000.
func (s *Store) ListDeliveries(ctx context.Context, f mockserver.DeliveryFilter) ([]*mockserver.Delivery, error) {
	const op = "list deliveries"
	var cursor *listCursor
	if f.Before != "" {
		cursor = &listCursor{id: f.Before}
		err := s.deliveryCursor.QueryRowContext(ctx, f.Before).Scan(&cursor.created)
		if isCorrupt(err) || errors.Is(err, sql.ErrNoRows) {
			// The cursor's row may be damaged (a damaged leaf can also
			// read as a missing row): the list index still knows it.
			err = s.salvageCursor.QueryRowContext(ctx, f.Before).Scan(&cursor.created)
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = fmt.Errorf("cursor delivery %q: %w", f.Before, mockserver.ErrNotFound)
		}
		if err != nil {
			return nil, s.fail(op, err)
		}
	}
	q, args := listQuery(f, cursor, deliveryCols)
	rows, err := s.r.QueryContext(ctx, q, args...)
	var got []*mockserver.Delivery
	if err == nil {
		got, err = scanDeliveries(rows)
	}
	if isCorrupt(err) {
		sq, sargs := listQuery(f, cursor, "seq, id")
		got, err = s.salvage(ctx, op, sq, sargs, f.State == "" || f.State == mockserver.StateQuarantined)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	s.quarantine(ctx, got)
	return got, nil
}

// listCursor is where a page of ListDeliveries starts: after the delivery
// with id, created at created.
type listCursor struct {
	created int64
	id      string
}

// listQuery returns the query of ListDeliveries(f) and its arguments,
// starting after cursor if it is not nil.
//
// The state is compared as +state, which no index serves: a state filter
// then scans deliveries_created, newest first, and stops at the limit,
// rather than reading every pending delivery through deliveries_due and
// sorting them.
func listQuery(f mockserver.DeliveryFilter, cursor *listCursor, cols string) (string, []any) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, val string }{
		{"provider", f.Provider},
		{"event", f.Event},
		{"endpoint_id", f.EndpointID},
		{"+state", f.State},
		{"event_id", f.EventID},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if cursor != nil {
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, cursor.created, cursor.id)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	q := "SELECT " + cols + " FROM deliveries"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	return q, append(args, min(limit, maxLimit))
}

// Pending returns every delivery in mockserver.StatePending, the soonest due
// first.
func (s *Store) Pending(ctx context.Context) ([]*mockserver.Delivery, error) {
	const op = "list pending deliveries"
	rows, err := s.pending.QueryContext(ctx)
	var list []*mockserver.Delivery
	if err == nil {
		list, err = scanDeliveries(rows)
	}
	if isCorrupt(err) {
		list, err = s.salvage(ctx, op, pendingSalvageSQL, nil, false)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	s.quarantine(ctx, list)
	return slices.DeleteFunc(list, func(d *mockserver.Delivery) bool { return d.State != mockserver.StatePending }), nil
}

// deliveryArgs returns d's values in deliveryColumns order.
func deliveryArgs(d *mockserver.Delivery) ([]any, error) {
	chaos, err := encJSON(d.Chaos)
	if err != nil {
		return nil, err
	}
	next, err := encTime(d.NextAttemptAt)
	if err != nil {
		return nil, fmt.Errorf("next_attempt_at: %w", err)
	}
	created, err := encTime(d.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("created_at: %w", err)
	}
	updated, err := encTime(d.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("updated_at: %w", err)
	}
	return []any{
		d.ID, d.EventID, d.EndpointID, d.Provider, d.Variant, d.Event, d.WireID,
		d.Key, blob(d.Body), d.CopyOf, d.ResendOf, d.State, int64(d.Attempts),
		next, chaos, created, updated,
	}, nil
}

// scanDelivery reads a row of deliveryColumns.
func scanDelivery(r scanner) (*mockserver.Delivery, error) {
	var (
		d                      mockserver.Delivery
		chaos                  string
		next, created, updated int64
	)
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.Provider, &d.Variant, &d.Event, &d.WireID,
		&d.Key, &d.Body, &d.CopyOf, &d.ResendOf, &d.State, &d.Attempts,
		&next, &chaos, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := decJSON(chaos, &d.Chaos); err != nil {
		// A chaos that does not decode (damaged, or beyond today's bounds)
		// quarantines the delivery rather than failing every read.
		d.Chaos, d.State = mockserver.Chaos{}, mockserver.StateQuarantined
		d.Quarantined = fmt.Sprintf("chaos: %v", err)
	}
	if d.State == mockserver.StateQuarantined && d.Quarantined == "" {
		d.Quarantined = "quarantined by an earlier read"
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = decTime(next), decTime(created), decTime(updated)
	return &d, nil
}

// scanDeliveries reads and closes rows of deliveryColumns.
func scanDeliveries(rows *sql.Rows) ([]*mockserver.Delivery, error) {
	defer rows.Close()
	var list []*mockserver.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	return list, rows.Err()
}
