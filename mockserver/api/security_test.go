package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
)

// TestHostGuard: without a token only loopback Host values (and the
// configured address's host) are served, on every route, so a web page
// cannot reach the server through DNS rebinding; with a token any Host is.
func TestHostGuard(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/api/providers", "/healthz", "/airalo/v2/notifications/opt-in", "/"} {
		for _, host := range []string{"attacker.example", "attacker.example:7700", "127.0.0.1.attacker.example", "10.0.0.1", "[::2]:80"} {
			code, hdr, data := call(t, "GET", s.URL+path, nil, "Host", host)
			if code != http.StatusMisdirectedRequest || hdr.Get("Content-Type") != "application/problem+json" {
				t.Errorf("GET %s with Host %s: %d %s, want a 421 problem", path, host, code, data)
			}
		}
	}
	for _, host := range []string{"localhost", "LOCALHOST:80", "127.0.0.1", "127.0.0.2:9", "[::1]:7700", "[::1]"} {
		code, _, data := call(t, "GET", s.URL+"/api/providers", nil, "Host", host)
		wantStatus(t, code, http.StatusOK, data)
	}

	// HTTP/1.0 without Host is no browser's request.
	if status, _ := rawRequest(t, s, "GET /healthz HTTP/1.0", ""); status != http.StatusOK {
		t.Errorf("HTTP/1.0 without Host: %d, want 200", status)
	}

	const tok = "a-token-of-16-chars"
	st := newTestServer(t, func(c *Options) { c.Token = tok })
	code, _, data := call(t, "GET", st.URL+"/api/providers", nil, "Host", "esimhooks.internal:7700", "Authorization", "Bearer "+tok)
	wantStatus(t, code, http.StatusOK, data)
}

// TestCrossOriginRefused: a state-changing request a browser sends from
// another origin is refused with 403 and changes nothing; the server's
// own pages, navigations and clients that are not browsers pass, and
// reads are not affected.
func TestCrossOriginRefused(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "roamify"})
	trigger := map[string]any{"provider": "roamify", "event": "esim/esim_status"}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://attacker.example"},
		{"Origin", "null"},
		{"Origin", "http://127.0.0.1:1"},
		{"Sec-Fetch-Site", "cross-site", "Origin", s.URL},
	} {
		for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			code, _, data := call(t, method, s.URL+"/api/triggers", trigger, h...)
			if code != http.StatusForbidden || !strings.Contains(string(data), "cross-origin") {
				t.Errorf("%s /api/triggers with %v: %d %s, want a 403 cross-origin problem", method, h, code, data)
			}
		}
		code, _, data := call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in", `{"type":"async_orders","webhook_url":"`+rcv.URL+`"}`,
			append([]string{"Authorization", "Bearer x"}, h...)...)
		wantStatus(t, code, http.StatusForbidden, data)
	}
	if ds, _ := s.store.ListDeliveries(t.Context(), engine.DeliveryFilter{}); len(ds) != 0 {
		t.Fatalf("refused triggers made %d deliveries", len(ds))
	}
	// Sec-Fetch-Site same-origin is the browser's verdict, even where a
	// proxy changed Host so that Origin differs from it.
	for _, h := range [][]string{nil, {"Sec-Fetch-Site", "same-origin", "Origin", s.URL}, {"Sec-Fetch-Site", "none"}, {"Origin", s.URL},
		{"Sec-Fetch-Site", "same-origin", "Origin", "https://esimhooks.example.com"}} {
		code, _, data := call(t, "POST", s.URL+"/api/triggers", trigger, h...)
		wantStatus(t, code, http.StatusAccepted, data)
	}
	code, _, data := call(t, "GET", s.URL+"/api/endpoints", nil, "Sec-Fetch-Site", "cross-site", "Origin", "http://attacker.example")
	wantStatus(t, code, http.StatusOK, data)
}

// rawRequest writes head (a request line and headers, "\r\n" separated)
// and a partial body on a fresh connection to s, then reads the answer;
// it returns the status and whether the server then closed the connection.
// Every read is bounded by waitLimit.
func rawRequest(t *testing.T, s *Server, head, partial string) (status int, closed bool) {
	t.Helper()
	status, _, _, closed = rawResponse(t, s, head, partial)
	return status, closed
}

// rawResponse is rawRequest that also returns the answer's headers and
// body (mockservertest.RawResponse).
func rawResponse(t *testing.T, s *Server, head, partial string) (status int, header http.Header, body []byte, closed bool) {
	t.Helper()
	return mockservertest.RawResponse(t, s.URL, head, partial)
}

// TestSlowBodyCut: a body that does not arrive within the body read
// timeout gets 408 and its connection closed, on the control API and on
// the providers' APIs alike.
func TestSlowBodyCut(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.BodyReadTimeout = 100 * time.Millisecond })
	for _, head := range []string{
		"POST /api/endpoints HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000",
		"POST /esimaccess/api/v1/open/webhook/save HTTP/1.1\r\nHost: 127.0.0.1\r\nRT-AccessCode: a\r\nRT-SecretKey: b\r\nContent-Length: 1000000",
		"POST /api/triggers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
	} {
		partial := `{"url":`
		if strings.Contains(head, "chunked") {
			partial = "7\r\n" + partial + "\r\n"
		}
		status, closed := rawRequest(t, s, head, partial)
		if status != http.StatusRequestTimeout || !closed {
			t.Errorf("%s: status %d, connection closed %v; want 408 and closed", strings.SplitN(head, "\r\n", 2)[0], status, closed)
		}
	}
	_, _, data := call(t, "GET", s.URL+"/metrics", nil)
	if !strings.Contains(string(data), `esimhooks_refused_requests_total{reason="body-timeout"} 3`) {
		t.Error("the metrics do not count 3 body timeouts")
	}
}
