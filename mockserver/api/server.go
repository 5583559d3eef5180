package api

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// settings is what the control API serves and how: Start fills it from
// Options (defaults applied) and the engine it builds.
type settings struct {
	// Engine is the delivery engine the API triggers, resends and
	// streams; Endpoints owns the endpoint rules (on the same engine).
	Engine    *engine.Engine
	Endpoints *engine.Endpoints
	// Store is the engine's store (the API lists and reads from it).
	Store engine.Store
	// Registry collects the API's counters and serves /metrics.
	Registry *prometheus.Registry
	// Addr is the listen address (the Host guard trusts it), Token the
	// bearer token ("" for none), as Options.
	Addr, Token string
	// Logger receives the API's logs. Secrets are never logged.
	Logger *slog.Logger
	// Scenarios runs scripted scenarios; nil makes the scenario routes
	// answer 501.
	Scenarios ScenarioRunner
	// Dashboard, when set, serves every path outside /api/, /healthz,
	// /metrics and the providers' registration APIs.
	Dashboard http.Handler
	// MaxBodyBytes caps every request body; BodyReadTimeout bounds how
	// long one may take to arrive.
	MaxBodyBytes    int64
	BodyReadTimeout time.Duration
	// TLSConfig is used by the registration checks' client.
	TLSConfig *tls.Config
	// Retention is shown by /healthz.
	Retention engine.Retention
	// ProviderAPIs are mounted, each on the Server's ProviderHost.
	ProviderAPIs []ProviderAPI
	// Version is the version /healthz reports; "" reports the main
	// module's version from the build info.
	Version string
}

// Server is the control API with everything it serves beside it: the
// providers' registration APIs, the live stream, health, metrics and the
// dashboard, behind the token/Host/Origin guard, served on its listener,
// and the delivery engine it owns. Start makes one (mockserver.New does),
// Close stops it.
type Server struct {
	// URL is the base URL the server listens on, "http://127.0.0.1:PORT".
	URL string

	cfg       settings
	store     engine.Store
	cat       *providers.Catalogue
	engine    *engine.Engine
	endpoints *engine.Endpoints
	log       *slog.Logger
	reg       *prometheus.Registry
	apiReqs   *prometheus.CounterVec
	// refused counts requests the guard refused, by reason.
	refused *prometheus.CounterVec
	// metrics serves /metrics; made on first use.
	metrics     http.Handler
	metricsOnce sync.Once
	spec        *apiSpec
	ops         map[string]http.HandlerFunc
	handler     http.Handler

	// ctx lives until Close; scenario runs are bound to it.
	ctx    context.Context
	cancel context.CancelFunc
	// closing is closed by StopStreams, ending every live stream.
	closing   chan struct{}
	closeOnce sync.Once

	// heartbeat is the live stream's keep-alive interval in nanoseconds
	// (atomic, so tests may shorten it while serving).
	heartbeat atomic.Int64
	sse       sseState

	// creds are the provider credentials the registration mocks require
	// (nil without a token: any are accepted).
	creds       *Credentials
	checkClient *http.Client
	// providerAPIs are the mounted registration APIs' handlers, by prefix.
	providerAPIs map[string]http.Handler

	httpSrv   *http.Server
	serveDone chan struct{}
	// runCancel ends the engine's and the pruner's context.
	runCancel context.CancelFunc
	// pruned is closed when the retention's pruner has stopped.
	pruned   <-chan struct{}
	shutOnce sync.Once
	closeErr error
}

// newAPI builds the API's handler for cfg, mounting the providers'
// registration APIs.
func newAPI(cfg settings) (*Server, error) {
	spec, err := loadAPISpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, store: cfg.Store, cat: cfg.Engine.Catalogue(), engine: cfg.Engine, endpoints: cfg.Endpoints,
		log: cfg.Logger, spec: spec, reg: cfg.Registry,
		creds:   DeriveCredentials(cfg.Token),
		closing: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.heartbeat.Store(int64(15 * time.Second))
	s.apiReqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "esimhooks_api_requests_total",
		Help: "Control API requests by operation and status code.",
	}, []string{"operation", "code"})
	s.reg.MustRegister(s.apiReqs)
	s.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "esimhooks_refused_requests_total",
		Help: "Requests refused before routing: host (a Host that is not loopback, without a token), cross-origin (a browser write from another origin), body-timeout (a body slower than the body read timeout).",
	}, []string{"reason"})
	s.reg.MustRegister(s.refused)
	s.checkClient = newCheckClient(cfg.TLSConfig)
	if s.providerAPIs, err = mountProviderAPIs(cfg.ProviderAPIs, serverHost{s}); err != nil {
		s.cancel()
		return nil, err
	}
	if err := s.buildHandler(); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// Handler returns the root handler (guard, control API, registration
// APIs, health, metrics, dashboard).
func (s *Server) Handler() http.Handler { return s.handler }

// StopStreams ends every live stream (/api/stream), so that a graceful
// shutdown does not wait for them. Safe to call more than once.
func (s *Server) StopStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

// stop cancels the scenario runs in progress and ends the live streams.
func (s *Server) stop() {
	s.StopStreams()
	s.cancel()
}

// isLoopback reports whether addr ("host:port") names a loopback host.
// An empty host means every interface, which is not loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// buildHandler assembles the routes:
//
//	/api/...                  control API (validated, optional bearer token)
//	/healthz, /metrics        operations, never authenticated
//	/<provider>/...           the providers' registration APIs
//	                          (Options.ProviderAPIs: /airalo/, /esimaccess/, /esimfly/)
//	/                         the dashboard, if any
func (s *Server) buildHandler() error {
	s.ops = s.operationHandlers()
	for _, id := range s.spec.operations() {
		if s.ops[id] == nil {
			return fmt.Errorf("mockserver: operation %s of %s has no handler", id, specFile)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/metrics", s.handleMetrics)
	for prefix, h := range s.providerAPIs {
		mux.Handle(prefix, h)
	}
	if s.cfg.Dashboard != nil {
		mux.Handle("/", s.cfg.Dashboard)
	} else {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, problemf(http.StatusNotFound, problemNotFound, "no route %s %s", r.Method, r.URL.Path))
		})
	}
	s.handler = s.guard(mux)
	return nil
}
