package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// Config configures New. Only Store is required.
type Config struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free loopback
	// port). An address that is not loopback requires Token.
	Addr string
	// Store holds endpoints, deliveries and attempts (SQLite or memory).
	// The server does not close it: the caller owns it.
	Store engine.Store
	// Catalogue holds the providers; nil uses providers.Builtin().
	Catalogue *providers.Catalogue
	// TimeScale multiplies every provider delay (see engine.EngineConfig); 0
	// means 1.
	TimeScale float64
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every /api/ request, and the providers' registration APIs require
	// the provider credentials derived from it (see api.Credentials). It is
	// required when Addr is not loopback, has at least api.MinTokenLength
	// characters and is compared exactly (see api.CheckToken). Without a
	// token only requests addressed to a loopback Host are served.
	Token string
	// Logger receives the server's logs; nil discards them. Secrets are
	// never logged.
	Logger *slog.Logger
	// Scenarios runs scripted scenarios; nil makes the scenario routes
	// answer 501.
	Scenarios api.ScenarioRunner
	// Dashboard, when set, serves every path outside /api/, /healthz,
	// /metrics and the providers' registration APIs.
	Dashboard http.Handler
	// MaxBodyBytes caps every request body (control API and registration
	// APIs); default 1 MiB.
	MaxBodyBytes int64
	// BodyReadTimeout bounds how long a request body may take to arrive
	// (headers have 10 s); default api.DefaultBodyReadTimeout. A slower body
	// gets 408 and its connection is closed.
	BodyReadTimeout time.Duration
	// MaxEndpoints bounds the endpoints the server holds, however they are
	// registered (control API or a provider's registration API); beyond
	// it a registration is refused (409 on the control API). Default
	// DefaultMaxEndpoints.
	MaxEndpoints int
	// MaxTriggerDeliveries bounds the deliveries one trigger makes (see
	// engine.EngineConfig); beyond it the trigger is refused with 400. Default
	// DefaultMaxTriggerDeliveries.
	MaxTriggerDeliveries int
	// TLSConfig is used for outgoing requests (deliveries and registration
	// checks), e.g. to trust a receiver's private CA.
	TLSConfig *tls.Config
	// Retention bounds the delivery log; the zero value keeps everything.
	// When it is enabled, a goroutine calls Store.Prune every
	// Retention.Interval, in batches, from New until Close; the Store's
	// Prune must never remove a delivery PruneRule keeps (a pending one,
	// or one of a trigger still pending). /healthz shows it.
	Retention engine.Retention
	// ProviderAPIs are the providers' registration APIs the server mounts
	// (package mockserver/providerapi has Airalo's, eSIM Access's and
	// eSIMfly's: pass providerapi.All()); none by default. See api.ProviderAPI
	// for what each must do.
	ProviderAPIs []api.ProviderAPI
}

// DefaultMaxBodyBytes is the default request body cap.
const DefaultMaxBodyBytes = 1 << 20

// shutdownGrace bounds how long Close waits for requests in progress
// before cutting their connections.
const shutdownGrace = 15 * time.Second

// Server is a running mock provider: the control API, the providers'
// registration APIs, the live stream, health and metrics (package
// mockserver/api), and the delivery engine behind them (package
// mockserver/engine). Make one with New and stop it with Close.
type Server struct {
	// URL is the base URL the server listens on, "http://127.0.0.1:PORT".
	URL string

	api    *api.Server
	engine *engine.Engine
	log    *slog.Logger

	httpSrv   *http.Server
	serveDone chan struct{}
	// cancel ends the engine's and the pruner's context.
	cancel context.CancelFunc
	// pruned is closed when the retention's pruner has stopped.
	pruned    <-chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New starts a server: it listens on cfg.Addr at once (so URL is usable
// when New returns), starts the delivery engine (which recovers pending
// deliveries from the Store) and serves in the background. The caller must
// call Close.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("mockserver: Config.Store is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if err := api.CheckToken(cfg.Token); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	if cfg.Token == "" && api.Exposed(cfg.Addr) {
		return nil, fmt.Errorf("mockserver: refusing to listen on %s without a token: the control API would be open to the network; set a token or listen on 127.0.0.1", cfg.Addr)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = api.DefaultBodyReadTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxEndpoints <= 0 {
		cfg.MaxEndpoints = engine.DefaultMaxEndpoints
	}
	if cfg.MaxTriggerDeliveries <= 0 {
		cfg.MaxTriggerDeliveries = engine.DefaultMaxTriggerDeliveries
	}
	if cfg.Catalogue == nil {
		cat, err := providers.Builtin()
		if err != nil {
			return nil, fmt.Errorf("mockserver: loading the provider catalogue: %w", err)
		}
		cfg.Catalogue = cat
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ls, ok := cfg.Store.(engine.LogSizer); ok {
		reg.MustRegister(engine.NewLogSizeCollector(ls))
	}
	eng, err := engine.NewEngine(engine.EngineConfig{
		Catalogue: cfg.Catalogue,
		Store:     cfg.Store,
		TimeScale: cfg.TimeScale,
		Logger:    cfg.Logger,
		Metrics:   engine.NewMetrics(reg),
		TLSConfig: cfg.TLSConfig,

		MaxTriggerDeliveries: cfg.MaxTriggerDeliveries,
	})
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s := &Server{engine: eng, log: cfg.Logger, serveDone: make(chan struct{})}
	s.api, err = api.New(api.Config{
		Engine: eng, Endpoints: engine.NewEndpoints(eng, cfg.MaxEndpoints), Store: cfg.Store, Registry: reg,
		Addr: cfg.Addr, Token: cfg.Token, Logger: cfg.Logger, Scenarios: cfg.Scenarios, Dashboard: cfg.Dashboard,
		MaxBodyBytes: cfg.MaxBodyBytes, BodyReadTimeout: cfg.BodyReadTimeout, TLSConfig: cfg.TLSConfig,
		Retention: cfg.Retention, ProviderAPIs: cfg.ProviderAPIs, Version: Version,
	})
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("mockserver: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.api.Close()
		s.engine.Close()
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.engine.Start(ctx); err != nil {
		ln.Close()
		s.cancel()
		s.api.Close()
		s.engine.Close()
		return nil, fmt.Errorf("mockserver: starting the delivery engine: %w", err)
	}
	s.pruned = engine.StartPruner(ctx, cfg.Store, cfg.Retention, s.engine.Clock(), engine.NewMetrics(reg), cfg.Logger)
	s.URL = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{
		Handler:           s.api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.serveDone)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("mock server stopped serving", "err", err)
		}
	}()
	s.log.Info("mock server listening", "url", s.URL)
	return s, nil
}

// Close shuts the server down gracefully: it stops accepting connections,
// ends live streams, waits for requests in progress (cutting them after
// 15 s), cancels scenario runs, then closes the engine, which finishes the
// attempts in flight and leaves pending deliveries in the Store. It blocks
// until all of that is done and is safe to call more than once. The Store
// is not closed.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.api.StopStreams()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err := s.httpSrv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = errors.Join(err, s.httpSrv.Close())
		}
		<-s.serveDone
		s.cancel()
		s.api.Close()
		<-s.pruned
		s.closeErr = errors.Join(err, s.engine.Close())
		s.log.Info("mock server closed")
	})
	return s.closeErr
}

// Handler returns the server's root handler, for serving it elsewhere too
// (for example in an httptest.Server). It shares the server's engine and
// must not be used after Close.
func (s *Server) Handler() http.Handler { return s.api.Handler() }

// Engine returns the server's delivery engine. The server owns it: callers
// must not Close it.
func (s *Server) Engine() *engine.Engine { return s.engine }
