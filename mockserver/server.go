package mockserver

import (
	"net/http"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Config configures New (see api.Options for every field). Only Store is
// required.
type Config = api.Options

// DefaultMaxBodyBytes is the default request body cap.
const DefaultMaxBodyBytes = api.DefaultMaxBodyBytes

// Server is a running mock provider: the control API, the providers'
// registration APIs, the live stream, health and metrics (package
// mockserver/api), and the delivery engine behind them (package
// mockserver/engine). Make one with New and stop it with Close.
type Server struct {
	// URL is the base URL the server listens on, "http://127.0.0.1:PORT".
	URL string

	s *api.Server
}

// New starts a server: it listens on cfg.Addr at once (so URL is usable
// when New returns), starts the delivery engine (which recovers pending
// deliveries from the Store) and serves in the background (api.Start,
// reporting Version on /healthz). The caller must call Close.
func New(cfg Config) (*Server, error) {
	s, err := api.Start(cfg, Version)
	if err != nil {
		return nil, err
	}
	return &Server{URL: s.URL, s: s}, nil
}

// Close shuts the server down gracefully: it stops accepting connections,
// ends live streams, waits for requests in progress (cutting them after
// 15 s), cancels scenario runs, then closes the engine, which finishes the
// attempts in flight and leaves pending deliveries in the Store. It blocks
// until all of that is done and is safe to call more than once. The Store
// is not closed.
func (s *Server) Close() error { return s.s.Close() }

// Handler returns the server's root handler, for serving it elsewhere too
// (for example in an httptest.Server). It shares the server's engine and
// must not be used after Close.
func (s *Server) Handler() http.Handler { return s.s.Handler() }

// Engine returns the server's delivery engine. The server owns it: callers
// must not Close it.
func (s *Server) Engine() *engine.Engine { return s.s.Engine() }
