package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// The writer keeps delivery_terms and delivery_facets in step with the
// deliveries it inserts and replaces (migration 4 has the reasons).

const (
	insertTermSQL  = "INSERT OR IGNORE INTO delivery_terms (term, created_at, id) VALUES (?, ?, ?)"
	insertFacetSQL = "INSERT OR IGNORE INTO delivery_facets (provider, variant, event, endpoint_id) VALUES (?, ?, ?, ?)"
	// deleteTermsSQL deletes the terms of delivery ?1 as stored, before
	// it is replaced.
	deleteTermsSQL = `DELETE FROM delivery_terms WHERE term IN (SELECT value FROM json_each((SELECT terms FROM deliveries WHERE id = ?1)))
AND (created_at, id) IN (SELECT created_at, id FROM deliveries WHERE id = ?1)`
	// sweepTermsSQL deletes the terms after key (?1, ?2, ?3) up to and
	// including key (?4, ?5, ?6) whose delivery is gone;
	// sweepTermsTailSQL, all those after key (?1, ?2, ?3).
	sweepTermsTailSQL = `DELETE FROM delivery_terms WHERE (term, created_at, id) > (?1, ?2, ?3)
AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = delivery_terms.id AND d.created_at = delivery_terms.created_at)`
	sweepTermsSQL = sweepTermsTailSQL + " AND (term, created_at, id) <= (?4, ?5, ?6)"
	// sweepChunkSQL finds where a chunk of sweepChunk terms after key
	// (?1, ?2, ?3) ends.
	sweepChunkSQL = `SELECT term, created_at, id FROM delivery_terms WHERE (term, created_at, id) > (?1, ?2, ?3)
ORDER BY term, created_at, id LIMIT 1 OFFSET ?4`
)

// sweepChunk is how many entries of delivery_terms one sweep step reads.
const sweepChunk = 4096

// Places of the columns indexDelivery reads among deliveryArgs.
var (
	argID       = colIndex("id")
	argEndpoint = colIndex("endpoint_id")
	argProvider = colIndex("provider")
	argVariant  = colIndex("variant")
	argEvent    = colIndex("event")
	argCreated  = colIndex("created_at")
)

func colIndex(col string) int {
	for i, c := range deliveryColumns {
		if c == col {
			return i
		}
	}
	panic("no delivery column " + col)
}

// facet is a row of delivery_facets: provider, variant, event, endpoint.
type facet [4]string

// deliveryTerms gives the stored terms of a delivery, as a list and as
// the terms column, computed once, when first asked for.
type deliveryTerms struct {
	d    *engine.Delivery
	list []string
	json string
	err  error
	done bool
}

func (t *deliveryTerms) get() ([]string, string, error) {
	if !t.done {
		t.done = true
		t.list = storedTerms(t.d)
		t.json, t.err = encJSON(t.list)
	}
	return t.list, t.json, t.err
}

// indexDelivery adds the delivery whose deliveryArgs are args, just
// inserted, to delivery_terms under each of terms, and its facet to
// delivery_facets if it is new.
func (c *wconn) indexDelivery(args []any, terms []string) error {
	for _, t := range terms {
		if _, err := c.exec(stInsertTerm, t, args[argCreated], args[argID]); err != nil {
			return err
		}
	}
	f := facet{args[argProvider].(string), args[argVariant].(string), args[argEvent].(string), args[argEndpoint].(string)}
	if _, ok := c.facets[f]; ok {
		return nil
	}
	if _, err := c.exec(stInsertFacet, f[0], f[1], f[2], f[3]); err != nil {
		return err
	}
	c.txFacets = append(c.txFacets, f) // known once committed
	return nil
}

// loadFacets reads delivery_facets into c's set, when the store opens.
func loadFacets(ctx context.Context, db *sql.DB, c *wconn) error {
	rows, err := db.QueryContext(ctx, "SELECT provider, variant, event, endpoint_id FROM delivery_facets")
	if err != nil {
		return fmt.Errorf("read delivery facets: %w", err)
	}
	defer rows.Close()
	c.facets = make(map[facet]struct{})
	for rows.Next() {
		var f facet
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3]); err != nil {
			return fmt.Errorf("read delivery facets: %w", err)
		}
		c.facets[f] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read delivery facets: %w", err)
	}
	return nil
}

// termKey is a key of delivery_terms.
type termKey struct {
	term    string
	created int64
	id      string
}

// termSweep is where Prune's sweep of the terms of pruned deliveries
// stands. A sweep starts once as many deliveries have been pruned since
// the last one began as the log holds (and at least sweepMin), and at the
// first Prune after the store opens, since the count is not on file;
// each Prune call then sweeps a chunk, from the smallest key to the
// largest. So the terms left behind never outnumber much those of the
// deliveries on file, and each entry is read about once per log's worth
// of pruned deliveries.
type termSweep struct {
	pruned  int64 // deliveries pruned since the sweep in progress, or the last, began
	running bool
	from    termKey // the last key swept
}

// sweepMin is the fewest pruned deliveries that start a sweep.
const sweepMin = 1000

// sweepTerms runs one step of the sweep if one is due: it deletes the
// terms whose delivery is gone among the next sweepChunk entries of
// delivery_terms. Only Prune calls it, from one goroutine at a time (the
// pruner's).
func (s *Store) sweepTerms(ctx context.Context, pruned int) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	sw := &s.sweep
	sw.pruned += int64(pruned)
	if !sw.running {
		if sw.pruned < max(sweepMin, s.wc.rows.deliveries.Load()) && !s.sweepAfterOpen {
			return nil
		}
		s.sweepAfterOpen = false
		sw.running, sw.pruned, sw.from = true, 0, termKey{created: zeroTime}
	}
	from, to := sw.from, termKey{}
	err := s.r.QueryRowContext(ctx, sweepChunkSQL, from.term, from.created, from.id, sweepChunk-1).Scan(&to.term, &to.created, &to.id)
	last := errors.Is(err, sql.ErrNoRows) // the chunk is the rest of the index
	if err != nil && !last {
		return err
	}
	if err := s.writeIdle(ctx, func(c *wconn) error {
		var err error
		if last {
			_, err = c.exec(stSweepTermsTail, from.term, from.created, from.id)
		} else {
			_, err = c.exec(stSweepTerms, from.term, from.created, from.id, to.term, to.created, to.id)
		}
		return err
	}); err != nil {
		return err
	}
	sw.from, sw.running = to, !last
	return nil
}
