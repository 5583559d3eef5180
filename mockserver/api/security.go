package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// MinTokenLength is the shortest bearer token Config.Token accepts.
const MinTokenLength = 16

// DefaultBodyReadTimeout is the default bound on receiving a request body.
const DefaultBodyReadTimeout = 30 * time.Second

// Exposed reports whether a server listening on addr ("host:port") is
// reachable beyond this machine: any host but a loopback one, so that New
// requires Config.Token.
func Exposed(addr string) bool { return !isLoopback(addr) }

// CheckToken returns why tok cannot be the server's bearer token, or nil.
// An empty token means none. A token has at least MinTokenLength
// characters and no surrounding white space (it is compared exactly as
// configured, so " secret" would never match what a client sends).
func CheckToken(tok string) error {
	switch {
	case tok == "":
		return nil
	case strings.TrimFunc(tok, unicode.IsSpace) != tok:
		return errors.New("the token starts or ends with white space; give it without")
	case strings.ContainsFunc(tok, func(r rune) bool { return r < 0x21 || r == 0x7f }):
		return errors.New("the token has a space or control character; it could not be sent in an Authorization header")
	case len([]rune(tok)) < MinTokenLength:
		return fmt.Errorf("the token has %d characters; at least %d are required (e.g. openssl rand -hex 16)", len([]rune(tok)), MinTokenLength)
	}
	return nil
}

// authorized reports whether r carries the configured bearer token (or no
// token is configured). The value after "Bearer " is compared exactly, in
// the same time whatever its length or content.
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	const prefix = "bearer "
	got := r.Header.Get("Authorization")
	if len(got) < len(prefix) || !strings.EqualFold(got[:len(prefix)], prefix) {
		return false
	}
	return equalSecret(got[len(prefix):], s.cfg.Token)
}

// equalSecret compares two secrets in constant time (whatever their
// lengths).
func equalSecret(got, want string) bool {
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// guard wraps every route with the checks that do not depend on the route:
//
//   - Without a token, the Host header must name a loopback host
//     (localhost, 127.0.0.0/8, [::1], any port) or the configured
//     address's host, so a web page cannot reach the server through DNS
//     rebinding; others get 421.
//   - A request that changes state (any method but GET, HEAD, OPTIONS)
//     sent by a browser from another origin (Sec-Fetch-Site cross-site or
//     same-site, or an Origin other than the server's own) gets 403.
//   - A request body must arrive within the body read timeout; it is read
//     in full (up to the body cap) before the handler runs, and a body
//     that is too slow gets 408 and the connection is closed.
//
// Each refusal counts in esimhooks_refused_requests_total{reason}.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token == "" && !s.allowedHost(r.Host) {
			s.refused.WithLabelValues("host").Inc()
			writeProblem(w, r, problemf(http.StatusMisdirectedRequest, problemMisdirected,
				"this server answers only requests addressed to a loopback host (localhost, 127.0.0.1, [::1]) or %s while it has no token; Host %q is refused so that web pages cannot reach it through DNS rebinding", s.cfg.Addr, r.Host))
			return
		}
		if msg := crossOrigin(r); msg != "" {
			s.refused.WithLabelValues("cross-origin").Inc()
			writeProblem(w, r, newProblem(http.StatusForbidden, problemCrossOrigin, msg))
			return
		}
		if p := s.readBodyInTime(w, r); p != nil {
			if p.Status == http.StatusRequestTimeout {
				s.refused.WithLabelValues("body-timeout").Inc()
			}
			w.Header().Set("Connection", "close")
			writeProblem(w, r, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHost reports whether a Host header names a loopback host or the
// configured address's host (or is absent).
func (s *Server) allowedHost(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: not a browser, which always sends one
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	own, _, err := net.SplitHostPort(s.cfg.Addr)
	return err == nil && own != "" && strings.EqualFold(host, own)
}

// crossOrigin returns why r is a state-changing request a browser sent
// from another origin, or "". Safe methods pass; so do requests without
// the browser's headers (curl, SDKs) and those of the server's own pages
// (Sec-Fetch-Site same-origin, or none for the user's own navigation).
func crossOrigin(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	// Sec-Fetch-Site is the browser's own verdict (and holds behind a proxy
	// that rewrites Host); Origin is the fallback for browsers without it.
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return ""
	case "":
	default:
		return fmt.Sprintf("a %s from another origin (Sec-Fetch-Site: %s) is refused; use the dashboard on this server or a client that is not a browser", r.Method, site)
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || origin == "null" || !strings.EqualFold(u.Host, r.Host) || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Sprintf("a %s from origin %q is refused: only this server's own pages may change its state", r.Method, origin)
	}
	return ""
}

// readBodyInTime reads r's body (at most the body cap and one byte more)
// before the body read timeout and puts it back for the handler, so that
// a client trickling its body cannot hold a connection and a handler
// forever. A body over the cap is left for the handler to refuse in its
// own shape. The read deadline is lifted afterwards: handlers and live
// streams may run as long as they need.
func (s *Server) readBodyInTime(w http.ResponseWriter, r *http.Request) *Problem {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)); err != nil {
		return nil // not a real connection (a test recorder): nothing to bound
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			want := "of the announced size"
			if r.ContentLength > 0 {
				want = fmt.Sprintf("of %d", r.ContentLength)
			}
			return problemf(http.StatusRequestTimeout, problemBodyTimeout,
				"the request body did not arrive within %s (%d bytes %s received)", s.cfg.BodyReadTimeout, len(body), want)
		}
		return fieldProblem("", "body", "the request body could not be read: "+err.Error())
	}
	putBack(r, body)
	if int64(len(body)) <= s.cfg.MaxBodyBytes {
		_ = rc.SetReadDeadline(time.Time{})
	}
	// A body over the cap is refused by the handler (413) without reading
	// much more; the deadline stays for what it reads.
	return nil
}
