package conformance

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
)

// bigBodySize is ROB-004's body: 5 MiB.
const bigBodySize = 5 << 20

// describeRobustness declares ROB-003..005: hostile or odd requests get a
// 4xx, and the receiver keeps serving.
func (st *runState) describeRobustness() {
	Describe("robustness", func() {
		When("a correctly signed body is not valid JSON", func() {
			It("answers 4xx, not 5xx, and keeps serving", For("ROB-003"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				ctl := st.requireAccepting(ctx2)
				d := st.freshPrimary()
				body := malformed(d.Body)
				s, err := st.fx.rawSigner()
				must(err)
				h, err := st.fx.signBody(d, s, body, time.Now())
				must(err)
				st.verify(all(rejected(ctl, "malformed JSON", st.postRaw(ctx2, h, body)), st.keepsServing(ctx2)))
			})
		})

		When("the body is 5 MiB", func() {
			It("answers 413 or another 4xx and keeps serving", For("ROB-004"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				ctl := st.requireAccepting(ctx2)
				d := st.freshPrimary()
				body, err := bigBody(st.v, d.Payload, bigBodySize)
				must(err)
				h, err := st.fx.signBody(d, st.fx.signer, body, time.Now())
				must(err)
				c := rejected(ctl, "5 MiB body", st.postRaw(ctx2, h, body))
				c.Expected = "413 or another 4xx"
				st.verify(all(c, st.keepsServing(ctx2)))
			})
		})

		When("the method is not POST", func() {
			methods := []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}
			if st.v.Registration.Check != "head" {
				methods = append(methods, http.MethodHead)
			}
			var entries []TableEntry
			for _, m := range methods {
				entries = append(entries, Entry(m, For("ROB-005"), m))
			}
			DescribeTable("answers 405",
				func(ctx SpecContext, method string) {
					ctx2 := st.requestCtx(ctx)
					r := st.c.send(ctx2, request{Method: method, Header: http.Header{}, Timeout: st.untimedBound()})
					c := isStatus(r, http.StatusMethodNotAllowed)
					c.Expected = "405"
					c.Actual = method + " " + r.String()
					st.verifyAccepted(ctx2, c)
				},
				entries,
			)
		})
	})
}

// describeTLS declares TLS-001, checked with --production only.
func (st *runState) describeTLS() {
	Describe("transport security", func() {
		It("is served over HTTPS with a valid certificate and TLS 1.2 or newer", For("TLS-001"), func(ctx SpecContext) {
			st.verify(st.tlsCheck(st.requestCtx(ctx), st.opts.Target))
		})
	})
}

// tlsCheck connects to target's host: HTTPS, a certificate valid for the
// host (system roots plus --ca-file), at least TLS 1.2 negotiated, and
// TLS 1.1 refused.
func (st *runState) tlsCheck(ctx context.Context, target string) Check {
	c := Check{Expected: "HTTPS, a certificate valid for the host, TLS ≥ 1.2 only"}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" {
		c.Actual = fmt.Sprintf("scheme %q", u.Scheme)
		return c
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	dial := func(cfg *tls.Config) (*tls.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		d := tls.Dialer{Config: cfg}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return conn.(*tls.Conn), nil
	}
	cfg := st.tls.Clone()
	cfg.InsecureSkipVerify = false
	cfg.ServerName = u.Hostname()
	conn, err := dial(cfg)
	if err != nil {
		c.Actual = describeErr(err, 5*time.Second)
		return c
	}
	version := conn.ConnectionState().Version
	_ = conn.Close()
	if version < tls.VersionTLS12 {
		c.Actual = "negotiated " + tls.VersionName(version)
		return c
	}
	old := cfg.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if conn, err := dial(old); err == nil {
		_ = conn.Close()
		c.Actual = "TLS 1.1 accepted"
		return c
	}
	c.OK = true
	c.Actual = fmt.Sprintf("%s, certificate valid for %s, TLS 1.1 refused", tls.VersionName(version), u.Hostname())
	return c
}
