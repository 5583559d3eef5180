package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
)

// waitLimit bounds every wait of these tests; reaching it is a failure,
// never a way to synchronise.
const waitLimit = mockservertest.WaitLimit

// newTestServer starts a server on a loopback port with an in-memory store
// and closes it when the test ends.
func newTestServer(t testing.TB, mods ...func(*Options)) *Server {
	t.Helper()
	cfg := Options{Store: engine.NewMemoryStore(), ProviderAPIs: ProviderAPIsForTest()}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := Start(cfg, "")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// mountedAPI returns the handler s mounted for the provider API at prefix.
func mountedAPI[T http.Handler](s *Server, prefix string) T {
	return s.providerAPIs[prefix].(T)
}

// received is one request a test receiver got.
type received = mockservertest.Received

// hookReceiver is a loopback webhook receiver whose answer the test
// chooses (mockservertest.HookReceiver).
type hookReceiver struct{ *mockservertest.HookReceiver }

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	return &hookReceiver{mockservertest.NewHookReceiver(t)}
}

// next returns the next request the receiver got.
func (rc *hookReceiver) next(t *testing.T) received { t.Helper(); return rc.Next(t) }

// nextPost returns the next POST the receiver got, skipping HEAD checks.
func (rc *hookReceiver) nextPost(t *testing.T) received { t.Helper(); return rc.NextPost(t) }

// call sends a request to the server and returns the status, headers and
// body (mockservertest.Call).
func call(t testing.TB, method, url string, body any, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	return mockservertest.Call(t, method, url, body, headers...)
}

// decode unmarshals data into a generic map.
func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	return mockservertest.Decode(t, data)
}

// wantStatus fails unless got is want.
func wantStatus(t *testing.T, got, want int, body []byte) {
	t.Helper()
	mockservertest.WantStatus(t, got, want, body)
}

// createEndpoint registers an endpoint through the control API and
// returns its id and secret.
func createEndpoint(t *testing.T, s *Server, body map[string]any) (id, secret string) {
	t.Helper()
	return mockservertest.CreateEndpoint(t, s.URL, body)
}

// verify checks a received delivery's signature as the provider variant
// documents it.
func verify(t *testing.T, provider, variant, secret string, r received) {
	t.Helper()
	mockservertest.Verify(t, provider, variant, secret, r)
}

// waitAttempt returns the next attempt on ch.
func waitAttempt(t *testing.T, ch <-chan *engine.Attempt) *engine.Attempt {
	t.Helper()
	return mockservertest.Wait(t, ch, "attempt recorded")
}

func TestNewListensOnLoopback(t *testing.T) {
	s := newTestServer(t)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q, want a loopback URL", s.URL)
	}
	if s.Engine() == nil || s.Handler() == nil {
		t.Fatal("Engine or Handler is nil")
	}
}

func TestHealthz(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.Token = "secret-token-0123456" })
	code, _, data := call(t, "GET", s.URL+"/healthz", nil)
	wantStatus(t, code, http.StatusOK, data)
	m := decode(t, data)
	if m["status"] != "ok" || m["store"] != "ok" || m["pending"] != float64(0) || m["version"] == "" {
		t.Fatalf("healthz = %s", data)
	}
	code, hdr, data := call(t, "POST", s.URL+"/healthz", "{}")
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
	if hdr.Get("Allow") == "" {
		t.Error("405 without Allow")
	}

	// A failing store is reported.
	st := engine.NewMemoryStore()
	s2 := newTestServer(t, func(c *Options) { c.Store = st })
	st.Close()
	code, _, data = call(t, "GET", s2.URL+"/healthz", nil)
	wantStatus(t, code, http.StatusServiceUnavailable, data)
	if m := decode(t, data); m["status"] != "degraded" {
		t.Fatalf("healthz with a closed store = %s", data)
	}
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.Token = "secret-token-0123456" })
	call(t, "GET", s.URL+"/api/providers", nil, "Authorization", "Bearer secret-token-0123456")
	code, hdr, data := call(t, "GET", s.URL+"/metrics", nil)
	wantStatus(t, code, http.StatusOK, data)
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
	}
	for _, series := range []string{"esimhooks_pending", `esimhooks_api_requests_total{code="200",operation="listProviders"} 1`, "go_goroutines"} {
		if !bytes.Contains(data, []byte(series)) {
			t.Errorf("metrics lack %s:\n%s", series, data)
		}
	}
}

func TestBearerToken(t *testing.T) {
	const tok = "s3cret-s3cret-s3cret"
	s := newTestServer(t, func(c *Options) { c.Token = tok })
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Basic " + tok},
		{"Authorization", "Bearer " + tok + "2"}, {"Authorization", "Bearer " + tok[:len(tok)-1]}, {"Authorization", "Bearer  " + tok}} {
		code, hdr, data := call(t, "GET", s.URL+"/api/providers", nil, h...)
		wantStatus(t, code, http.StatusUnauthorized, data)
		if hdr.Get("Content-Type") != "application/problem+json" || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 headers: %v", hdr)
		}
		if p := decode(t, data); p["status"] != float64(401) || p["type"] == "" || p["title"] == "" {
			t.Errorf("401 problem: %s", data)
		}
	}
	code, _, data := call(t, "GET", s.URL+"/api/providers", nil, "Authorization", "Bearer "+tok)
	wantStatus(t, code, http.StatusOK, data)
	code, _, data = call(t, "GET", s.URL+"/api/providers", nil, "Authorization", "bearer "+tok)
	wantStatus(t, code, http.StatusOK, data)
	// Health and metrics never need the token.
	code, _, data = call(t, "GET", s.URL+"/healthz", nil)
	wantStatus(t, code, http.StatusOK, data)
}

// TestTokenRules: a token shorter than MinTokenLength, with surrounding
// white space or with a character an Authorization header cannot carry is
// refused by CheckToken with an error saying what is wrong (and so by
// mockserver.New: TestNewRefusesBadTokens).
func TestTokenRules(t *testing.T) {
	for _, tc := range []struct{ token, want string }{
		{" ", "white space"},
		{"x", "has 1 characters; at least 16"},
		{"fifteen-chars-x", "has 15 characters"},
		{" sixteen-chars-xx", "white space"},
		{"sixteen-chars-xx\n", "white space"},
		{"sixteen chars xxx", "space or control character"},
		{"sixteen-chars-xx\t", "white space"},
	} {
		tok := tc.token
		err := CheckToken(tok)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckToken(%q) = %v, want an error saying %q", tok, err, tc.want)
		}
	}
	if err := CheckToken("sixteen-chars-xx"); err != nil {
		t.Errorf("a 16-character token: %v", err)
	}
}

func TestRoutes(t *testing.T) {
	s := newTestServer(t)
	code, hdr, data := call(t, "GET", s.URL+"/api/openapi.yaml", nil)
	wantStatus(t, code, http.StatusOK, data)
	if hdr.Get("Content-Type") != "application/yaml" || !bytes.Contains(data, []byte("openapi: 3.1")) {
		t.Errorf("openapi.yaml: %v %.40s", hdr, data)
	}

	code, hdr, data = call(t, "GET", s.URL+"/api/nothing-here", nil)
	wantStatus(t, code, http.StatusNotFound, data)
	if hdr.Get("Content-Type") != "application/problem+json" {
		t.Errorf("404 Content-Type %q", hdr.Get("Content-Type"))
	}

	code, hdr, data = call(t, "PUT", s.URL+"/api/endpoints/ep_1", "{}")
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
	if got := hdr.Get("Allow"); got != "GET, PATCH, DELETE" {
		t.Errorf("Allow %q", got)
	}
	code, hdr, data = call(t, "DELETE", s.URL+"/api/providers", nil)
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
	if got := hdr.Get("Allow"); got != "GET" {
		t.Errorf("Allow %q", got)
	}

	// Without a dashboard, other paths are 404 problems too.
	code, _, data = call(t, "GET", s.URL+"/", nil)
	wantStatus(t, code, http.StatusNotFound, data)

	// With one, it serves them.
	d := newTestServer(t, func(c *Options) {
		c.Dashboard = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dashboard") })
	})
	code, _, data = call(t, "GET", d.URL+"/", nil)
	wantStatus(t, code, http.StatusOK, data)
	if string(data) != "dashboard" {
		t.Errorf("dashboard served %q", data)
	}
}

// TestCloseFinishesInFlightAttempt closes the server while the receiver
// holds an attempt: Close must wait for it and record its outcome.
func TestCloseFinishesInFlightAttempt(t *testing.T) {
	store := engine.NewMemoryStore()
	s, err := Start(Options{Store: store}, "")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	closed := make(chan struct{})
	var returnedEarly atomic.Bool
	inFlight := make(chan struct{}, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		inFlight <- struct{}{}
		<-release
		select {
		case <-closed:
			returnedEarly.Store(true)
		default:
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rcv.Close()

	id, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "esimfly"})
	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created"})
	wantStatus(t, code, http.StatusAccepted, data)
	dlv := decode(t, data)["deliveries"].([]any)[0].(map[string]any)["id"].(string)
	select {
	case <-inFlight:
	case <-time.After(waitLimit):
		t.Fatal("the attempt never reached the receiver")
	}

	go func() {
		s.Close()
		close(closed)
	}()
	<-s.closing // Close has begun
	close(release)
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("Close did not return")
	}
	if returnedEarly.Load() {
		t.Fatal("Close returned before the attempt in flight finished")
	}
	d, err := store.GetDelivery(context.Background(), dlv)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != engine.StateDelivered || d.Attempts != 1 || d.EndpointID != id {
		t.Fatalf("after Close the delivery is %+v; want delivered after 1 attempt", d)
	}
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Error("the server still accepts connections after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer = mockservertest.SyncBuffer

// TestLogsHoldNoSecrets drives every path of the control API that makes or
// takes a secret with debug logging on, and checks no secret reaches the
// log (the providers' APIs: TestRegistrationLogsHoldNoSecrets).
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, func(c *Options) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	rcv := newHookReceiver(t)
	attempts, unsubscribe := s.Engine().Subscribe(8)
	defer unsubscribe()
	withCreds := strings.Replace(rcv.URL, "http://", "http://user:pa55word@", 1) + "/hook?token=qu3rytoken"

	var secrets []string
	id, secret := createEndpoint(t, s, map[string]any{"url": withCreds, "provider": "esimfly"})
	secrets = append(secrets, secret)
	code, _, data := call(t, "POST", s.URL+"/api/endpoints/"+id+"/rotate-secret", map[string]any{"secret": "given-secret-1"})
	wantStatus(t, code, http.StatusOK, data)
	secrets = append(secrets, "given-secret-1")
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created"})
	wantStatus(t, code, http.StatusAccepted, data)
	rcv.nextPost(t)
	waitAttempt(t, attempts)

	mockservertest.WantNoSecrets(t, logs.String(), "endpoint registered", append(secrets, "pa55word", "qu3rytoken")...)
}
