//go:build unix

package wire

import (
	"errors"
	"net"
	"syscall"
)

// aliveProbe tells whether a kept-alive connection can take a request:
// the peer has neither closed it nor sent anything unasked. It peeks
// without blocking, so a check costs one system call. It is made once per
// connection, so that the check before every reuse allocates nothing.
type aliveProbe struct {
	rc     syscall.RawConn // nil: not a socket (always alive)
	broken bool            // its raw connection could not be had
	alive  bool
	buf    [1]byte
	peek   func(fd uintptr) bool
}

func newAliveProbe(c net.Conn) *aliveProbe {
	p := &aliveProbe{}
	if sc, ok := c.(syscall.Conn); ok {
		rc, err := sc.SyscallConn()
		p.rc, p.broken = rc, err != nil
	}
	p.peek = p.peekFD
	return p
}

func (p *aliveProbe) peekFD(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// Nothing to read yet is the only good answer: 0 bytes is the peer's
	// close, and bytes are an answer to no request.
	p.alive = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
	return true
}

// check reports whether the connection is still usable.
func (p *aliveProbe) check() bool {
	switch {
	case p.broken:
		return false
	case p.rc == nil:
		return true
	}
	p.alive = false
	return p.rc.Read(p.peek) == nil && p.alive
}
