//go:build unix

package wire

import (
	"errors"
	"net"
	"syscall"
)

// connAlive reports whether a kept-alive connection can take a request: the
// peer has neither closed it nor sent anything unasked. It peeks without
// blocking, so it costs one system call.
func connAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing to read yet is the only good answer: 0 bytes is the
		// peer's close, and bytes are an answer to no request.
		_ = n
		alive = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && alive
}
