package sqlite

import (
	"encoding/binary"
	"strings"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// TestWconnRefusesMissingArguments: a statement run with fewer arguments
// than it has parameters is refused before anything is bound, so no
// parameter is left pointing into a freed buffer.
func TestWconnRefusesMissingArguments(t *testing.T) {
	_, path := openTemp(t)
	c, err := openWconn(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if _, err := c.exec(stDeleteEndpoint); err == nil || !strings.Contains(err.Error(), "1 parameters, 0 arguments") {
		t.Fatalf("exec without arguments: %v", err)
	}
	if n, err := c.exec(stDeleteEndpoint, "nope"); err != nil || n != 0 {
		t.Fatalf("exec with its argument: %d rows, %v", n, err)
	}
}

// pagesWritten returns how many pages c has written to the write-ahead log
// since it opened (SQLITE_DBSTATUS_CACHE_WRITE): what a commit costs in
// write(2)s and log, one frame a page.
func (c *wconn) pagesWritten(tb testing.TB) int64 {
	tb.Helper()
	p, err := c.malloc(8)
	if err != nil {
		tb.Fatal(err)
	}
	defer libc.Xfree(c.tls, p)
	if rc := sqlite3.Xsqlite3_db_status(c.tls, c.db, sqlite3.SQLITE_DBSTATUS_CACHE_WRITE, p, p+4, 0); rc != sqlite3.SQLITE_OK {
		tb.Fatal(c.lastError(rc))
	}
	return int64(int32(binary.NativeEndian.Uint32(libc.GoBytes(p, 4))))
}
