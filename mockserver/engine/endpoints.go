package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// Endpoints is the one owner of the endpoint rules: a receiver URL is an
// http(s) URL naming a host, events belong to the endpoint's variant,
// extra header values can be sent, secrets can sign the variant's
// deliveries (several only for Standard Webhooks, at most maxSecrets),
// the chaos plans no first attempt beyond MaxDueAhead at the engine's
// time scale, and the server holds at most its maximum of endpoints. The
// control API and the providers' registration mocks both register,
// change and remove endpoints through it, one endpoint write at a time;
// neither validates an endpoint itself.
//
// Its refusals are *Error (Pointer into the request as the control API
// spells it), *LimitError (too many endpoints), or the Store's error
// (wrapping ErrNotFound for an unknown id).
type Endpoints struct {
	e   *Engine
	max int
	// mu serialises read-modify-write of endpoints (PATCH, rotation,
	// provider registrations) and makes the room check and the write of
	// a new endpoint one step.
	mu sync.Mutex
}

// NewEndpoints returns the endpoint service of e's store and catalogue,
// holding at most maxEndpoints endpoints (0: DefaultMaxEndpoints).
func NewEndpoints(e *Engine, maxEndpoints int) *Endpoints {
	if maxEndpoints <= 0 {
		maxEndpoints = DefaultMaxEndpoints
	}
	return &Endpoints{e: e, max: maxEndpoints}
}

// maxSecrets bounds the keys of one endpoint's rotation.
const maxSecrets = 10

// NewEndpoint is an endpoint as a client asks for it (the control API's
// POST /api/endpoints body).
type NewEndpoint struct {
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

// EndpointPatch is a change of an endpoint: the fields given (not nil)
// replace the endpoint's (the control API's PATCH body).
type EndpointPatch struct {
	URL         *string            `json:"url"`
	Variant     *string            `json:"variant"`
	Events      *[]string          `json:"events"`
	Description *string            `json:"description"`
	ProbeURL    *string            `json:"probe_url"`
	Headers     *map[string]string `json:"headers"`
	Chaos       *Chaos             `json:"chaos"`
	Disabled    *bool              `json:"disabled"`
}

// Get returns endpoint id; an error wrapping ErrNotFound when there is
// none.
func (s *Endpoints) Get(ctx context.Context, id string) (*Endpoint, error) {
	return s.e.store.GetEndpoint(ctx, id)
}

// List returns every endpoint, in the store's order.
func (s *Endpoints) List(ctx context.Context) ([]*Endpoint, error) {
	return s.e.store.ListEndpoints(ctx)
}

// Create checks req, fills in what it leaves out (a fresh secret in the
// provider's format, a new id) and stores the endpoint (source "api")
// within the server's maximum. It returns the endpoint and its variant.
func (s *Endpoints) Create(ctx context.Context, req NewEndpoint) (*Endpoint, *providers.Variant, error) {
	if msg := CheckWebhookURL(req.URL); msg != "" {
		return nil, nil, fieldError("/url", "format", "url "+msg)
	}
	if err := CheckProbeURL(req.ProbeURL); err != nil {
		return nil, nil, err
	}
	v, err := s.variant(req.Provider, req.Variant, "/provider", "/variant")
	if err != nil {
		return nil, nil, err
	}
	var ep Endpoint
	if err := s.check(&ep, v, EndpointPatch{Events: &req.Events, Headers: &req.Headers}); err != nil {
		return nil, nil, err
	}
	secret, err := checkSecrets(v, req.Secret, req.Secrets)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	ep = Endpoint{
		ID: newEndpointID(), URL: req.URL, Provider: v.Provider.Name, Variant: storedVariant(req.Variant, v),
		Secret: secret, Events: ep.Events, Description: req.Description, ProbeURL: req.ProbeURL, Headers: req.Headers,
		Disabled: req.Disabled, Source: "api", CreatedAt: now, UpdatedAt: now,
	}
	if req.Chaos != nil {
		if err := s.checkSchedule(*req.Chaos); err != nil {
			return nil, nil, err
		}
		ep.Chaos = *req.Chaos
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkRoom(ctx); err != nil {
		return nil, nil, err
	}
	if err := s.e.store.PutEndpoint(ctx, &ep); err != nil {
		return nil, nil, err
	}
	return &ep, v, nil
}

// Update applies p to endpoint id; events are checked against the
// (possibly new) variant, and a header value that is the mask of the
// current value (MaskHeaderValue) keeps the current value.
func (s *Endpoints) Update(ctx context.Context, id string, p EndpointPatch) (*Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.e.store.GetEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.URL != nil {
		if msg := CheckWebhookURL(*p.URL); msg != "" {
			return nil, fieldError("/url", "format", "url "+msg)
		}
		ep.URL = *p.URL
	}
	variant := ep.Variant
	if p.Variant != nil {
		variant = *p.Variant
	}
	v, err := s.variant(ep.Provider, variant, "", "/variant")
	if err != nil {
		return nil, err
	}
	ep.Variant = storedVariant(variant, v)
	if p.Events == nil {
		p.Events = &ep.Events
	}
	if p.Headers != nil {
		unmasked := unmaskHeaders(*p.Headers, ep.Headers)
		p.Headers = &unmasked
	}
	if err := s.check(ep, v, p); err != nil {
		return nil, err
	}
	if p.Description != nil {
		ep.Description = *p.Description
	}
	if p.Chaos != nil {
		if err := s.checkSchedule(*p.Chaos); err != nil {
			return nil, err
		}
		ep.Chaos = *p.Chaos
	}
	if p.Disabled != nil {
		ep.Disabled = *p.Disabled
	}
	ep.UpdatedAt = time.Now().UTC()
	if err := s.e.store.PutEndpoint(ctx, ep); err != nil {
		return nil, err
	}
	return ep, nil
}

// check sets ep's events, probe URL and headers from p (those given),
// checking each; Events is always given.
func (s *Endpoints) check(ep *Endpoint, v *providers.Variant, p EndpointPatch) error {
	events, err := checkEvents(v, *p.Events)
	if err != nil {
		return err
	}
	ep.Events = events
	if p.ProbeURL != nil {
		if err := CheckProbeURL(*p.ProbeURL); err != nil {
			return err
		}
		ep.ProbeURL = *p.ProbeURL
	}
	if p.Headers != nil {
		if err := checkEndpointHeaders(*p.Headers); err != nil {
			return err
		}
		ep.Headers = *p.Headers
	}
	return nil
}

// RotateSecret replaces endpoint id's secret with the given one (or
// several, Standard Webhooks) or a fresh one in the provider's format,
// keeping the previous Standard Webhooks secrets after it when
// keepPrevious (at most maxSecrets in all). It returns the endpoint and
// its variant.
func (s *Endpoints) RotateSecret(ctx context.Context, id string, secret *string, secrets []string, keepPrevious bool) (*Endpoint, *providers.Variant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, err := s.e.store.GetEndpoint(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.e.cat.Variant(ep.Provider, ep.Variant)
	if err != nil {
		return nil, nil, err
	}
	key, err := checkSecrets(v, secret, secrets)
	if err != nil {
		return nil, nil, err
	}
	if keepPrevious {
		if v.Signature.Scheme != "standard-webhooks" {
			return nil, nil, unusableError("/keep_previous", "enum", fmt.Sprintf("%s signs with one secret; only Standard Webhooks keeps the previous secrets signing (key rotation)", v.ID()))
		}
		keys := append(strings.Fields(key), EndpointSecrets(ep.Secret, v)...)
		key = strings.Join(keys[:min(len(keys), maxSecrets)], " ")
	}
	ep.Secret = key
	ep.UpdatedAt = time.Now().UTC()
	if err := s.e.store.PutEndpoint(ctx, ep); err != nil {
		return nil, nil, err
	}
	return ep, v, nil
}

// Delete removes endpoint id; an error wrapping ErrNotFound when there is
// none.
func (s *Endpoints) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.e.store.GetEndpoint(ctx, id); err != nil {
		return err
	}
	return s.e.store.DeleteEndpoint(ctx, id)
}

// Upsert loads endpoint id (or starts a new one, within the server's
// maximum: beyond it the error is a *LimitError), lets update change it,
// and stores it, one endpoint write at a time. update gets existed=false
// for a new endpoint (ID, CreatedAt and Source set); its error stores
// nothing. The provider registration mocks register through it.
func (s *Endpoints) Upsert(ctx context.Context, id, source string, update func(ep *Endpoint, existed bool) error) (*Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC()
	ep, err := s.e.store.GetEndpoint(ctx, id)
	existed := err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		if err := s.checkRoom(ctx); err != nil {
			return nil, err
		}
		ep = &Endpoint{ID: id, Source: source, CreatedAt: now}
	case err != nil:
		return nil, err
	}
	if err := update(ep, existed); err != nil {
		return nil, err
	}
	ep.UpdatedAt = now
	if err := s.e.store.PutEndpoint(ctx, ep); err != nil {
		return nil, err
	}
	return ep, nil
}

// checkRoom returns a LimitError when the server already holds its
// maximum of endpoints. The caller holds s.mu, so that two creations
// cannot both take the last place.
func (s *Endpoints) checkRoom(ctx context.Context) error {
	eps, err := s.e.eps.list(ctx)
	if err != nil {
		return err
	}
	if n := len(eps); n >= s.max {
		return &LimitError{Bound: "max-endpoints", Max: s.max, Want: n + 1,
			Detail: fmt.Sprintf("the server holds %d endpoints; delete one before registering another", n)}
	}
	return nil
}

// checkSchedule is checkSchedule at the engine's time scale.
func (s *Endpoints) checkSchedule(c Chaos) error {
	if e := checkSchedule(c, s.e.scale); e != nil {
		return e
	}
	return nil
}

// variant resolves provider's variant, an unknown one an *Error at
// provPtr (unknown provider) or varPtr (unknown variant).
func (s *Endpoints) variant(provider, variant, provPtr, varPtr string) (*providers.Variant, error) {
	v, err := ResolveVariant(s.e.cat, provider, variant)
	if err == nil {
		return v, nil
	}
	var u *providers.UnknownError
	if !errors.As(err, &u) {
		return nil, &Error{Reason: err.Error(), Unusable: true, Err: err}
	}
	ptr := varPtr
	if _, perr := s.e.cat.Profile(provider); perr != nil {
		ptr = provPtr
	}
	return nil, &Error{Pointer: ptr, Reason: u.Error(), Rule: "enum", Unknown: true, Err: err}
}

// EndpointSecrets splits a stored secret into its keys: Standard Webhooks
// secrets (base64, never a space) may be several, separated by spaces;
// any other scheme's secret is one, spaces and all.
func EndpointSecrets(stored string, v *providers.Variant) []string {
	if v.Signature.Scheme == "standard-webhooks" {
		return strings.Fields(stored)
	}
	return []string{stored}
}

// checkSecrets returns the secret to store for a request's secret or
// secrets (at most one of them given; a fresh one in the provider's
// format when neither was), or an *Error naming the field.
func checkSecrets(v *providers.Variant, one *string, many []string) (string, error) {
	switch {
	case one != nil && many != nil:
		return "", fieldError("/secrets", "oneOf", "give secret or secrets, not both")
	case one != nil:
		if err := checkSecretAt(v, *one, "/secret"); err != nil {
			return "", err
		}
		return *one, nil
	case many == nil:
		return v.NewSecret(rand.Reader)
	case len(many) == 0 || len(many) > maxSecrets:
		return "", fieldError("/secrets", "maxItems", fmt.Sprintf("give 1 to %d secrets", maxSecrets))
	case len(many) > 1 && v.Signature.Scheme != "standard-webhooks":
		return "", unusableError("/secrets", "maxItems", fmt.Sprintf("%s signs with one secret; only Standard Webhooks sends one signature per secret (key rotation)", v.ID()))
	}
	for i, s := range many {
		if err := checkSecretAt(v, s, fmt.Sprintf("/secrets/%d", i)); err != nil {
			return "", err
		}
	}
	return strings.Join(many, " "), nil
}

// MaskHeaderValue hides a header value: "****" and, for a value of 16
// characters or more, its last 4 (enough to tell two keys apart).
func MaskHeaderValue(v string) string {
	const mask = "****"
	r := []rune(v)
	if len(r) < 16 {
		return mask
	}
	return mask + string(r[len(r)-4:])
}

// unmaskHeaders returns the headers of a patch with every value that is
// the mask of the endpoint's current value for the same name replaced by
// that value, so a client may send back what it read.
func unmaskHeaders(patch, current map[string]string) map[string]string {
	out := make(map[string]string, len(patch))
	for k, v := range patch {
		if old, ok := current[k]; ok && v == MaskHeaderValue(old) {
			v = old
		}
		out[k] = v
	}
	return out
}

// newEndpointID returns "ep_" and 20 random base-36 characters.
func newEndpointID() string {
	return "ep_" + RandomToken(20)
}

// RandomToken returns n random characters of [0-9a-z].
func RandomToken(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// CheckWebhookURL returns why u is not a usable http(s) receiver URL, or
// "" when it is: the rule for every endpoint, however registered.
func CheckWebhookURL(u string) string {
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

// CheckProbeURL refuses, at /probe_url, a probe URL that is not empty and
// not an http(s) URL.
func CheckProbeURL(u string) error {
	if u == "" {
		return nil
	}
	if msg := CheckWebhookURL(u); msg != "" {
		return fieldError("/probe_url", "format", "probe_url "+msg)
	}
	return nil
}

// checkEvents returns the events' canonical names, or an *Error naming
// the first unknown one (at /events/i).
func checkEvents(v *providers.Variant, events []string) ([]string, error) {
	out := make([]string, 0, len(events))
	for i, name := range events {
		ev, err := v.Event(name)
		if err != nil {
			ptr := fmt.Sprintf("/events/%d", i)
			var u *providers.UnknownError
			if errors.As(err, &u) {
				return nil, &Error{Pointer: ptr, Reason: u.Error(), Rule: "enum", Unknown: true, Err: err}
			}
			return nil, fieldError(ptr, "enum", err.Error())
		}
		out = append(out, ev.Name)
	}
	return out, nil
}

// checkSecretAt refuses (at ptr) a secret, one secret, that cannot sign
// v's deliveries. The error never quotes the secret.
func checkSecretAt(v *providers.Variant, secret, ptr string) error {
	if v.Signature.Scheme == "none" {
		return nil
	}
	if _, err := v.Signers([]string{secret}); err != nil {
		return unusableError(ptr, "format",
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

// fieldError is a malformed field of a request (the control API's 400).
func fieldError(ptr, rule, reason string) *Error {
	return &Error{Pointer: ptr, Reason: reason, Rule: rule}
}

// unusableError is a well-formed field the provider cannot use (the
// control API's 422 "unprocessable").
func unusableError(ptr, rule, reason string) *Error {
	return &Error{Pointer: ptr, Reason: reason, Rule: rule, Unusable: true}
}
