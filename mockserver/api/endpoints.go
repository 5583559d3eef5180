package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
)

// endpointWithSecret is an endpoint as answered the one time its secret
// is shown (creation, rotation).
type endpointWithSecret struct {
	*engine.Endpoint
	Secret string `json:"secret"`
	// Secrets lists every secret of a Standard Webhooks endpoint that
	// signs with several (key rotation), Secret first.
	Secrets []string `json:"secrets,omitempty"`
}

// withSecret is the one-time answer for ep, whose stored Secret holds
// several space-separated secrets where it signs with several.
func withSecret(ep *engine.Endpoint, v *providers.Variant) endpointWithSecret {
	out := endpointWithSecret{Endpoint: endpointView(ep), Secret: ep.Secret}
	if keys := engine.EndpointSecrets(ep.Secret, v); len(keys) > 1 {
		out.Secret, out.Secrets = keys[0], keys
	}
	return out
}

// endpointView returns a copy of ep fit for JSON answers: no nil slices
// or maps, and the extra headers' values masked (they are often a
// gateway's API key). Endpoint's Secret is never marshalled.
func endpointView(ep *engine.Endpoint) *engine.Endpoint {
	c := *ep
	if c.Events == nil {
		c.Events = []string{}
	}
	if c.Headers != nil {
		c.Headers = make(map[string]string, len(ep.Headers))
		for k, v := range ep.Headers {
			c.Headers[k] = engine.MaskHeaderValue(v)
		}
	}
	return &c
}

// handleCreateEndpoint registers an endpoint (under the Endpoints
// service's rules) and shows its secret once.
func (s *Server) handleCreateEndpoint(w http.ResponseWriter, r *http.Request) {
	var req engine.NewEndpoint
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	ep, v, err := s.endpoints.Create(r.Context(), req)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	s.log.Info("endpoint registered", "id", ep.ID, "provider", ep.Provider, "variant", v.Name, "url", wire.RedactURL(ep.URL))
	w.Header().Set("Location", "/api/endpoints/"+url.PathEscape(ep.ID))
	writeJSON(w, http.StatusCreated, withSecret(ep, v))
}

// handleListEndpoints lists every endpoint, newest first.
func (s *Server) handleListEndpoints(w http.ResponseWriter, r *http.Request) {
	eps, err := s.endpoints.List(r.Context())
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	slices.SortStableFunc(eps, func(a, b *engine.Endpoint) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*engine.Endpoint, len(eps))
	for i, ep := range eps {
		out[i] = endpointView(ep)
	}
	if r.URL.Query().Get("stats") != "true" {
		writeJSON(w, http.StatusOK, map[string]any{"endpoints": out})
		return
	}
	// Every endpoint's statistics (as GET /api/endpoints/{id}/stats with
	// the default window) in the same answer: the Endpoints view's one
	// request.
	stats := make([]*endpointStats, len(eps))
	for i, ep := range eps {
		if stats[i], err = s.endpointStats(r.Context(), ep.ID, 100); err != nil {
			writeProblem(w, r, problemFor(s.log, r, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"endpoints": out, "stats": stats})
}

// handleGetEndpoint serves one endpoint (without its secret).
func (s *Server) handleGetEndpoint(w http.ResponseWriter, r *http.Request) {
	ep, err := s.endpoints.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	writeJSON(w, http.StatusOK, endpointView(ep))
}

// endpointProblem maps a store error about the endpoint in the path.
func (s *Server) endpointProblem(r *http.Request, err error) *Problem {
	if errors.Is(err, engine.ErrNotFound) {
		return problemf(http.StatusNotFound, problemNotFound, "no endpoint %q", r.PathValue("id"))
	}
	return problemFor(s.log, r, err)
}

// handleUpdateEndpoint changes the fields given (the Endpoints
// service checks them).
func (s *Server) handleUpdateEndpoint(w http.ResponseWriter, r *http.Request) {
	var req engine.EndpointPatch
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	ep, err := s.endpoints.Update(r.Context(), r.PathValue("id"), req)
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	writeJSON(w, http.StatusOK, endpointView(ep))
}

// handleDeleteEndpoint removes an endpoint.
func (s *Server) handleDeleteEndpoint(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.endpoints.Delete(r.Context(), id); err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	s.log.Info("endpoint removed", "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// handleRotateSecret replaces an endpoint's secret with the given one (or
// several, Standard Webhooks) or a fresh one in the provider's format,
// keeping the previous Standard Webhooks secrets after it on request, and
// shows it once.
func (s *Server) handleRotateSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Secret       *string  `json:"secret"`
		Secrets      []string `json:"secrets"`
		KeepPrevious bool     `json:"keep_previous"`
	}
	if p := decodeJSON(r, &req, true); p != nil {
		writeProblem(w, r, p)
		return
	}
	ep, v, err := s.endpoints.RotateSecret(r.Context(), r.PathValue("id"), req.Secret, req.Secrets, req.KeepPrevious)
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	s.log.Info("endpoint secret rotated", "id", ep.ID)
	writeJSON(w, http.StatusOK, withSecret(ep, v))
}
