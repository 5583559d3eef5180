package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Retention: Prune deletes a batch of the oldest deliveries a rule selects,
// their attempts first, in writes of pruneWrite deliveries that the
// writer goroutine runs when it is idle (writeIdle), so that they fill the
// time between the deliveries' own writes rather than delaying them; their
// search terms go later, swept in chunks (sweepTerms). The
// file runs with auto_vacuum=INCREMENTAL: the pages deletes free go to
// the freelist, which later writes reuse; when the free pages exceed
// vacuumFreeShare of the file (and vacuumMinFree), Prune hands up to
// vacuumStep of them back to the file system, a step per write.

// pruneCandidatesSQL selects the seq of up to ?2 of the oldest deliveries
// created before ?1 that engine.PruneRule does not keep: not pending,
// and with no pending delivery of the same event id and creation time.
const pruneCandidatesSQL = `SELECT d.seq FROM deliveries d
WHERE d.created_at < ?1 AND d.state != 'pending'
AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.event_id = d.event_id AND p.created_at = d.created_at AND p.state = 'pending')
ORDER BY d.created_at, d.id LIMIT ?2`

var (
	// A prune step selects its deliveries once, into the writer's
	// temporary table prune_seqs (in memory, see wconnPragmas), then
	// deletes their attempts and them, and empties the table: all in the
	// step's transaction, so a rollback empties it too. (Selecting them
	// again for the second delete made pruning cost half as much CPU
	// again: BenchmarkPrune, 118-124 against 72-99 µs a delivery.)
	pruneSelectSQL     = "INSERT INTO temp.prune_seqs " + pruneCandidatesSQL
	pruneAttemptsSQL   = "DELETE FROM attempts WHERE delivery_seq IN (SELECT seq FROM temp.prune_seqs)"
	pruneDeliveriesSQL = "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM temp.prune_seqs)"
	pruneClearSQL      = "DELETE FROM temp.prune_seqs"
	// insertAttemptSQL inserts an attempt that is new (most are), so that
	// the writer can count the attempts on file; one recorded again is
	// then upserted.
	insertAttemptSQL = strings.SplitAfter(upsertAttemptSQL, " ON CONFLICT (delivery_seq, n)")[0] + " DO NOTHING"
)

// Incremental vacuum policy, in pages.
const (
	vacuumStep = 2048 // pages returned per write: 4 MiB at pageSize
	// vacuumFreeShare and vacuumMinFree: free pages are returned once
	// there are more than vacuumMinFree of them and more than a
	// vacuumFreeShare-th of the file, down to half that share (the rest
	// is left for the writes to come).
	vacuumFreeShare = 4
)

// vacuumMinFree: 16 MiB at pageSize (a variable for the tests).
var vacuumMinFree int64 = 8192

var incrementalVacuumSQL = "PRAGMA incremental_vacuum(" + strconv.Itoa(vacuumStep) + ")"

// rowCounts are a transaction's changes to the number of rows.
type rowCounts struct{ deliveries, attempts int64 }

// fileCounts are the rows on file as of the last commit.
type fileCounts struct{ deliveries, attempts atomic.Int64 }

func (f *fileCounts) add(c *rowCounts) {
	f.deliveries.Add(c.deliveries)
	f.attempts.Add(c.attempts)
}

// putAttempt stores an attempt whose attemptArgs are args.
func putAttempt(c *wconn, args []any) error {
	n, err := c.exec(stInsertAttempt, args...)
	if err != nil || n > 0 {
		c.tx.attempts += n
		return err
	}
	_, err = c.exec(stPutAttempt, args...)
	return err
}

// pruneWrite is the most deliveries one write of Prune removes: a batch
// of engine.DefaultPruneBatch is split into writes that the writer runs
// between the deliveries' own, so that none waits behind the whole batch.
// (256 in one write held the writer long enough to raise the attempts' p99
// from 1-2 ms to up to 19 ms in esimhooks bench --retain; smaller writes
// cost more in all, each commit writing the pages of every index it
// touched: BenchmarkPrune, 110-128 µs a delivery at 16 or 32, 72-99 at 64.)
const pruneWrite = 64

// Prune implements engine.Store.Prune: the count rule first, then the
// age rule, up to r.Limit deliveries in all, in writes (transactions) of up
// to pruneWrite. After a batch that was not full, it returns free pages to
// the file system if they have piled up (see vacuumFreeShare).
func (s *Store) Prune(ctx context.Context, r engine.PruneRule) (engine.PruneResult, error) {
	var before int64 = math.MinInt64
	if !r.Before.IsZero() {
		var err error
		if before, err = encTime(r.Before); err != nil {
			return engine.PruneResult{}, s.fail("prune", fmt.Errorf("before: %w", err))
		}
	}
	limit := r.Limit
	if limit <= 0 {
		limit = engine.DefaultPruneBatch
	}
	var res engine.PruneResult
	for res.Deliveries < limit {
		n := min(limit-res.Deliveries, pruneWrite)
		step, err := s.pruneStep(ctx, r.Keep, before, n)
		if err != nil {
			// The writes before this one are on file: res says what they removed.
			return res, s.fail("prune", err)
		}
		res.Deliveries += step.Deliveries
		res.Attempts += step.Attempts
		if step.Deliveries < n {
			break // nothing more is due
		}
	}
	res.More = res.Deliveries >= limit
	if err := s.sweepTerms(ctx, res.Deliveries); err != nil {
		return res, s.fail("sweep the pruned deliveries' search terms", err)
	}
	if !res.More {
		if err := s.vacuum(ctx); err != nil {
			return res, s.fail("incremental vacuum", err)
		}
	}
	return res, nil
}

// pruneStep is one write of Prune: up to limit deliveries, by the count
// rule (keep, 0: none) first, then by age (before, math.MinInt64: none).
func (s *Store) pruneStep(ctx context.Context, keep int, before int64, limit int) (res engine.PruneResult, err error) {
	err = s.writeIdle(ctx, func(c *wconn) error {
		res = engine.PruneResult{} // the write may run twice
		del := func(before int64, n int) error {
			if n <= 0 {
				return nil
			}
			if _, err := c.exec(stPruneSelect, before, int64(n)); err != nil {
				return err
			}
			a, err := c.exec(stPruneAttempts)
			if err != nil {
				return err
			}
			d, err := c.exec(stPruneDeliveries)
			if err != nil {
				return err
			}
			if _, err := c.exec(stPruneClear); err != nil {
				return err
			}
			c.tx.attempts -= a
			c.tx.deliveries -= d
			res.Attempts += int(a)
			res.Deliveries += int(d)
			return nil
		}
		if keep > 0 {
			held := c.rows.deliveries.Load() + c.tx.deliveries
			if err := del(math.MaxInt64, int(min(held-int64(keep), int64(limit)))); err != nil {
				return err
			}
		}
		if before != math.MinInt64 {
			return del(before, limit-res.Deliveries)
		}
		return nil
	})
	return res, err
}

// vacuum returns free pages to the file system, a vacuumStep per write,
// when there are more than vacuumMinFree and a vacuumFreeShare-th of the
// file, until they are half that share.
func (s *Store) vacuum(ctx context.Context) error {
	for {
		pages, free, err := s.pageCounts(ctx)
		if err != nil {
			return err
		}
		if free <= vacuumMinFree || free <= pages/vacuumFreeShare {
			return nil
		}
		for target := pages / (2 * vacuumFreeShare); free > target && ctx.Err() == nil; free -= vacuumStep {
			if err := s.writeIdle(ctx, func(c *wconn) error {
				_, err := c.exec(stIncrementalVacuum)
				return err
			}); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
}

// pageCounts returns the file's pages and free pages.
func (s *Store) pageCounts(ctx context.Context) (pages, free int64, err error) {
	if err := s.r.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, 0, err
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, 0, err
	}
	return pages, free, nil
}

// LogSize implements engine.LogSizer: the rows are counted as they
// are written (and once when the store opens), the pages asked of SQLite.
func (s *Store) LogSize(ctx context.Context) (engine.LogSize, error) {
	sz := engine.LogSize{File: true, Files: 1}
	sz.Deliveries, sz.Attempts = s.held()
	var err error
	if sz.Pages, sz.FreePages, err = s.pageCounts(ctx); err != nil {
		return sz, s.fail("log size", err)
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA page_size").Scan(&sz.PageSize); err != nil {
		return sz, s.fail("log size", err)
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			sz.FileBytes += fi.Size()
		}
	}
	return sz, nil
}

// countRows counts the deliveries and attempts on file, once, when the
// store opens (a scan of the smallest index of each table).
func countRows(ctx context.Context, db *sql.DB, c *wconn) error {
	var d, a int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM deliveries").Scan(&d); err != nil {
		return fmt.Errorf("count deliveries: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM attempts").Scan(&a); err != nil {
		return fmt.Errorf("count attempts: %w", err)
	}
	c.rows.deliveries.Store(d)
	c.rows.attempts.Store(a)
	return nil
}

// incrementalVacuum makes the file's auto_vacuum INCREMENTAL, so that the
// pages retention frees can be returned to the file system. Open asks for
// it before the first table of a new file (and before WAL mode, which
// would keep it from taking effect); a file an earlier release created
// is rewritten once, here, by a VACUUM, which needs as much free disk as
// the file and, for a large log, takes a while (about a minute per GiB).
// If the VACUUM fails (a damaged file, a full disk) the log still works:
// the freed pages are reused by later writes, and only the file's size
// is not given back; the failure is logged (slog.Default) and the next
// Open tries again.
func incrementalVacuum(ctx context.Context, db *sql.DB, path string) {
	var mode int
	err := db.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode)
	if err == nil && mode == 2 {
		return
	}
	if err == nil {
		_, err = db.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM")
	}
	if err != nil {
		slog.Default().Warn("the SQLite delivery log cannot switch to auto_vacuum=INCREMENTAL: pruned space is reused but the file will not shrink", "db", path, "err", err)
	}
}
