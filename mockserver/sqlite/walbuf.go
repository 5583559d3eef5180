package sqlite

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The writer's connection opens the database through walbufVFS, a shim
// over SQLite's default VFS that changes one thing: the frames a commit
// appends to the write-ahead log reach the file in one write(2), not two
// each (a 24-byte frame header, then the page). A commit of a batch of
// deliveries appends some 50 frames, and the hundred pwrite calls took a
// third of the writer's CPU time (BenchmarkWriterBatch; modernc.org's libc
// adds its own cost to each system call).
//
// The shim collects the writes that extend the log contiguously and writes
// them out when the transaction's commit frame has been written: SQLite
// writes each frame as its 24-byte header, then its page, and the header of
// a commit frame holds the database's size after the commit, nonzero (the
// WAL format, https://sqlite.org/fileformat2.html#walformat), where every
// other frame's holds 0. So the write of the commit frame's page returns
// only once every frame of the transaction is in the file (the page cache),
// as without the shim, and before SQLite publishes the commit to other
// connections in the shared WAL index: durability and readers are
// unchanged. Any other access to the log (a read, a write elsewhere, a sync,
// a truncate, its size, a file control, closing it) writes what is
// collected first. If the process dies while frames are collected, they
// belonged to a transaction that had not committed, which SQLite would
// ignore anyway.

// walbufVFSName is the name walbufVFS is registered under.
const walbufVFSName = "esimhooks-walbuf"

// walbufFile is the shim's sqlite3_file for a log: its methods, the
// collected frames, then the base VFS's file. Other files are the base
// VFS's own, opened in place.
type walbufFile struct {
	methods uintptr // sqlite3_io_methods*: walbufMethods
	buf     uintptr // collected bytes (C memory), to be written at off
	off     int64
	n       int64 // bytes collected
	size    int64 // bytes allocated at buf
	commit  int64 // 1: the last write was a commit frame's header
	end     int64 // where the last frame written or collected ends
}

// walbufCommits counts the commits whose frames walbufWrite wrote out at
// their commit frame (for the tests).
var walbufCommits atomic.Int64

// walbufHeader is where the base file starts within a walbufFile.
const walbufHeader = unsafe.Sizeof(walbufFile{})

var (
	walbufOnce sync.Once
	walbufErr  error
	// walbufBase is the base VFS; walbufMethods, the methods of a log.
	walbufBase    uintptr
	walbufMethods uintptr
)

// registerWalbuf registers walbufVFS, once.
func registerWalbuf() error {
	walbufOnce.Do(func() { walbufErr = doRegisterWalbuf() })
	return walbufErr
}

func doRegisterWalbuf() error {
	tls := libc.NewTLS()
	defer tls.Close()
	walbufBase = sqlite3.Xsqlite3_vfs_find(tls, 0)
	if walbufBase == 0 {
		return fmt.Errorf("no default SQLite VFS")
	}
	base := (*sqlite3.Tsqlite3_vfs)(cptr(walbufBase))
	vfs := libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	m := libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
	name, err := libc.CString(walbufVFSName)
	if vfs == 0 || m == 0 || err != nil {
		return fmt.Errorf("register the SQLite VFS %s: out of memory", walbufVFSName)
	}
	v := (*sqlite3.Tsqlite3_vfs)(cptr(vfs))
	*v = *base
	v.FpNext = 0
	v.FzName = name
	v.FszOsFile = base.FszOsFile + int32(walbufHeader)
	*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&v.FxOpen)) = walbufOpen

	// Version 1: a log is never memory-mapped, nor has a shared-memory
	// index of its own (the database file has).
	mt := (*sqlite3.Tsqlite3_io_methods)(cptr(m))
	mt.FiVersion = 1
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&mt.FxClose)) = walbufClose
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&mt.FxRead)) = walbufRead
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&mt.FxWrite)) = walbufWrite
	*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&mt.FxTruncate)) = walbufTruncate
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&mt.FxSync)) = walbufSync
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&mt.FxFileSize)) = walbufFileSize
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&mt.FxLock)) = walbufLock
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&mt.FxUnlock)) = walbufUnlock
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&mt.FxCheckReservedLock)) = walbufCheckReservedLock
	*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&mt.FxFileControl)) = walbufFileControl
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&mt.FxSectorSize)) = walbufSectorSize
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&mt.FxDeviceCharacteristics)) = walbufDeviceCharacteristics
	walbufMethods = m
	if rc := sqlite3.Xsqlite3_vfs_register(tls, vfs, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("register the SQLite VFS %s: error %d", walbufVFSName, rc)
	}
	return nil
}

// walbufOpen opens a log with the base VFS behind a walbufFile, and any
// other file with the base VFS in place.
func walbufOpen(tls *libc.TLS, _, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	base := (*sqlite3.Tsqlite3_vfs)(cptr(walbufBase))
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&base.FxOpen))
	if flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return open(tls, walbufBase, zName, pFile, flags, pOutFlags)
	}
	f := (*walbufFile)(cptr(pFile))
	*f = walbufFile{}
	rc := open(tls, walbufBase, zName, pFile+walbufHeader, flags, pOutFlags)
	if rc == sqlite3.SQLITE_OK && (*sqlite3.Tsqlite3_file)(cptr(pFile+walbufHeader)).FpMethods != 0 {
		f.methods = walbufMethods
	}
	return rc
}

// baseFile returns the base file of pFile and its methods.
func baseFile(pFile uintptr) (uintptr, *sqlite3.Tsqlite3_io_methods) {
	p := pFile + walbufHeader
	return p, (*sqlite3.Tsqlite3_io_methods)(cptr((*sqlite3.Tsqlite3_file)(cptr(p)).FpMethods))
}

// realWrite writes with the base file's xWrite.
func realWrite(tls *libc.TLS, pFile, buf uintptr, n int32, off int64) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)))(tls, p, buf, n, off)
}

// walbufFlush writes the collected bytes, in writes of up to walbufChunk.
func walbufFlush(tls *libc.TLS, pFile uintptr) int32 {
	f := (*walbufFile)(cptr(pFile))
	f.commit = 0
	n := f.n
	f.n = 0
	rc := int32(sqlite3.SQLITE_OK)
	for done := int64(0); done < n && rc == sqlite3.SQLITE_OK; done += walbufChunk {
		rc = realWrite(tls, pFile, f.buf+uintptr(done), int32(min(n-done, walbufChunk)), f.off+done)
	}
	if f.size > walbufKeep { // a large transaction's: not kept
		libc.Xfree(tls, f.buf)
		f.buf, f.size = 0, 0
	}
	return rc
}

// walbufKeep is the most memory a log keeps for collecting frames between
// transactions.
const walbufKeep = 1 << 20

// walbufChunk is the most one write of walbufFlush writes: the unix VFS
// takes at most 128 KiB - 1 at a time (seekAndWriteFd).
const walbufChunk = 96 << 10

// The log's header and a frame's header, in bytes.
const (
	walHeader      = 32
	walFrameHeader = 24
)

// walbufMax is the most a log collects: a larger transaction is written
// as it goes.
const walbufMax = 16 << 20

func walbufWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := (*walbufFile)(cptr(pFile))
	end := iOfst + int64(iAmt)
	if iOfst < walHeader || iOfst < f.end || int64(iAmt) > walbufKeep ||
		f.n > 0 && iOfst != f.off+f.n || f.n+int64(iAmt) > walbufMax {
		// Not a frame appended: the log's header (it restarts), a frame
		// written again in place (a page the transaction wrote before,
		// a checksum rewritten after the commit frame); or a large
		// write or transaction. Written at once, after what is collected.
		if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
		if iOfst < walHeader {
			f.end = end
		} else {
			f.end = max(f.end, end)
		}
		return realWrite(tls, pFile, zBuf, iAmt, iOfst)
	}
	if f.n+int64(iAmt) > f.size {
		size := min(max(2*f.size, f.n+int64(iAmt), 64<<10), walbufMax)
		p := libc.Xrealloc(tls, f.buf, libc.Tsize_t(size))
		if p == 0 {
			return sqlite3.SQLITE_IOERR_NOMEM
		}
		f.buf, f.size = p, size
	}
	if f.n == 0 {
		f.off = iOfst
	}
	libc.Xmemcpy(tls, f.buf+uintptr(f.n), zBuf, libc.Tsize_t(iAmt))
	f.n += int64(iAmt)
	f.end = end
	switch {
	case f.commit == 1:
		// The commit frame's page: the transaction is complete.
		walbufCommits.Add(1)
		return walbufFlush(tls, pFile)
	case iAmt == walFrameHeader && binary.BigEndian.Uint32(unsafe.Slice((*byte)(cptr(zBuf)), walFrameHeader)[4:8]) != 0:
		f.commit = 1
	}
	return sqlite3.SQLITE_OK
}

func walbufClose(tls *libc.TLS, pFile uintptr) int32 {
	f := (*walbufFile)(cptr(pFile))
	rc := walbufFlush(tls, pFile)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf, f.size = 0, 0
	}
	p, m := baseFile(pFile)
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)))(tls, p); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walbufRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)))(tls, p, zBuf, iAmt, iOfst)
}

func walbufTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)))(tls, p, size)
}

func walbufSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)))(tls, p, flags)
}

func walbufFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)))(tls, p, pSize)
}

func walbufLock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxLock)))(tls, p, lock)
}

func walbufUnlock(tls *libc.TLS, pFile uintptr, lock int32) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxUnlock)))(tls, p, lock)
}

func walbufCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxCheckReservedLock)))(tls, p, pResOut)
}

func walbufFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walbufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)))(tls, p, op, pArg)
}

func walbufSectorSize(tls *libc.TLS, pFile uintptr) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxSectorSize)))(tls, p)
}

func walbufDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	p, m := baseFile(pFile)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)))(tls, p)
}

// walbufPending returns how many bytes the writer's log has collected
// and not written: 0 after every commit (wconn.inTx checks it).
func walbufPending(pFile uintptr) int64 {
	if pFile == 0 || (*walbufFile)(cptr(pFile)).methods != walbufMethods {
		return 0
	}
	return (*walbufFile)(cptr(pFile)).n
}

// cptr converts the C address p to a Go pointer. (C memory is not moved
// by the garbage collector; the indirection keeps go vet's unsafeptr
// check, which cannot know that p is C memory, quiet.)
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }
