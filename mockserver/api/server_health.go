package api

import (
	"context"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// buildVersion is the main module's version from the build info, the
// version /healthz reports when Config.Version is empty.
var buildVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
})

// version is the version /healthz reports.
func (s *Server) version() string {
	if s.cfg.Version != "" {
		return s.cfg.Version
	}
	return buildVersion()
}

type health struct {
	Status  string `json:"status"`
	Store   string `json:"store"`
	Pending int    `json:"pending"`
	Version string `json:"version"`
	// Retention is the log's retention as serve --retain reads it ("off"
	// when it keeps everything).
	Retention string `json:"retention"`
}

// onlyGet answers 405 (with Allow) for anything but GET and HEAD, and
// reports whether the request may go on.
func onlyGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeProblem(w, r, problemf(http.StatusMethodNotAllowed, problemMethod, "%s is not allowed on %s; allowed: GET, HEAD", r.Method, r.URL.Path))
	return false
}

// handleHealth reports liveness, whether the store answers (within 2 s),
// the number of pending deliveries and the version; 503 when the store
// fails. It needs no token.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !onlyGet(w, r) {
		return
	}
	h := health{Status: "ok", Store: "ok", Pending: s.engine.Pending(), Version: s.version(), Retention: s.cfg.Retention.String()}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.ListDeliveries(ctx, engine.DeliveryFilter{Limit: 1}); err != nil {
		h.Status, h.Store = "degraded", err.Error()
	}
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

// handleMetrics serves the Prometheus exposition of the server's registry
// (engine counters, API requests, Go runtime). It needs no token.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !onlyGet(w, r) {
		return
	}
	s.metricsOnce.Do(func() {
		s.metrics = promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
	})
	s.metrics.ServeHTTP(w, r)
}
