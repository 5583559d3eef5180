package wire

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxAnswerHeader bounds how much of a receiver's answer, status line and
// headers, the plaintext sender reads before giving up on it.
const maxAnswerHeader = 1 << 20

// idleReuse is how long a kept connection may sit idle and still be used:
// receivers close idle connections on their own schedule (Node.js after
// 5 s), and a request written into a connection the receiver is closing
// is lost.
const idleReuse = 2 * time.Second

// h1Pool sends plaintext HTTP/1.1 requests on the calling goroutine:
// the standard library writes the request (http.Request.Write) and parses
// the answer (http.ReadResponse), and kept-alive connections are reused
// per host. It is what a Sender with its own transport uses for http://
// URLs that no proxy applies to (the engine's usual local receivers): net/http's Transport hands every request to two goroutines
// of its own (a writer and a reader per connection), which costs about as
// much CPU as everything else an attempt does. https:// and proxied
// endpoints go through the Transport (HTTP/2, TLS session reuse, proxies).
type h1Pool struct {
	maxIdle int
	dialer  net.Dialer

	mu     sync.RWMutex
	hosts  map[string]*h1Host // by host:port
	closed bool
}

// h1Host holds the kept connections to one host:port under a lock of its
// own: the attempts to one endpoint (a duplicate storm's hundreds a
// second) never make another endpoint's attempts wait for the pool.
type h1Host struct {
	mu     sync.Mutex
	idle   []*h1Conn // most recently used last
	closed bool
}

// h1Conn is one kept-alive connection with its buffers.
type h1Conn struct {
	net.Conn
	lr     *limitReader
	probe  *aliveProbe
	br     *bufio.Reader
	bw     *bufio.Writer
	tw     tolerantWriter // under bw: see answerAfterWriteError
	idleAt time.Time
}

// limitReader reads from a connection until n bytes have been read, then
// fails with errAnswerTooLong; the sender resets it for every answer
// (reset). It remembers the connection's last error and whether a line
// end has arrived, so a status line cut short by the deadline is told
// apart from a malformed one (textproto hands the partial line on as if
// it were whole).
type limitReader struct {
	r io.Reader
	n int64
	// err is the connection's last read error; lineEnd is whether a '\n'
	// has been read since reset.
	err     error
	lineEnd bool
}

// reset starts counting a new answer.
func (l *limitReader) reset() { l.n, l.err, l.lineEnd = maxAnswerHeader, nil, false }

// received says how much of the answer's head arrived, for a timeout's
// message.
func (l *limitReader) received() string {
	got := maxAnswerHeader - l.n
	if !l.lineEnd {
		return fmt.Sprintf("%d bytes of the status line received", got)
	}
	return fmt.Sprintf("%d bytes of the status line and headers received", got)
}

var errAnswerTooLong = errors.New("the answer's status line and headers exceed 1 MiB")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errAnswerTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil {
		l.err = err
	}
	if !l.lineEnd && bytes.IndexByte(p[:n], '\n') >= 0 {
		l.lineEnd = true
	}
	return n, err
}

func newH1Pool(maxIdle int) *h1Pool {
	return &h1Pool{
		maxIdle: maxIdle,
		dialer:  net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		hosts:   map[string]*h1Host{},
	}
}

// host returns addr's connections, made on first use.
func (p *h1Pool) host(addr string) *h1Host {
	p.mu.RLock()
	h := p.hosts[addr]
	p.mu.RUnlock()
	if h != nil {
		return h
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h = p.hosts[addr]; h == nil {
		h = &h1Host{closed: p.closed}
		p.hosts[addr] = h
	}
	return h
}

// hostPort returns u's host with the scheme's default port added.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// get returns a kept connection to addr that is still usable, or dials a
// new one.
func (p *h1Pool) get(ctx context.Context, addr string, deadline time.Time) (c *h1Conn, err error) {
	now := time.Now()
	h := p.host(addr)
	h.mu.Lock()
	for len(h.idle) > 0 {
		c = h.idle[len(h.idle)-1]
		h.idle[len(h.idle)-1] = nil
		h.idle = h.idle[:len(h.idle)-1]
		if now.Sub(c.idleAt) <= idleReuse && c.br.Buffered() == 0 {
			break
		}
		c.Close()
		c = nil
	}
	h.mu.Unlock()
	if c != nil && c.probe.check() {
		return c, nil
	}
	if c != nil {
		c.Close()
	}
	d := p.dialer
	if !deadline.IsZero() {
		d.Deadline = deadline
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	lr := &limitReader{r: conn}
	c = &h1Conn{Conn: conn, lr: lr, probe: newAliveProbe(conn), br: bufio.NewReaderSize(lr, 4096)}
	c.tw.w = conn
	c.bw = bufio.NewWriterSize(&c.tw, 4096)
	return c, nil
}

// put keeps c for reuse, or closes it when the pool is full or closed.
func (p *h1Pool) put(addr string, c *h1Conn) {
	c.idleAt = time.Now()
	h := p.host(addr)
	h.mu.Lock()
	if !h.closed && len(h.idle) < p.maxIdle {
		h.idle = append(h.idle, c)
		c = nil
	}
	h.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// close closes the idle connections; connections in use are closed by
// their senders when they finish.
func (p *h1Pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, h := range p.hosts {
		h.mu.Lock()
		h.closed = true
		for _, c := range h.idle {
			c.Close()
		}
		h.idle = nil
		h.mu.Unlock()
	}
}

// send makes one attempt on the calling goroutine: dial or reuse, write,
// read the answer and at most MaxResponseBody bytes of its body, all
// before deadline (zero: none beyond ctx). See Request.Cut for cut.
func (p *h1Pool) send(ctx context.Context, method string, u *url.URL, h http.Header, body []byte, deadline time.Time, cut bool, start time.Time) Result {
	addr := hostPort(u)
	fail := func(err error) Result {
		r := Result{Latency: time.Since(start), Cause: h1Cause(ctx, err)}
		r.ErrKind, r.Err = classifyH1(ctx, err)
		r.Unreachable = unreachable(err)
		return r
	}
	// Refuse what net/http's Transport refuses: a header that would break
	// the request's framing.
	if err := CheckHeaders(h); err != nil {
		return Result{ErrKind: ErrKindOther, Err: "bad request: " + err.Error(), Latency: time.Since(start), Cause: err}
	}
	c, err := p.get(ctx, addr, deadline)
	if err != nil {
		return fail(err)
	}
	keep := false
	var stop func() bool
	defer func() {
		// A cancellation that fired, or is firing, may set a deadline in
		// the past at any moment: such a connection is not reused.
		if stop != nil && !stop() {
			keep = false
		}
		if keep {
			p.put(addr, c)
		} else {
			c.Close()
		}
	}()
	if err := c.SetDeadline(deadline); err != nil {
		return fail(err)
	}
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	}
	c.lr.reset()
	if err := writeRequest(c.bw, method, u, h, body); err != nil {
		return fail(err)
	}
	if cut {
		if _, err := c.br.Peek(1); err != nil {
			return fail(err)
		}
		// The answer, if any, is treated as lost: that is the point.
		return Result{ErrKind: ErrKindCut, Err: errCut.Error(), Latency: time.Since(start), Cause: errCut}
	}
	resp, err := readAnswer(c.br)
	if err != nil {
		// A deadline that cut the head short is a timeout, whatever the
		// parser made of the partial line.
		var ne net.Error
		if errors.As(c.lr.err, &ne) && ne.Timeout() {
			r := fail(c.lr.err)
			r.Err = strings.Replace(r.Err, "no answer within the ack deadline", "no answer within the ack deadline ("+c.lr.received()+")", 1)
			return r
		}
		return fail(err)
	}
	r := Result{Status: resp.StatusCode, Header: resp.Header}
	// The body may be as long as it likes: only MaxResponseBody+1 bytes of
	// it (plus chunk framing, bounded by the same limit) are ever read.
	c.lr.reset()
	r.Body, r.Truncated, err = ReadLimited(resp.Body, MaxResponseBody)
	r.Latency = time.Since(start)
	switch {
	case err != nil:
		kind, msg := classifyH1(ctx, err)
		r.ErrKind, r.Err, r.Cause = kind, "reading the answer: "+msg, h1Cause(ctx, err)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.ErrKind, r.Err = ErrKindRedirect, notFollowed(resp)
	}
	// Only a connection whose answer was read to its end is reused; never
	// drain the rest of a long one.
	keep = err == nil && !r.Truncated && !resp.Close && ctx.Err() == nil && !c.tw.failed.Load()
	return r
}

// writeRequest writes a request of body to u with headers h, as
// http.Request.Write would (request line, Host, Content-Length unless an
// empty body goes with a method that has none, then the headers sorted by
// name, values cleaned of line breaks), and flushes it. method is not HEAD
// (readAnswer would wait for a body).
// h must not carry Host, Content-Length, Transfer-Encoding or Trailer:
// those are not written.
func writeRequest(bw *bufio.Writer, method string, u *url.URL, h http.Header, body []byte) error {
	bw.WriteString(method)
	bw.WriteString(" ")
	bw.WriteString(u.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(hostHeader(u.Host))
	bw.WriteString("\r\n")
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(len(body)), 10))
		bw.WriteString("\r\n")
	}
	writeHeaders(bw, h)
	bw.WriteString("\r\n")
	bw.Write(body)
	return bw.Flush()
}

// writeHeaders writes h but its framing headers as http.Header.WriteSubset
// does (sorted by name, line breaks in values turned to spaces, then the
// values trimmed), without its sorter and replacer: it is called for every
// attempt, and a duplicate storm makes thousands a second.
func writeHeaders(bw *bufio.Writer, h http.Header) {
	var buf [16]string
	names := buf[:0]
	for k := range h {
		if !framingHeaders[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(textproto.TrimString(v))
			bw.WriteString("\r\n")
		}
	}
}

// newlineToSpace is what http.Header.Write makes of line breaks in values.
var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// hostHeader is host without an IPv6 zone ("[fe80::1%eth0]:80" becomes
// "[fe80::1]:80"), which has no place in a Host header.
func hostHeader(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i, j := strings.IndexByte(host, '%'), strings.LastIndexByte(host, ']')
	if i < 0 || j < i {
		return host
	}
	return host[:i] + host[j:]
}

// framingHeaders are written by writeRequest itself, never from h.
var framingHeaders = map[string]bool{"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Trailer": true}

// readAnswer reads the final answer to a POST, skipping interim 1xx ones.
func readAnswer(br *bufio.Reader) (*http.Response, error) {
	for range 16 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			if resp.StatusCode == http.StatusSwitchingProtocols {
				return nil, fmt.Errorf("malformed HTTP answer: 101 Switching Protocols to a POST that asked for no upgrade")
			}
			return resp, nil
		}
	}
	return nil, errors.New("malformed HTTP answer: more than 16 interim 1xx answers")
}

// classifyH1 is classify for the plaintext sender, whose timeouts are
// connection deadlines rather than a context's.
func classifyH1(ctx context.Context, err error) (kind, msg string) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
		return ErrKindTimeout, "no answer within the ack deadline: " + err.Error()
	}
	if errors.Is(err, errAnswerTooLong) {
		return ErrKindProtocol, err.Error()
	}
	if ctx.Err() != nil {
		return classify(ctx, ctx.Err())
	}
	return classify(ctx, err)
}
