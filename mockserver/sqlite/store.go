// Package sqlite is esimhooks' default delivery log: an engine.Store kept
// in one SQLite file (Store), through modernc.org/sqlite (pure Go, no
// cgo), or, as esimhooks serve keeps it, in a main file and segment files
// that retention drops whole (Segmented, in segmented.go).
//
// The file holds every endpoint's signing secret in clear: Open creates it
// with mode 0600, and SQLite gives the -wal and -shm files beside it the
// database file's mode. Keep it out of anything shared.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL. A commit appends the
// transaction's pages and a checksummed commit frame to the -wal file with
// write(2) (the writer's connection, all of them in one: see walbufVFS)
// before COMMIT returns; only checkpoints call fsync. Once write(2)
// has returned, the data is in the kernel's page cache, which belongs to the
// file and not to the process, so a crash of the process (a panic, the OOM
// killer, kill -9) cannot lose it: the next Open replays the WAL up to the
// last valid commit frame. Every PutDelivery, PutEndpoint, DeleteEndpoint and
// AddAttempt that has returned nil is therefore on file for the next Open,
// however the server dies; the crash test in this package checks it with
// SIGKILL. What NORMAL gives up compared with FULL (an fsync per commit) is
// the last few commits before a power cut or a kernel crash; the database
// still comes back consistent, at an earlier commit. The mock promises to
// survive its own crash, not the machine's, and an fsync per attempt would
// cost more than the HTTP request it records.
//
// # Concurrency
//
// Writes go through one goroutine and one connection, with prepared
// statements; the writes that queue up while a transaction commits are
// committed together in the next (group commit), and each caller returns
// once its own write is on file. The writer's connection is its own, opened
// through SQLite's C API rather than database/sql (see wconn), which costs
// a write a fifth less. Reads use a separate pool of read-only
// connections, which WAL lets run while a write is in progress.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	sqlitedrv "modernc.org/sqlite"
)

// pageSize is the page size of a database this package creates (an existing
// file keeps its own: WAL mode cannot change it). Every commit writes each
// page it changed to the write-ahead log, and the pages a batch of
// deliveries shares (the newest leaf of each table and index) are written
// again by the next commit. With 2 KiB pages each such frame of the log is
// half as large, so there is less for the checkpoints' fsyncs to flush,
// and the engine's rate with this log rose by about 6 % in esimhooks bench
// (interleaved runs); 1 KiB pages cost more CPU than they saved.
const pageSize = 2048

// walAutocheckpoint is when the writer moves the write-ahead log into the
// database file, in pages (64 MiB at pageSize): a checkpoint ends with two
// fsyncs, which stall every write for milliseconds on a virtual disk, and
// fewer, larger checkpoints cost less in all (esimhooks bench: about 4 %).
const walAutocheckpoint = 32000

// busyTimeoutMS is how long a connection waits for a lock another process
// holds before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is a engine.Store in an SQLite file. It is safe for concurrent
// use; Close it when done.
type Store struct {
	path string
	w    *sql.DB // migrations and PRAGMA optimize, before and after the writer
	wc   *wconn  // the writer goroutine's connection
	r    *sql.DB // read-only pool

	getEndpoint, listEndpoints, getDelivery, deliveryCursor,
	pending, listAttempts, getDeliveryBySeq, salvageCursor *sql.Stmt // on r

	log      *slog.Logger // where quarantined rows are reported; nil: slog.Default()
	reported onceSet      // the quarantined rows already reported

	reqs       chan *writeReq // to the writer goroutine
	idle       chan *writeReq // upkeep writes, run when the writer is idle (writeIdle)
	writerDone chan struct{}  // closed when the writer has returned
	mu         sync.RWMutex   // guards closed against sends on reqs and idle
	closed     bool

	closeOnce sync.Once
	closeErr  error

	// epVer counts this store's endpoint writes (EndpointsVersion).
	epVer atomic.Uint64

	// The sweep of pruned deliveries' terms (terms.go).
	sweepMu        sync.Mutex
	sweep          termSweep
	sweepAfterOpen bool
}

var (
	_ engine.Store             = (*Store)(nil)
	_ engine.EndpointVersioner = (*Store)(nil)
	_ engine.CommitWaiter      = (*Store)(nil)
)

// Open opens the delivery log at path, creating the file (mode 0600; a file
// that exists keeps its mode) and its schema if needed, and migrating an
// older schema to SchemaVersion. path must name a file: ":memory:" is
// refused, since the write connection and the read pool must share one
// database. A file that is not an SQLite database gives an error that says
// so and names path.
func Open(path string) (*Store, error) {
	ctx := context.Background()
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need the path of a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Create the file before SQLite does, so that it (and the -wal and -shm
	// files, which take its mode) is never readable by others.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // the path is in the message already
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	s := &Store{path: path}
	fail := func(err error) (*Store, error) {
		_ = s.closeDBs(false)
		return nil, openError(path, err)
	}
	uri := "file:" + escapePath(abs) + fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeoutMS)
	if s.w, err = sql.Open("sqlite", uri+fmt.Sprintf("&_pragma=page_size(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(%d)&_txlock=immediate", pageSize, walAutocheckpoint)); err != nil {
		return fail(err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	// Before WAL mode, which would keep it from applying to a new file
	// (see incrementalVacuum).
	if _, err := s.w.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return fail(err)
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fail(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fail(fmt.Errorf("cannot switch to WAL mode (journal_mode is %q)", mode))
	}
	incrementalVacuum(ctx, s.w, path)
	if err := migrate(ctx, s.w); err != nil {
		return fail(err)
	}
	// Keep the query planner's statistics fresh, cheaply, so that it picks
	// the right index when a list combines filters.
	if _, err := s.w.ExecContext(ctx, "PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002"); err != nil {
		return fail(err)
	}
	if s.r, err = sql.Open("sqlite", uri+"&_pragma=query_only(1)"); err != nil {
		return fail(err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.prepare(ctx); err != nil {
		return fail(err)
	}
	if s.wc, err = openWconn(abs); err != nil {
		return fail(err)
	}
	if err := countRows(ctx, s.w, s.wc); err != nil {
		return fail(err)
	}
	if err := loadFacets(ctx, s.w, s.wc); err != nil {
		return fail(err)
	}
	s.sweepAfterOpen = true
	s.reqs = make(chan *writeReq, maxBatch)
	s.idle = make(chan *writeReq)
	s.writerDone = make(chan struct{})
	go s.writer()
	return s, nil
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// WaitsForCommit implements engine.CommitWaiter: every write returns
// once it is committed.
func (s *Store) WaitsForCommit() bool { return true }

// Close waits for the writes in progress, then closes the store; the last
// connection to close checkpoints the WAL into the database file. Writes
// after Close fail. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopWriter()
		_, err := s.w.Exec("PRAGMA optimize")
		if err := errors.Join(err, s.closeDBs(false)); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// stopWriter refuses writes from now on and waits for the writer
// goroutine to finish those queued.
func (s *Store) stopWriter() {
	s.mu.Lock()
	s.closed = true
	close(s.reqs)
	close(s.idle)
	s.mu.Unlock()
	<-s.writerDone
}

// closeDBs closes the writer's connection, the statements, then the read
// pool, then s.w. With noCheckpoint, the writer's connection closes last
// instead, told not to checkpoint the write-ahead log (it is then the
// database's last connection, the one that would): see discard.
func (s *Store) closeDBs(noCheckpoint bool) error {
	var errs []error
	if s.wc != nil && !noCheckpoint {
		errs = append(errs, s.wc.close())
	}
	for _, st := range []*sql.Stmt{
		s.getEndpoint, s.listEndpoints, s.getDelivery, s.deliveryCursor, s.pending, s.listAttempts,
		s.getDeliveryBySeq, s.salvageCursor,
	} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, db := range []*sql.DB{s.r, s.w} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if s.wc != nil && noCheckpoint {
		errs = append(errs, s.wc.skipCheckpointOnClose(), s.wc.close())
	}
	return errors.Join(errs...)
}

// prepare prepares the reads on s.r.
func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		db  *sql.DB
		st  **sql.Stmt
		sql string
	}{
		{s.r, &s.getEndpoint, `SELECT ` + endpointCols + ` FROM endpoints WHERE id = ?`},
		{s.r, &s.listEndpoints, `SELECT ` + endpointCols + ` FROM endpoints ORDER BY created_at, id`},
		{s.r, &s.getDelivery, `SELECT ` + deliveryRead + ` FROM deliveries WHERE id = ?`},
		{s.r, &s.deliveryCursor, `SELECT created_at FROM deliveries WHERE id = ?`},
		{s.r, &s.pending, `SELECT ` + deliveryRead + ` FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending' ORDER BY next_attempt_at, seq`},
		{s.r, &s.listAttempts, listAttemptsSQL},
		{s.r, &s.getDeliveryBySeq, `SELECT ` + deliveryRead + ` FROM deliveries WHERE seq = ?`},
		// A scan of the index alone, for a cursor whose row is damaged.
		{s.r, &s.salvageCursor, `SELECT created_at FROM deliveries INDEXED BY deliveries_created WHERE id = ?`},
	} {
		st, err := p.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.st = st
	}
	return nil
}

// fail wraps err from operation op (such as `get delivery "d_1"`) with the
// store's path.
func (s *Store) fail(op string, err error) error {
	return fmt.Errorf("sqlite: %s (%s): %w", op, s.path, err)
}

// openError wraps an error from Open, saying in words when the file is not
// an SQLite database at all or is damaged.
func openError(path string, err error) error {
	var e *sqlitedrv.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case 26: // SQLITE_NOTADB
			return fmt.Errorf("sqlite: open %s: not an SQLite database: %w", path, err)
		case 11: // SQLITE_CORRUPT
			return fmt.Errorf("sqlite: open %s: the database file is corrupt: %w", path, err)
		}
	}
	return fmt.Errorf("sqlite: open %s: %w", path, err)
}

// escapePath escapes the characters that would end or alter the path part of
// an SQLite "file:" URI.
func escapePath(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:/C:/dir/log.db
	}
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}
