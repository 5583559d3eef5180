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

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
)

// endpointWithSecret is an endpoint as answered the one time its secret
// is shown (creation, rotation).
type endpointWithSecret struct {
	*Endpoint
	Secret string `json:"secret"`
	// Secrets lists every secret of a Standard Webhooks endpoint that
	// signs with several (key rotation), Secret first.
	Secrets []string `json:"secrets,omitempty"`
}

// withSecret is the one-time answer for ep, whose stored Secret holds
// several space-separated secrets where it signs with several.
func withSecret(ep *Endpoint, v *providers.Variant) endpointWithSecret {
	out := endpointWithSecret{Endpoint: endpointView(ep), Secret: ep.Secret}
	if keys := endpointSecrets(ep.Secret, v); len(keys) > 1 {
		out.Secret, out.Secrets = keys[0], keys
	}
	return out
}

// maxSecrets bounds the keys of one endpoint's rotation.
const maxSecrets = 10

// endpointSecrets splits a stored secret into its keys: Standard Webhooks
// secrets (base64, never a space) may be several, separated by spaces;
// any other scheme's secret is one, spaces and all.
func endpointSecrets(stored string, v *providers.Variant) []string {
	if v.Signature.Scheme == "standard-webhooks" {
		return strings.Fields(stored)
	}
	return []string{stored}
}

// checkSecrets returns the secret to store for a request's secret or
// secrets (at most one of them given; ok false when neither was), or a
// problem naming the field.
func checkSecrets(v *providers.Variant, one *string, many []string) (secret string, ok bool, p *Problem) {
	switch {
	case one != nil && many != nil:
		return "", false, fieldProblem("/secrets", "oneOf", "give secret or secrets, not both")
	case one != nil:
		return *one, true, checkSecretAt(v, *one, "/secret")
	case many == nil:
		return "", false, nil
	case len(many) == 0 || len(many) > maxSecrets:
		return "", false, fieldProblem("/secrets", "maxItems", fmt.Sprintf("give 1 to %d secrets", maxSecrets))
	case len(many) > 1 && v.Signature.Scheme != "standard-webhooks":
		return "", false, unprocessableAt("/secrets", "maxItems", fmt.Sprintf("%s signs with one secret; only Standard Webhooks sends one signature per secret (key rotation)", v.ID()))
	}
	for i, s := range many {
		if p := checkSecretAt(v, s, fmt.Sprintf("/secrets/%d", i)); p != nil {
			return "", false, p
		}
	}
	return strings.Join(many, " "), true, nil
}

// endpointView returns a copy of ep fit for JSON answers: no nil slices
// or maps, and the extra headers' values masked (they are often a
// gateway's API key). Endpoint's Secret is never marshalled.
func endpointView(ep *Endpoint) *Endpoint {
	c := *ep
	if c.Events == nil {
		c.Events = []string{}
	}
	if c.Headers != nil {
		c.Headers = make(map[string]string, len(ep.Headers))
		for k, v := range ep.Headers {
			c.Headers[k] = maskValue(v)
		}
	}
	return &c
}

// maskValue hides a header value: "****" and, for a value of 16
// characters or more, its last 4 (enough to tell two keys apart).
func maskValue(v string) string {
	const mask = "****"
	r := []rune(v)
	if len(r) < 16 {
		return mask
	}
	return mask + string(r[len(r)-4:])
}

// unmaskHeaders returns the headers of a PATCH with every value that is
// the mask of the endpoint's current value for the same name replaced by
// that value, so a client may send back what it read.
func unmaskHeaders(patch, current map[string]string) map[string]string {
	out := make(map[string]string, len(patch))
	for k, v := range patch {
		if old, ok := current[k]; ok && v == maskValue(old) {
			v = old
		}
		out[k] = v
	}
	return out
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

// checkProbeURL answers 400 at /probe_url for a probe URL that is not
// empty and not an http(s) URL.
func checkProbeURL(u string) *Problem {
	if u == "" {
		return nil
	}
	if msg := checkWebhookURL(u); msg != "" {
		return fieldProblem("/probe_url", "format", "probe_url "+msg)
	}
	return nil
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

// unprocessableAt is a 422 problem about the field at ptr: valid JSON
// the provider cannot use.
func unprocessableAt(ptr, rule, msg string) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, problemUnprocessable, msg)
	p.Errors = []ProblemError{{Pointer: ptr, In: "body", Rule: rule, Message: msg}}
	return p
}

// checkSecretAt returns a problem (at ptr) if secret, one secret, cannot
// sign v's deliveries. The problem never quotes the secret.
func checkSecretAt(v *providers.Variant, secret, ptr string) *Problem {
	if v.Signature.Scheme == "none" {
		return nil
	}
	if _, err := v.Signers([]string{secret}); err != nil {
		return unprocessableAt(ptr, "format",
			fmt.Sprintf("the secret cannot sign %s deliveries (%s secrets look like %s)", v.ID(), v.Signature.Scheme, secretFormatHint(v)))
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
	Secrets     []string          `json:"secrets"`
	Description string            `json:"description"`
	ProbeURL    string            `json:"probe_url"`
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
	if p := checkProbeURL(req.ProbeURL); p != nil {
		writeProblem(w, r, p)
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
	secret, given, p := checkSecrets(v, req.Secret, req.Secrets)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if !given {
		var err error
		if secret, err = v.NewSecret(rand.Reader); err != nil {
			writeProblem(w, r, problemFor(s.log, r, err))
			return
		}
	}
	now := time.Now().UTC()
	ep := &Endpoint{
		ID: newEndpointID(), URL: req.URL, Provider: v.Provider.Name, Variant: storedVariant(req.Variant, v),
		Secret: secret, Events: events, Description: req.Description, ProbeURL: req.ProbeURL, Headers: req.Headers,
		Disabled: req.Disabled, Source: "api", CreatedAt: now, UpdatedAt: now,
	}
	if req.Chaos != nil {
		if p := checkSchedule(*req.Chaos, s.engine.scale); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.Chaos = *req.Chaos
	}
	if err := s.putNewEndpoint(r.Context(), ep); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	s.log.Info("endpoint registered", "id", ep.ID, "provider", ep.Provider, "variant", v.Name, "url", wire.RedactURL(ep.URL))
	w.Header().Set("Location", "/api/endpoints/"+url.PathEscape(ep.ID))
	writeJSON(w, http.StatusCreated, withSecret(ep, v))
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
	ProbeURL    *string            `json:"probe_url"`
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
	if req.ProbeURL != nil {
		if p := checkProbeURL(*req.ProbeURL); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.ProbeURL = *req.ProbeURL
	}
	if req.Headers != nil {
		if p := checkEndpointHeaders(*req.Headers); p != nil {
			writeProblem(w, r, p)
			return
		}
		ep.Headers = unmaskHeaders(*req.Headers, ep.Headers)
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
	secret, given, p := checkSecrets(v, req.Secret, req.Secrets)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if !given {
		if secret, err = v.NewSecret(rand.Reader); err != nil {
			writeProblem(w, r, problemFor(s.log, r, err))
			return
		}
	}
	if req.KeepPrevious {
		if v.Signature.Scheme != "standard-webhooks" {
			writeProblem(w, r, unprocessableAt("/keep_previous", "enum", fmt.Sprintf("%s signs with one secret; only Standard Webhooks keeps the previous secrets signing (key rotation)", v.ID())))
			return
		}
		keys := append(strings.Fields(secret), endpointSecrets(ep.Secret, v)...)
		secret = strings.Join(keys[:min(len(keys), maxSecrets)], " ")
	}
	ep.Secret = secret
	ep.UpdatedAt = time.Now().UTC()
	if err := s.store.PutEndpoint(r.Context(), ep); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	s.log.Info("endpoint secret rotated", "id", ep.ID)
	writeJSON(w, http.StatusOK, withSecret(ep, v))
}
