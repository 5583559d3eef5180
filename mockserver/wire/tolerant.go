package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// A receiver may answer early and close the connection while the request
// body is still being written: a 413 from nginx's client_max_body_size or
// Go's http.MaxBytesReader to a large body, a 401 from a receiver that
// checks the signature header first. A write that fails then ("broken
// pipe", "connection reset") would end the attempt before the answer is
// read, and the outcome would depend on timing. Both of the Sender's
// paths therefore write through a writer that, from the first write the
// peer refused on, reports every write as done and discards the bytes
// (the peer reads no more of them anyway); the answer is then read as
// usual, and where the receiver answered nothing the read fails and says
// the connection was closed or reset. A connection whose write failed is
// never reused.

// tolerantWriter is the write side of a connection whose writes never
// fail once one has because the peer closed or reset it.
type tolerantWriter struct {
	w      io.Writer
	failed atomic.Bool
}

// Write writes p, or discards it once a write has failed because the peer
// closed or reset the connection.
func (t *tolerantWriter) Write(p []byte) (int, error) {
	if t.failed.Load() {
		return len(p), nil
	}
	n, err := t.w.Write(p)
	if err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
		t.failed.Store(true)
		return len(p), nil
	}
	return n, err
}

// tolerantConn is a connection whose writes go through a tolerantWriter;
// reads are untouched. net/http's Transport dials them (answerAfterWriteError).
type tolerantConn struct {
	net.Conn
	tw tolerantWriter
}

func (c *tolerantConn) Write(p []byte) (int, error) { return c.tw.Write(p) }

// answerAfterWriteError wraps a dialer so that its connections are
// tolerantConns: the Transport reads the answer after a failed write.
// (Such a connection may go back to the Transport's idle pool, whose
// reader notices the peer's close and drops it, as for any connection the
// peer closes while idle.)
func answerAfterWriteError(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &tolerantConn{Conn: c}
		tc.tw.w = c
		return tc, nil
	}
}

// h1Cause is the error behind a plaintext attempt's failure, as classifyH1
// sees it: the context's error once it is done (the connection's deadline
// was only its messenger), err otherwise.
func h1Cause(ctx context.Context, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
		return err
	}
	if ctx.Err() != nil && !errors.Is(err, errAnswerTooLong) {
		return ctx.Err()
	}
	return err
}
