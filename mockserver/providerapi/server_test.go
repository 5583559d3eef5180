package providerapi

import (
	"net/http"
	"sync"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
)

// testServer is a mockserver.Server with All() mounted, and what the tests
// look at besides its HTTP answers: its Store, its engine and the mounted
// mocks (to set their clocks or read their routes).
type testServer struct {
	*mockserver.Server
	store  engine.Store
	engine *engine.Engine

	mu   sync.Mutex
	apis map[string]http.Handler
}

// newTestServer starts a server on a loopback port with an in-memory store
// and All() mounted, and closes it when the test ends.
func newTestServer(t testing.TB, mods ...func(*mockserver.Config)) *testServer {
	t.Helper()
	ts := &testServer{apis: map[string]http.Handler{}}
	cfg := mockserver.Config{Store: engine.NewMemoryStore()}
	for _, pa := range All() {
		cfg.ProviderAPIs = append(cfg.ProviderAPIs, api.ProviderAPI{Prefix: pa.Prefix, New: func(h api.ProviderHost) http.Handler {
			handler := pa.New(h)
			ts.mu.Lock()
			ts.apis[pa.Prefix] = handler
			ts.mu.Unlock()
			return handler
		}})
	}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := mockserver.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ts.Server, ts.store, ts.engine = s, cfg.Store, s.Engine()
	return ts
}

// mountedAPI returns the handler s mounted for the provider API at prefix.
func mountedAPI[T http.Handler](s *testServer, prefix string) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apis[prefix].(T)
}

// The shared helpers, under the names the tests use.
var (
	call            = mockservertest.Call
	decode          = mockservertest.Decode
	wantStatus      = mockservertest.WantStatus
	verify          = mockservertest.Verify
	newHookReceiver = mockservertest.NewHookReceiver
)

type syncBuffer = mockservertest.SyncBuffer

// waitAttempt returns the next attempt on ch.
func waitAttempt(t *testing.T, ch <-chan *engine.Attempt) *engine.Attempt {
	t.Helper()
	return mockservertest.Wait(t, ch, "attempt recorded")
}

// rawResponse sends a request line, headers and a partial body to s on a
// raw connection (mockservertest.RawResponse).
func rawResponse(t *testing.T, s *testServer, head, partial string) (status int, header http.Header, body []byte, closed bool) {
	t.Helper()
	return mockservertest.RawResponse(t, s.URL, head, partial)
}

// createEndpoint registers an endpoint through the control API and
// returns its id and secret.
func createEndpoint(t *testing.T, s *testServer, body map[string]any) (id, secret string) {
	t.Helper()
	return mockservertest.CreateEndpoint(t, s.URL, body)
}
