package mockserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// endpointWithSecret is an endpoint as answered the one time its secret
// is shown (creation, rotation).
type endpointWithSecret struct {
	*Endpoint
	Secret string `json:"secret"`
}

// endpointView returns a copy of ep fit for JSON answers: no nil slices
// or maps. (Endpoint's Secret is never marshalled.)
func endpointView(ep *Endpoint) *Endpoint {
	c := *ep
	if c.Events == nil {
		c.Events = []string{}
	}
	return &c
}

// newEndpointID returns "ep_" and 20 random base-36 characters.
func newEndpointID() string {
	return "ep_" + randomToken(20)
}

// randomToken returns n random characters of [0-9a-z].
func randomToken(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// checkWebhookURL returns why u is not a usable http(s) receiver URL, or
// "".
func checkWebhookURL(u string) string {
	pu, err := url.Parse(u)
	switch {
	case err != nil:
		return "is not a URL: " + err.Error()
	case pu.Scheme != "http" && pu.Scheme != "https":
		return "must be an http or https URL"
	case pu.Host == "" || pu.Hostname() == "":
		return "must name a host"
	}
	return ""
}

// checkEvents returns the events' canonical names, or a 422 problem
// naming the first unknown one (at /events/i) with the valid choices.
func checkEvents(v *providers.Variant, events []string) ([]string, *Problem) {
	out := make([]string, 0, len(events))
	for i, name := range events {
		ev, err := v.Event(name)
		if err != nil {
			var u *providers.UnknownError
			if errors.As(err, &u) {
				return nil, unknownProblem(u, fmt.Sprintf("/events/%d", i))
			}
			return nil, fieldProblem(fmt.Sprintf("/events/%d", i), "enum", err.Error())
		}
		out = append(out, ev.Name)
	}
	return out, nil
}

// checkSecret returns a problem if secret cannot sign v's deliveries. The
// problem never quotes the secret.
func checkSecret(v *providers.Variant, secret string) *Problem {
	if v.Signature.Scheme == "none" {
		return nil
	}
	if _, err := v.Signer(secret); err != nil {
		p := newProblem(http.StatusUnprocessableEntity, problemUnprocessable,
			fmt.Sprintf("the secret cannot sign %s deliveries (%s secrets look like %s)", v.ID(), v.Signature.Scheme, secretFormatHint(v)))
		p.Errors = []ProblemError{{Pointer: "/secret", In: "body", Rule: "format", Message: p.Detail}}
		return p
	}
	return nil
}

func secretFormatHint(v *providers.Variant) string {
	switch v.Signature.SecretFormat {
	case "whsec":
		return "whsec_<base64>"
	case "ck_test":
		return "ck_test_…"
	case "hex32":
		return "64 hex digits"
	}
	return "any non-empty string"
}

// storedVariant is what an endpoint stores for a requested variant: ""
// when the default was asked for (explicitly or not), else its name.
func storedVariant(requested string, v *providers.Variant) string {
	if requested == "" || v == v.Provider.Default() && requested == "default" {
		return ""
	}
	return v.Name
}

type endpointCreate struct {
	URL         string            `json:"url"`
	Provider    string            `json:"provider"`
	Variant     string            `json:"variant"`
	Events      []string          `json:"events"`
	Secret      *string           `json:"secret"`
	Description string            `json:"description"`
	Headers     map[string]string `json:"headers"`
	Chaos       *Chaos            `json:"chaos"`
	Disabled    bool              `json:"disabled"`
}

// handleCreateEndpoint registers an endpoint and shows its secret once.
func (s *Server) handleCreateEndpoint(w http.ResponseWriter, r *http.Request) {
	var req endpointCreate
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	if msg := checkWebhookURL(req.URL); msg != "" {
		writeProblem(w, r, fieldProblem("/url", "format", "url "+msg))
		return
	}
	v, _, p := s.lookupEvent(req.Provider, req.Variant, "", "/provider", "/variant")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	events, p := checkEvents(v, req.Events)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if p := checkEndpointHeaders(req.Headers); p != nil {
		writeProblem(w, r, p)
		return
	}
	var secret string
	if req.Secret != nil {
		secret = *req.Secret
		if p := checkSecret(v, secret); p != nil {
			writeProblem(w, r, p)
			return
		}
	} else {
		var err error
		if secret, err = v.NewSecret(rand.Reader); err != nil {
			writeProblem(w, r, problemFor(s.log, r, err))
			return
		}
	}
	now := time.Now().UTC()
	ep := &Endpoint{
		ID: newEndpointID(), URL: req.URL, Provider: v.Provider.Name, Variant: storedVariant(req.Variant, v),
		Secret: secret, Events: events, Description: req.Description, Headers: req.Headers,
		Disabled: req.Disabled, Source: "api", CreatedAt: now, UpdatedAt: now,
	}
	if req.Chaos != nil {
		if p := checkSchedule(*req.Chaos, s.engine.scale); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.Chaos = *req.Chaos
	}
	if err := s.store.PutEndpoint(r.Context(), ep); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	s.log.Info("endpoint registered", "id", ep.ID, "provider", ep.Provider, "variant", v.Name, "url", logURL(ep.URL))
	w.Header().Set("Location", "/api/endpoints/"+url.PathEscape(ep.ID))
	writeJSON(w, http.StatusCreated, endpointWithSecret{endpointView(ep), secret})
}

// handleListEndpoints lists every endpoint, newest first.
func (s *Server) handleListEndpoints(w http.ResponseWriter, r *http.Request) {
	eps, err := s.store.ListEndpoints(r.Context())
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	slices.SortStableFunc(eps, func(a, b *Endpoint) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*Endpoint, len(eps))
	for i, ep := range eps {
		out[i] = endpointView(ep)
	}
	writeJSON(w, http.StatusOK, map[string]any{"endpoints": out})
}

// handleGetEndpoint serves one endpoint (without its secret).
func (s *Server) handleGetEndpoint(w http.ResponseWriter, r *http.Request) {
	ep, err := s.store.GetEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	writeJSON(w, http.StatusOK, endpointView(ep))
}

// endpointProblem maps a store error about the endpoint in the path.
func (s *Server) endpointProblem(r *http.Request, err error) *Problem {
	if errors.Is(err, ErrNotFound) {
		return problemf(http.StatusNotFound, problemNotFound, "no endpoint %q", r.PathValue("id"))
	}
	return problemFor(s.log, r, err)
}

type endpointPatch struct {
	URL         *string            `json:"url"`
	Variant     *string            `json:"variant"`
	Events      *[]string          `json:"events"`
	Description *string            `json:"description"`
	Headers     *map[string]string `json:"headers"`
	Chaos       *Chaos             `json:"chaos"`
	Disabled    *bool              `json:"disabled"`
}

// handleUpdateEndpoint changes the fields given; events are checked
// against the (possibly new) variant.
func (s *Server) handleUpdateEndpoint(w http.ResponseWriter, r *http.Request) {
	var req endpointPatch
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	s.epMu.Lock()
	defer s.epMu.Unlock()
	ep, err := s.store.GetEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	if req.URL != nil {
		if msg := checkWebhookURL(*req.URL); msg != "" {
			writeProblem(w, r, fieldProblem("/url", "format", "url "+msg))
			return
		}
		ep.URL = *req.URL
	}
	variant := ep.Variant
	if req.Variant != nil {
		variant = *req.Variant
	}
	v, _, p := s.lookupEvent(ep.Provider, variant, "", "", "/variant")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	ep.Variant = storedVariant(variant, v)
	if req.Events != nil {
		ep.Events = *req.Events
	}
	if ep.Events, p = checkEvents(v, ep.Events); p != nil {
		writeProblem(w, r, p)
		return
	}
	if req.Description != nil {
		ep.Description = *req.Description
	}
	if req.Headers != nil {
		if p := checkEndpointHeaders(*req.Headers); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.Headers = *req.Headers
	}
	if req.Chaos != nil {
		if p := checkSchedule(*req.Chaos, s.engine.scale); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.Chaos = *req.Chaos
	}
	if req.Disabled != nil {
		ep.Disabled = *req.Disabled
	}
	ep.UpdatedAt = time.Now().UTC()
	if err := s.store.PutEndpoint(r.Context(), ep); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	writeJSON(w, http.StatusOK, endpointView(ep))
}

// handleDeleteEndpoint removes an endpoint.
func (s *Server) handleDeleteEndpoint(w http.ResponseWriter, r *http.Request) {
	s.epMu.Lock()
	defer s.epMu.Unlock()
	id := r.PathValue("id")
	if _, err := s.store.GetEndpoint(r.Context(), id); err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	if err := s.store.DeleteEndpoint(r.Context(), id); err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	s.log.Info("endpoint removed", "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// handleRotateSecret replaces an endpoint's secret with the given one or a
// fresh one in the provider's format, and shows it once.
func (s *Server) handleRotateSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Secret *string `json:"secret"`
	}
	if p := decodeJSON(r, &req, true); p != nil {
		writeProblem(w, r, p)
		return
	}
	s.epMu.Lock()
	defer s.epMu.Unlock()
	ep, err := s.store.GetEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	v, err := s.cat.Variant(ep.Provider, ep.Variant)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	var secret string
	if req.Secret != nil {
		secret = *req.Secret
		if p := checkSecret(v, secret); p != nil {
			writeProblem(w, r, p)
			return
		}
	} else if secret, err = v.NewSecret(rand.Reader); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	ep.Secret = secret
	ep.UpdatedAt = time.Now().UTC()
	if err := s.store.PutEndpoint(r.Context(), ep); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	s.log.Info("endpoint secret rotated", "id", ep.ID)
	writeJSON(w, http.StatusOK, endpointWithSecret{endpointView(ep), secret})
}
