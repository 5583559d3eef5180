package wire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// classify maps a transport error to an ErrKind and a message that never
// carries the request's headers or URL credentials.
func classify(ctx context.Context, err error) (kind, msg string) {
	msg = err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	var (
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		unkAuth  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invErr   x509.CertificateInvalidError
		netErr   net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ErrKindTimeout, "no answer within the ack deadline: " + msg
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alertErr),
		errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &invErr),
		strings.Contains(msg, "tls: "):
		return ErrKindTLS, msg
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrKindRefused, msg
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		strings.Contains(msg, "server closed idle connection"),
		strings.Contains(msg, "connection reset"):
		return ErrKindReset, msg
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME"),
		strings.Contains(msg, "invalid") && strings.Contains(msg, "header"),
		strings.Contains(msg, "bogus"), strings.Contains(msg, "HTTP/1.x transport connection broken"),
		strings.Contains(msg, "unexpected") && strings.Contains(msg, "HTTP"):
		return ErrKindProtocol, msg
	case errors.As(err, &netErr) && netErr.Timeout():
		return ErrKindTimeout, msg
	}
	return ErrKindOther, msg
}

// unreachable reports whether err is a failure to resolve or dial.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns)
}

// RedactURL returns the URL s fit for a log line or an error message:
// without user info, query or fragment, which may carry a receiver's
// credentials (a query becomes "?redacted", so that one is seen to have
// been there).
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// Error kinds of a failed attempt (Result.ErrKind).
const (
	ErrKindTimeout  = "timeout"
	ErrKindRefused  = "refused"
	ErrKindTLS      = "tls"
	ErrKindRedirect = "redirect"
	ErrKindReset    = "reset"
	ErrKindCut      = "cut" // the sender cut the connection on purpose (Cut)
	ErrKindProtocol = "protocol"
	ErrKindOther    = "other"
)
