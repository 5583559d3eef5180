package api

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// testConfig is mockserver.Config as this package's tests set it: the
// API's settings and the engine's they are wired with. Package mockserver
// cannot be imported here (it imports this one), so newServer wires a
// server as mockserver.New does; mockserver's own tests cover New's
// checks of its Config.
type testConfig struct {
	Addr                 string
	Store                engine.Store
	Catalogue            *providers.Catalogue
	TimeScale            float64
	Token                string
	Logger               *slog.Logger
	Scenarios            ScenarioRunner
	Dashboard            http.Handler
	MaxBodyBytes         int64
	BodyReadTimeout      time.Duration
	MaxEndpoints         int
	MaxTriggerDeliveries int
	TLSConfig            *tls.Config
	Retention            engine.Retention
	ProviderAPIs         []ProviderAPI
}

// testServer is a Server listening on a loopback port with its engine
// started, as mockserver.Server is.
type testServer struct {
	*Server
	URL string

	httpSrv   *http.Server
	serveDone chan struct{}
	cancel    context.CancelFunc
	pruned    <-chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// newServer wires and starts a server for cfg as mockserver.New does
// (defaults, engine, Endpoints service, API, listener, engine start,
// pruner, serving).
func newServer(cfg testConfig) (*testServer, error) {
	if cfg.Store == nil {
		return nil, errors.New("testConfig.Store is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.BodyReadTimeout <= 0 {
		cfg.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Catalogue == nil {
		cat, err := providers.Builtin()
		if err != nil {
			return nil, err
		}
		cfg.Catalogue = cat
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ls, ok := cfg.Store.(engine.LogSizer); ok {
		reg.MustRegister(engine.NewLogSizeCollector(ls))
	}
	eng, err := engine.NewEngine(engine.EngineConfig{
		Catalogue: cfg.Catalogue, Store: cfg.Store, TimeScale: cfg.TimeScale, Logger: cfg.Logger,
		Metrics: engine.NewMetrics(reg), TLSConfig: cfg.TLSConfig, MaxTriggerDeliveries: cfg.MaxTriggerDeliveries,
	})
	if err != nil {
		return nil, err
	}
	a, err := New(Config{
		Engine: eng, Endpoints: engine.NewEndpoints(eng, cfg.MaxEndpoints), Store: cfg.Store, Registry: reg,
		Addr: cfg.Addr, Token: cfg.Token, Logger: cfg.Logger, Scenarios: cfg.Scenarios, Dashboard: cfg.Dashboard,
		MaxBodyBytes: cfg.MaxBodyBytes, BodyReadTimeout: cfg.BodyReadTimeout, TLSConfig: cfg.TLSConfig,
		Retention: cfg.Retention, ProviderAPIs: cfg.ProviderAPIs,
	})
	if err != nil {
		eng.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.Close()
		eng.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		ln.Close()
		cancel()
		a.Close()
		eng.Close()
		return nil, err
	}
	s := &testServer{Server: a, URL: "http://" + ln.Addr().String(), serveDone: make(chan struct{}), cancel: cancel,
		httpSrv: &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	s.pruned = engine.StartPruner(ctx, cfg.Store, cfg.Retention, eng.Clock(), engine.NewMetrics(reg), cfg.Logger)
	go func() {
		defer close(s.serveDone)
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// Engine returns the server's engine.
func (s *testServer) Engine() *engine.Engine { return s.engine }

// Close shuts the server down in mockserver.Server.Close's order: live
// streams end, requests in progress finish (cut after 15 s), scenario
// runs and the pruner stop, then the engine closes.
func (s *testServer) Close() error {
	s.closeOnce.Do(func() {
		s.StopStreams()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := s.httpSrv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = errors.Join(err, s.httpSrv.Close())
		}
		<-s.serveDone
		s.cancel()
		s.Server.Close()
		<-s.pruned
		s.closeErr = errors.Join(err, s.engine.Close())
	})
	return s.closeErr
}
