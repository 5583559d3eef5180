package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// Options configure Start (mockserver.Config is this type). Only Store is
// required.
type Options struct {
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
	// the provider credentials derived from it (see Credentials). It is
	// required when Addr is not loopback, has at least MinTokenLength
	// characters and is compared exactly (see CheckToken). Without a
	// token only requests addressed to a loopback Host are served.
	Token string
	// Logger receives the server's logs; nil discards them. Secrets are
	// never logged.
	Logger *slog.Logger
	// Scenarios runs scripted scenarios; nil makes the scenario routes
	// answer 501.
	Scenarios ScenarioRunner
	// Dashboard, when set, serves every path outside /api/, /healthz,
	// /metrics and the providers' registration APIs.
	Dashboard http.Handler
	// MaxBodyBytes caps every request body (control API and registration
	// APIs); default 1 MiB.
	MaxBodyBytes int64
	// BodyReadTimeout bounds how long a request body may take to arrive
	// (headers have 10 s); default DefaultBodyReadTimeout. A slower body
	// gets 408 and its connection is closed.
	BodyReadTimeout time.Duration
	// MaxEndpoints bounds the endpoints the server holds, however they are
	// registered (control API or a provider's registration API); beyond
	// it a registration is refused (409 on the control API). Default
	// engine.DefaultMaxEndpoints.
	MaxEndpoints int
	// MaxTriggerDeliveries bounds the deliveries one trigger makes (see
	// engine.EngineConfig); beyond it the trigger is refused with 400. Default
	// engine.DefaultMaxTriggerDeliveries.
	MaxTriggerDeliveries int
	// TLSConfig is used for outgoing requests (deliveries and registration
	// checks), e.g. to trust a receiver's private CA.
	TLSConfig *tls.Config
	// Retention bounds the delivery log; the zero value keeps everything.
	// When it is enabled, a goroutine calls Store.Prune every
	// Retention.Interval, in batches, from Start until Close; the Store's
	// Prune must never remove a delivery PruneRule keeps (a pending one,
	// or one of a trigger still pending). /healthz shows it.
	Retention engine.Retention
	// ProviderAPIs are the providers' registration APIs the server mounts
	// (package mockserver/providerapi has Airalo's, eSIM Access's and
	// eSIMfly's: pass providerapi.All()); none by default. See ProviderAPI
	// for what each must do.
	ProviderAPIs []ProviderAPI
}

// DefaultMaxBodyBytes is the default request body cap.
const DefaultMaxBodyBytes = 1 << 20

// shutdownGrace bounds how long Close waits for requests in progress
// before cutting their connections.
const shutdownGrace = 15 * time.Second

// Start starts a server: it listens on cfg.Addr at once (so URL is usable
// when Start returns), starts the delivery engine (which recovers pending
// deliveries from the Store) and serves in the background. The caller must
// call Close.
func Start(cfg Options, version string) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("mockserver: Config.Store is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if err := CheckToken(cfg.Token); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	if cfg.Token == "" && Exposed(cfg.Addr) {
		return nil, fmt.Errorf("mockserver: refusing to listen on %s without a token: the control API would be open to the network; set a token or listen on 127.0.0.1", cfg.Addr)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
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
	s, err := newAPI(settings{
		Engine: eng, Endpoints: engine.NewEndpoints(eng, cfg.MaxEndpoints), Store: cfg.Store, Registry: reg,
		Addr: cfg.Addr, Token: cfg.Token, Logger: cfg.Logger, Scenarios: cfg.Scenarios, Dashboard: cfg.Dashboard,
		MaxBodyBytes: cfg.MaxBodyBytes, BodyReadTimeout: cfg.BodyReadTimeout, TLSConfig: cfg.TLSConfig,
		Retention: cfg.Retention, ProviderAPIs: cfg.ProviderAPIs, Version: version,
	})
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	s.serveDone = make(chan struct{})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.stop()
		s.engine.Close()
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.runCancel = cancel
	if err := s.engine.Start(ctx); err != nil {
		ln.Close()
		s.runCancel()
		s.stop()
		s.engine.Close()
		return nil, fmt.Errorf("mockserver: starting the delivery engine: %w", err)
	}
	s.pruned = engine.StartPruner(ctx, cfg.Store, cfg.Retention, s.engine.Clock(), engine.NewMetrics(reg), cfg.Logger)
	s.URL = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{
		Handler:           s.handler,
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
	s.shutOnce.Do(func() {
		s.StopStreams()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		err := s.httpSrv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = errors.Join(err, s.httpSrv.Close())
		}
		<-s.serveDone
		s.runCancel()
		s.stop()
		<-s.pruned
		s.closeErr = errors.Join(err, s.engine.Close())
		s.log.Info("mock server closed")
	})
	return s.closeErr
}

// Engine returns the server's delivery engine. The server owns it: callers
// must not Close it.
func (s *Server) Engine() *engine.Engine { return s.engine }
