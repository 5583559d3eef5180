package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Limits of ListDeliveries.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// PutDelivery inserts d, or replaces the delivery with d's id in place (its
// attempts and its place in the list stay).
func (s *Store) PutDelivery(ctx context.Context, d *engine.Delivery) error {
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
func (s *Store) putDeliveryWrite(d *engine.Delivery) (func(c *wconn) error, error) {
	args, err := deliveryArgs(d)
	if err != nil {
		return nil, err
	}
	// Likely new: its terms are needed, and are found here, in the
	// caller's goroutine, rather than in the writer's.
	terms := &deliveryTerms{d: d}
	if _, _, err := terms.get(); err != nil {
		return nil, err
	}
	return func(c *wconn) error { return saveDelivery(c, args, true, terms) }, nil
}

// saveDelivery stores the delivery whose deliveryArgs are args, but the
// terms, which terms gives when an insert or a replacement needs them (an
// update leaves them alone). It tries an insert and an update that leaves
// the list indexes and the body alone (a change of state), the likelier
// first: the insert when likelyNew. Failing both, the delivery changes its
// body or an indexed field: it is replaced, after its attempts that share
// its body get a copy of the old one and its old terms are unindexed.
func saveDelivery(c *wconn, args []any, likelyNew bool, terms *deliveryTerms) error {
	withTerms := func() ([]string, error) {
		list, j, err := terms.get()
		args[termsArg] = j
		return list, err
	}
	insert := func() (int64, error) {
		list, err := withTerms()
		if err != nil {
			return 0, err
		}
		n, err := c.exec(stInsertDelivery, args...)
		if err == nil && n > 0 {
			c.tx.deliveries++
			err = c.indexDelivery(args, list)
		}
		return n, err
	}
	update := func() (int64, error) { return c.exec(stUpdateDelivery, reorder(args, updateDeliveryArgs)...) }
	tries := [2]func() (int64, error){update, insert}
	if likelyNew {
		tries = [2]func() (int64, error){insert, update}
	}
	for _, try := range tries {
		if n, err := try(); err != nil || n > 0 {
			return err
		}
	}
	if _, err := c.exec(stKeepAttemptBodies, args[0]); err != nil {
		return err
	}
	list, err := withTerms()
	if err != nil {
		return err
	}
	if _, err := c.exec(stDeleteTerms, args[argID]); err != nil {
		return err
	}
	if _, err := c.exec(stUpsertDelivery, args...); err != nil {
		return err
	}
	return c.indexDelivery(args, list)
}

// GetDelivery returns the delivery with id, body included, or an error
// wrapping engine.ErrNotFound.
func (s *Store) GetDelivery(ctx context.Context, id string) (*engine.Delivery, error) {
	d, err := scanDelivery(s.getDelivery.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = engine.ErrNotFound
	}
	if err != nil {
		return nil, s.fail(fmt.Sprintf("get delivery %q", id), err)
	}
	s.quarantine(ctx, []*engine.Delivery{d})
	return d, nil
}

// ListDeliveries returns the deliveries that match f, newest (by CreatedAt)
// first, and deliveries created at the same instant by id, descending, as
// the memory store does. f.Before is a cursor: only deliveries after that
// one in this order are returned, and an unknown cursor is an error
// wrapping engine.ErrNotFound. f.Limit defaults to 100 and is capped at
// 1000.
func (s *Store) ListDeliveries(ctx context.Context, f engine.DeliveryFilter) ([]*engine.Delivery, error) {
	const op = "list deliveries"
	var cursor *listCursor
	if f.Before != "" && !f.BeforeAt.IsZero() {
		created, err := encTime(f.BeforeAt)
		if err != nil {
			return nil, fmt.Errorf("cursor: %w", err)
		}
		cursor = &listCursor{id: f.Before, created: created}
	} else if f.Before != "" {
		created, err := s.createdAt(ctx, f.Before)
		if err != nil {
			return nil, s.fail(op, err)
		}
		cursor = &listCursor{id: f.Before, created: created}
	}
	qs, err := s.listPlan(ctx, f, cursor)
	if err != nil {
		return nil, s.fail(op, err)
	}
	var got []*engine.Delivery
	for _, lq := range qs {
		part, err := s.listPage(ctx, op, f, lq)
		if err != nil {
			return nil, s.fail(op, err)
		}
		got = mergePages(got, part, f.Limit)
	}
	s.quarantine(ctx, got)
	return got, nil
}

// createdAt returns the stored creation time of delivery id, for a
// cursor, or an error wrapping engine.ErrNotFound.
func (s *Store) createdAt(ctx context.Context, id string) (int64, error) {
	var created int64
	err := s.deliveryCursor.QueryRowContext(ctx, id).Scan(&created)
	if isCorrupt(err) || errors.Is(err, sql.ErrNoRows) {
		// The cursor's row may be damaged (a damaged leaf can also
		// read as a missing row): the list index still knows it.
		err = s.salvageCursor.QueryRowContext(ctx, id).Scan(&created)
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("cursor delivery %q: %w", id, engine.ErrNotFound)
	}
	return created, err
}

// listPage runs one query of listQueries.
func (s *Store) listPage(ctx context.Context, op string, f engine.DeliveryFilter, lq listQ) ([]*engine.Delivery, error) {
	q, args := lq.sql(deliveryRead)
	rows, err := s.r.QueryContext(ctx, q, args...)
	var got []*engine.Delivery
	if err == nil {
		got, err = scanDeliveries(rows)
	}
	if isCorrupt(err) {
		sq, sargs := lq.sql("seq, id")
		got, err = s.salvage(ctx, op, sq, sargs, f.State == "" || f.State == engine.StateQuarantined)
	}
	return got, err
}

// mergePages merges two pages in list order (newest first, then by id,
// descending), each delivery once, and keeps the first limit.
func mergePages(a, b []*engine.Delivery, limit int) []*engine.Delivery {
	if a == nil {
		return b
	}
	out := append(a, b...)
	slices.SortFunc(out, func(x, y *engine.Delivery) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	out = slices.CompactFunc(out, func(x, y *engine.Delivery) bool { return x.ID == y.ID })
	return out[:min(len(out), pageLimit(limit))]
}

// pageLimit is the number of deliveries a page of limit holds.
func pageLimit(limit int) int {
	if limit <= 0 {
		return defaultLimit
	}
	return min(limit, maxLimit)
}

// listCursor is where a page of ListDeliveries starts: after the delivery
// with id, created at created.
type listCursor struct {
	created int64
	id      string
}

// listQ is one query of a list: deliveries matching f after cursor, read
// through delivery_terms for term when it is not empty, through index when
// it is not empty.
type listQ struct {
	f      engine.DeliveryFilter
	cursor *listCursor
	term   string
	index  string
}

// probeCap is how many entries of an index listPlan counts, at most, to
// tell how selective its filter is.
const probeCap = 2000

// listPlan returns the queries of ListDeliveries(f) from cursor, none when
// f cannot match.
//
// The planner's statistics are averages: it takes a filter on a rare state
// or status for as broad as the average one, and reads the provider's
// hundreds of thousands of rows for the few failures. When two or more
// broad filters are set (provider, event, endpoint, state, status, run),
// listPlan counts the entries of each one's index, up to probeCap, and
// reads the smallest; the state and status indexes hold provider, event
// and endpoint, so the others are tested in the index. Before that,
// delivery_facets says whether any delivery has the provider, variant,
// event and endpoint asked for together: if none has, the answer is empty
// at once, rather than after reading one of them to the end.
func (s *Store) listPlan(ctx context.Context, f engine.DeliveryFilter, cursor *listCursor) ([]listQ, error) {
	qs := listQueries(f, cursor)
	if len(qs) != 1 || f.ID != "" || f.EventID != "" {
		return qs, nil // a term, an id or an event id: few rows at most
	}
	var facet []string
	var fargs []any
	for _, c := range []struct{ col, val string }{{"provider", f.Provider}, {"variant", f.Variant}, {"event", f.Event}, {"endpoint_id", f.EndpointID}} {
		if c.val != "" {
			facet = append(facet, c.col+" = ?")
			fargs = append(fargs, c.val)
		}
	}
	if len(facet) >= 2 {
		err := s.r.QueryRowContext(ctx, "SELECT 1 FROM delivery_facets WHERE "+strings.Join(facet, " AND ")+" LIMIT 1", fargs...).Scan(new(int))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	type probe struct {
		index, where string
		args         []any
	}
	var probes []probe
	if f.Provider != "" && f.Variant != "" {
		probes = append(probes, probe{"deliveries_variant", "provider = ? AND variant = ? AND variant != ''", []any{f.Provider, f.Variant}})
	} else if f.Provider != "" {
		probes = append(probes, probe{"deliveries_provider", "provider = ?", []any{f.Provider}})
	}
	for _, c := range []struct {
		index, where string
		set          bool
		arg          any
	}{
		{"deliveries_event", "event = ?", f.Event != "", f.Event},
		{"deliveries_endpoint", "endpoint_id = ?", f.EndpointID != "", f.EndpointID},
		{"deliveries_state", "state = ?", f.State != "", f.State},
		{"deliveries_status", "last_status = ?", f.Status != nil, statusArg(f.Status)},
		{"deliveries_run", "run_id = ? AND run_id != ''", f.RunID != "", f.RunID},
	} {
		if c.set {
			probes = append(probes, probe{c.index, c.where, []any{c.arg}})
		}
	}
	if len(probes) < 2 {
		return qs, nil
	}
	best, fewest := "", probeCap+1
	for _, p := range probes {
		var n int
		q := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM deliveries INDEXED BY %s WHERE %s LIMIT %d)", p.index, p.where, probeCap)
		if err := s.r.QueryRowContext(ctx, q, p.args...).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil // one filter matches nothing: so do they all
		}
		// Ties (each at the cap) go to the state and status indexes, which
		// test the other filters in the index.
		if n < fewest || n == fewest && (p.index == "deliveries_state" || p.index == "deliveries_status") {
			best, fewest = p.index, n
		}
	}
	qs[0].index = best
	return qs, nil
}

// statusArg returns the argument for a status filter, nil when none.
func statusArg(status *int) any {
	if status == nil {
		return nil
	}
	return int64(*status)
}

// listQueries returns the queries whose merged pages are the page of
// ListDeliveries(f): one, or for a search term three, one per index that
// can hold it (the id, the event id, delivery_terms). Each reads one index
// in the list order and stops at the limit.
func listQueries(f engine.DeliveryFilter, cursor *listCursor) []listQ {
	if f.Q == "" {
		return []listQ{{f: f, cursor: cursor}}
	}
	var qs []listQ
	byID, byEvent, byTerm := f, f, f
	byID.Q, byEvent.Q, byTerm.Q = "", "", ""
	if byID.ID == "" || byID.ID == f.Q {
		byID.ID = f.Q
		qs = append(qs, listQ{f: byID, cursor: cursor})
	}
	if byEvent.EventID == "" || byEvent.EventID == f.Q {
		byEvent.EventID = f.Q
		qs = append(qs, listQ{f: byEvent, cursor: cursor})
	}
	return append(qs, listQ{f: byTerm, cursor: cursor, term: f.Q})
}

// sql returns the query, selecting cols (of deliveries), and its
// arguments.
//
// Every filter compares a column that leads an index ending in (created_at,
// id): the planner, with the statistics PRAGMA optimize keeps, reads the
// most selective one newest first and stops at the limit, so that a filter
// matching nothing, or only the oldest rows, reads no more than its own
// entries. A run id is compared with != ” as well, so that the partial
// index deliveries_run serves it.
func (lq listQ) sql(cols string) (string, []any) {
	f := lq.f
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, val string }{
		{"d.id", f.ID},
		{"d.event_id", f.EventID},
		{"d.run_id", f.RunID},
		{"d.endpoint_id", f.EndpointID},
		{"d.provider", f.Provider},
		{"d.variant", f.Variant},
		{"d.event", f.Event},
		{"d.state", f.State},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if f.RunID != "" {
		where = append(where, "d.run_id != ''")
	}
	if f.Variant != "" {
		where = append(where, "d.variant != ''")
	}
	if f.Status != nil {
		where = append(where, "d.last_status = ?")
		args = append(args, statusArg(f.Status))
	}
	// The order columns: the term's index's when there is a term.
	created, id := "d.created_at", "d.id"
	from := "deliveries d"
	if lq.index != "" {
		from += " INDEXED BY " + lq.index
	}
	if lq.term != "" {
		created, id = "t.created_at", "t.id"
		// A pruned delivery's terms may still be there (sweepTerms), so
		// the join is on the creation time too, in case its id was reused.
		from = "delivery_terms t CROSS JOIN deliveries d ON d.id = t.id AND d.created_at = t.created_at"
		where = append([]string{"t.term = ?"}, where...)
		args = append([]any{lq.term}, args...)
	}
	if !f.Since.IsZero() {
		where = append(where, created+" >= ?")
		args = append(args, clampTime(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, created+" < ?")
		args = append(args, clampTime(f.Until))
	}
	if lq.cursor != nil {
		where = append(where, "("+created+", "+id+") < (?, ?)")
		args = append(args, lq.cursor.created, lq.cursor.id)
	}
	q := "SELECT " + qualify(cols) + " FROM " + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + created + " DESC, " + id + " DESC LIMIT ?"
	return q, append(args, pageLimit(f.Limit))
}

// clampTime returns t as stored, a time beyond what the log can store
// taken as the nearest it can.
func clampTime(t time.Time) int64 {
	switch n, err := encTime(t); {
	case err == nil:
		return n
	case t.Unix() < 0:
		return zeroTime + 1
	default:
		return math.MaxInt64
	}
}

// qualify prefixes each of the comma-separated columns cols with "d.".
func qualify(cols string) string {
	return "d." + strings.ReplaceAll(cols, ", ", ", d.")
}

// Pending returns every delivery in engine.StatePending, the soonest due
// first.
func (s *Store) Pending(ctx context.Context) ([]*engine.Delivery, error) {
	const op = "list pending deliveries"
	rows, err := s.pending.QueryContext(ctx)
	var list []*engine.Delivery
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
	return slices.DeleteFunc(list, func(d *engine.Delivery) bool { return d.State != engine.StatePending }), nil
}

// deliveryArgs returns d's values in deliveryColumns order, but the terms
// (nil; see deliveryTerms), which reading the body for ids costs.
func deliveryArgs(d *engine.Delivery) ([]any, error) {
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
		next, chaos, created, updated, d.RunID, nil, // terms: deliveryTerms, when needed
	}, nil
}

// termsArg is the place of the terms among deliveryArgs: the last.
var termsArg = len(deliveryColumns) - 1

// storedTerms returns the terms of d that delivery_terms indexes:
// engine.SearchTerms but the id and the event id, which have indexes
// of their own.
func storedTerms(d *engine.Delivery) []string {
	return slices.DeleteFunc(engine.SearchTerms(d), func(t string) bool { return t == d.ID || t == d.EventID })
}

// summaryArgs returns a's summary in summaryColumns order.
func summaryArgs(a *engine.Attempt) ([]any, error) {
	at, err := encTime(a.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("started_at: %w", err)
	}
	return []any{int64(a.N), int64(a.Status), a.Outcome, int64(a.Latency), at, a.ErrorKind}, nil
}

// scanDelivery reads a row of deliveryRead.
func scanDelivery(r scanner) (*engine.Delivery, error) {
	var (
		d                      engine.Delivery
		chaos, terms           string
		next, created, updated int64
		lastN, latency, at     int64
		status                 sql.NullInt64
		outcome, errKind       string
	)
	err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.Provider, &d.Variant, &d.Event, &d.WireID,
		&d.Key, &d.Body, &d.CopyOf, &d.ResendOf, &d.State, &d.Attempts,
		&next, &chaos, &created, &updated, &d.RunID, &terms,
		&lastN, &status, &outcome, &latency, &at, &errKind)
	if err != nil {
		return nil, err
	}
	if status.Valid {
		d.LastAttempt = &engine.AttemptSummary{N: int(lastN), Status: int(status.Int64), Outcome: outcome,
			Latency: time.Duration(latency), At: decTime(at), ErrorKind: errKind}
	}
	if err := decJSON(chaos, &d.Chaos); err != nil {
		// A chaos that does not decode (damaged, or beyond today's bounds)
		// quarantines the delivery rather than failing every read.
		d.Chaos, d.State = engine.Chaos{}, engine.StateQuarantined
		d.Quarantined = fmt.Sprintf("chaos: %v", err)
	}
	if d.State == engine.StateQuarantined && d.Quarantined == "" {
		d.Quarantined = "quarantined by an earlier read"
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = decTime(next), decTime(created), decTime(updated)
	return &d, nil
}

// scanDeliveries reads and closes rows of deliveryColumns.
func scanDeliveries(rows *sql.Rows) ([]*engine.Delivery, error) {
	defer rows.Close()
	var list []*engine.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, d)
	}
	return list, rows.Err()
}
