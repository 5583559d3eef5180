package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtID names one of the writer's prepared statements.
type stmtID int

// The writer's statements, in the order of writeSQL.
const (
	stBegin stmtID = iota
	stCommit
	stRollback
	stPutEndpoint
	stDeleteEndpoint
	stInsertDelivery
	stUpdateDelivery
	stUpdateAttempt
	stUpsertDelivery
	stKeepAttemptBodies
	stPutAttempt
	stSetSummary
	stQuarantineDelivery
	stInsertAttempt
	stPruneSelect
	stPruneAttempts
	stPruneDeliveries
	stPruneClear
	stIncrementalVacuum
	stInsertTerm
	stInsertFacet
	stDeleteTerms
	stSweepTerms
	stSweepTermsTail
	numStmts
)

// writeSQL holds the text of each stmtID.
var writeSQL = [numStmts]string{
	stBegin:             "BEGIN IMMEDIATE",
	stCommit:            "COMMIT",
	stRollback:          "ROLLBACK",
	stPutEndpoint:       upsertEndpointSQL,
	stDeleteEndpoint:    `DELETE FROM endpoints WHERE id = ?`,
	stInsertDelivery:    insertDeliverySQL,
	stUpdateDelivery:    updateDeliverySQL,
	stUpdateAttempt:     updateAttemptSQL,
	stUpsertDelivery:    upsertDeliverySQL,
	stKeepAttemptBodies: keepAttemptBodiesSQL,
	stPutAttempt:        upsertAttemptSQL,
	stSetSummary:        setSummarySQL,
	// The state changes in place: deliveries_created holds it too.
	stQuarantineDelivery: `UPDATE deliveries SET state = 'quarantined' WHERE id = ? AND state != 'quarantined'`,
	// Retention (retention.go).
	stInsertAttempt:     insertAttemptSQL,
	stPruneSelect:       pruneSelectSQL,
	stPruneAttempts:     pruneAttemptsSQL,
	stPruneDeliveries:   pruneDeliveriesSQL,
	stPruneClear:        pruneClearSQL,
	stIncrementalVacuum: incrementalVacuumSQL,
	// Search (terms.go).
	stInsertTerm:     insertTermSQL,
	stInsertFacet:    insertFacetSQL,
	stDeleteTerms:    deleteTermsSQL,
	stSweepTerms:     sweepTermsSQL,
	stSweepTermsTail: sweepTermsTailSQL,
}

// wconnPragmas configure the writer's connection: wconn.go's copy of what
// the DSN of s.w asks for, then its temporary tables, kept in memory.
var wconnPragmas = []string{
	"PRAGMA foreign_keys = ON",
	"PRAGMA synchronous = NORMAL",
	"PRAGMA wal_autocheckpoint = " + strconv.Itoa(walAutocheckpoint),
	"PRAGMA temp_store = MEMORY",
	"CREATE TEMP TABLE prune_seqs (seq INTEGER PRIMARY KEY)", // retention.go
}

// wconn is the writer goroutine's connection to the database, opened
// through SQLite's C API (as transpiled by modernc.org/sqlite) rather than
// through database/sql or the driver, with every write statement prepared
// once. database/sql and the driver added some 40% to the CPU time of a
// write (BenchmarkWriterBatch): a Stmt per transaction, locks, a C string
// allocated and freed per text argument, a result object per statement.
// Here the text and blob arguments of a statement share one C buffer,
// bound without a copy, and a statement costs a call per argument, a step
// and a reset. Only the writer goroutine uses a wconn, after Open.
type wconn struct {
	tls   *libc.TLS
	db    uintptr // sqlite3*
	stmts [numStmts]uintptr
	text  []byte // the text and blob arguments of exec, end to end

	// rows counts the deliveries and attempts on file, as of the last
	// commit; tx counts the changes of the transaction in progress.
	rows fileCounts
	tx   rowCounts

	// facets are the rows of delivery_facets as of the last commit;
	// txFacets, those the transaction in progress adds.
	facets   map[facet]struct{}
	txFacets []facet

	// walPtr is C memory to ask for the log's sqlite3_file (walWritten).
	walPtr uintptr
}

// openWconn opens the database file at path, which must exist, and
// prepares the write statements.
func openWconn(path string) (c *wconn, err error) {
	c = &wconn{tls: libc.NewTLS(), facets: make(map[facet]struct{})}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.close())
		}
	}()
	if c.walPtr, err = c.malloc(ptrSize); err != nil {
		return nil, err
	}
	cpath, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, cpath)
	pdb, err := c.malloc(ptrSize)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, pdb)
	if err := registerWalbuf(); err != nil {
		return nil, err
	}
	cvfs, err := libc.CString(walbufVFSName)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, cvfs)
	const flags = sqlite3.SQLITE_OPEN_READWRITE | sqlite3.SQLITE_OPEN_NOMUTEX | sqlite3.SQLITE_OPEN_EXRESCODE
	rc := sqlite3.Xsqlite3_open_v2(c.tls, cpath, pdb, flags, cvfs)
	c.db = readPtr(pdb)
	if rc != sqlite3.SQLITE_OK {
		return nil, c.lastError(rc)
	}
	if rc := sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, busyTimeoutMS); rc != sqlite3.SQLITE_OK {
		return nil, c.lastError(rc)
	}
	for _, q := range wconnPragmas {
		st, err := c.prepare(q, 0)
		if err != nil {
			return nil, err
		}
		_, err = c.run(st, nil)
		if rc := sqlite3.Xsqlite3_finalize(c.tls, st); err == nil && rc != sqlite3.SQLITE_OK {
			err = c.lastError(rc)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	for id, q := range writeSQL {
		if c.stmts[id], err = c.prepare(q, sqlite3.SQLITE_PREPARE_PERSISTENT); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// prepare compiles the single statement q.
func (c *wconn) prepare(q string, flags uint32) (uintptr, error) {
	cq, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, cq)
	pst, err := c.malloc(ptrSize)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, pst)
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, cq, -1, flags, pst, 0); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("prepare %q: %w", q, c.lastError(rc))
	}
	return readPtr(pst), nil
}

// exec runs statement id with args, each an int64, a string, a []byte (nil
// for NULL) or nil, and returns the number of rows it changed.
func (c *wconn) exec(id stmtID, args ...any) (int64, error) {
	return c.run(c.stmts[id], args)
}

// run binds args to statement st, steps it to the end and resets it.
func (c *wconn) run(st uintptr, args []any) (changes int64, err error) {
	// The text and blob arguments go to SQLite in one C buffer, bound as
	// SQLITE_STATIC: SQLite reads them in place during the step. After
	// the reset, the statement's bindings point into freed memory; SQLite
	// reads bindings only when it steps, and the next run binds every
	// parameter again first.
	// Every parameter is bound on every run: one left over would still
	// point into the buffer a previous run freed.
	if n := int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, st)); n != len(args) {
		return 0, fmt.Errorf("the statement has %d parameters, %d arguments given", n, len(args))
	}
	c.text = c.text[:0]
	for _, a := range args {
		switch v := a.(type) {
		case string:
			c.text = append(c.text, v...)
		case []byte:
			c.text = append(c.text, v...)
		}
	}
	if len(c.text) > math.MaxInt32 {
		return 0, fmt.Errorf("%d bytes of arguments: too big for SQLite", len(c.text))
	}
	buf, err := libc.CString(unsafe.String(unsafe.SliceData(c.text), len(c.text)))
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, buf)
	p := buf // never 0: an empty string or blob binds as such, not as NULL
	for i, a := range args {
		n := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, st, n)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, st, n, v)
		case string:
			rc = sqlite3.Xsqlite3_bind_text(c.tls, st, n, p, int32(len(v)), 0)
			p += uintptr(len(v))
		case []byte:
			if v == nil {
				rc = sqlite3.Xsqlite3_bind_null(c.tls, st, n)
				break
			}
			rc = sqlite3.Xsqlite3_bind_blob(c.tls, st, n, p, int32(len(v)), 0)
			p += uintptr(len(v))
		default:
			return 0, fmt.Errorf("argument %d: cannot bind a %T", n, a)
		}
		if rc != sqlite3.SQLITE_OK {
			return 0, fmt.Errorf("argument %d: %w", n, c.lastError(rc))
		}
	}
	rc := sqlite3.Xsqlite3_step(c.tls, st)
	for rc == sqlite3.SQLITE_ROW { // a statement that returns rows runs to its end
		rc = sqlite3.Xsqlite3_step(c.tls, st)
	}
	if rc == sqlite3.SQLITE_DONE {
		changes = int64(sqlite3.Xsqlite3_changes(c.tls, c.db))
	} else {
		err = c.lastError(rc)
	}
	sqlite3.Xsqlite3_reset(c.tls, st)
	return changes, err
}

// inTx runs fn in a transaction and commits it; if fn fails, or the commit
// does, it rolls the transaction back and returns that error.
func (c *wconn) inTx(fn func(c *wconn) error) error {
	if _, err := c.exec(stBegin); err != nil {
		return err
	}
	c.tx = rowCounts{}
	c.txFacets = c.txFacets[:0]
	err := fn(c)
	if err == nil {
		if _, err = c.exec(stCommit); err == nil {
			err = c.walWritten()
		}
		if err == nil {
			c.rows.add(&c.tx)
			for _, f := range c.txFacets {
				c.facets[f] = struct{}{}
			}
			return nil
		}
	}
	// A failed statement may have ended the transaction already.
	if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0 {
		_, _ = c.exec(stRollback)
	}
	return err
}

// walWritten checks, after a commit, that the log holds every frame of
// it: walbufVFS writes them out when SQLite writes the commit frame. If
// frames were still collected (SQLite changed how it writes the log), it
// writes them now and counts it in walLateFlushes.
func (c *wconn) walWritten() error {
	if rc := sqlite3.Xsqlite3_file_control(c.tls, c.db, 0, sqlite3.SQLITE_FCNTL_JOURNAL_POINTER, c.walPtr); rc != sqlite3.SQLITE_OK {
		return c.lastError(rc)
	}
	wal := readPtr(c.walPtr)
	if walbufPending(wal) == 0 {
		return nil
	}
	walLateFlushes.Add(1)
	if rc := walbufFlush(c.tls, wal); rc != sqlite3.SQLITE_OK {
		return c.lastError(rc)
	}
	return nil
}

// walLateFlushes counts the commits whose frames walWritten had to write
// (never, so far: the tests check it).
var walLateFlushes atomic.Int64

// close finalizes the statements and closes the connection, which then
// checkpoints the WAL if it is the database's last.
func (c *wconn) close() error {
	var err error
	for i, st := range c.stmts {
		if st != 0 {
			sqlite3.Xsqlite3_finalize(c.tls, st)
			c.stmts[i] = 0
		}
	}
	if c.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = c.lastError(rc)
		}
		c.db = 0
	}
	if c.walPtr != 0 {
		libc.Xfree(c.tls, c.walPtr)
		c.walPtr = 0
	}
	c.tls.Close()
	return err
}

// sqliteError is an error SQLite reported.
type sqliteError struct {
	code int32 // the extended result code
	msg  string
}

func (e *sqliteError) Error() string { return fmt.Sprintf("%s (%d)", e.msg, e.code) }

// lastError returns the error of the last call on c.db, which returned rc.
func (c *wconn) lastError(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)); m != msg {
			msg += ": " + m
		}
		rc = sqlite3.Xsqlite3_extended_errcode(c.tls, c.db)
	}
	return &sqliteError{code: rc, msg: msg}
}

// ptrSize is the size of a C pointer.
const ptrSize = strconv.IntSize / 8

// malloc allocates n bytes of C memory.
func (c *wconn) malloc(n int) (uintptr, error) {
	if p := libc.Xmalloc(c.tls, libc.Tsize_t(n)); p != 0 {
		return p, nil
	}
	return 0, fmt.Errorf("cannot allocate %d bytes", n)
}

// readPtr returns the C pointer stored at p.
func readPtr(p uintptr) uintptr {
	b := libc.GoBytes(p, ptrSize)
	if ptrSize == 4 {
		return uintptr(binary.NativeEndian.Uint32(b))
	}
	return uintptr(binary.NativeEndian.Uint64(b))
}
