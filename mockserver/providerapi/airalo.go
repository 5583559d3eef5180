package providerapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
)

// Airalo's partner API, mocked under /airalo (providers.md, "airalo"):
//
//	POST /airalo/v2/token                      access token (client_id, client_secret, grant_type)
//	POST /airalo/v2/notifications/opt-in       {type, webhook_url | email, language, levels}
//	GET  /airalo/v2/notifications/opt-in       the settings (?type= selects one)
//	POST /airalo/v2/notifications/opt-out      {type} → 204
//	POST /airalo/v2/simulator/webhook          see airalo_simulator.go
//
// Every route but /v2/token needs "Authorization: Bearer <token>" (see
// airalo_token.go for which tokens are accepted). The account
// is the token's client (for tokens this mock issued, which carry the
// client_id) or else the token itself. Bodies may be JSON or form data, as
// Airalo accepts both.
//
// Opting in a webhook type first sends HEAD to webhook_url (the airalo
// profile's registration check): anything but 200 fails the opt-in. A
// successful opt-in registers (or updates) the endpoint
// ep_airalo_<account>_<type>, subscribed to the type's events. Deliveries
// are signed with the client_secret given to /v2/token when this mock
// issued the token (as Airalo signs with the partner's client secret);
// otherwise with a generated secret, which the control API's
// rotate-secret shows (or sets).
//
// Answers follow Airalo's envelope {"data": …, "meta": {"message": …}}.
// Assumed, as Airalo documents no example of them: the 422 validation
// shape {"data": {"<field>": "<Laravel message>"}, "meta": {"message":
// "the parameter is invalid"}} (also used for a failed HEAD check), the
// 401 {"data": [], "meta": {"message": "Unauthenticated."}}, the 404 of GET
// opt-in without settings, and opt-out of a type never opted in being a
// 204 too.

// airaloTypeEvents maps each notification type to the events it
// subscribes an endpoint to; email types have no endpoint.
var airaloTypeEvents = map[string][]string{
	"async_orders":         {"async_order", "async_order_failed"},
	"webhook_low_data":     {"low_data_75", "low_data_90", "low_data_3days", "low_data_1days"},
	"webhook_credit_limit": {"credit_limit"},
	"email_low_data":       nil,
	"email_credit_limit":   nil,
}

// airaloCreditLevels are the credit-limit thresholds Airalo offers.
var airaloCreditLevels = []int{50, 70, 80, 90}

// airaloNotification is one opted-in notification, as Airalo shows it.
type airaloNotification struct {
	Type         string `json:"type"`
	ContactPoint string `json:"contact_point"`
	Language     string `json:"language,omitempty"`
	Levels       []int  `json:"levels,omitempty"`
	updated      time.Time
}

// airaloMock serves Airalo's partner API.
type airaloMock struct {
	h      api.ProviderHost
	routes *providerRoutes
	// sim limits the simulator per account and (4 times as much) per
	// source address, so new accounts do not bypass it.
	sim, simAddr *rateLimiter
	// tokenKey signs access tokens.
	tokenKey []byte

	mu sync.Mutex
	// clock is the tokens' clock (tests replace it with setClock).
	clock func() time.Time
	// secrets holds the client_secret given to /v2/token, by client_id.
	secrets map[string]string
	// emails holds email opt-ins, by account and type.
	emails map[string]map[string]airaloNotification
	// levels holds the credit-limit levels chosen, by endpoint id.
	levels map[string][]int
}

// newAiraloMock serves Airalo's APIs on h; the access tokens' key derives
// from the server's token (h.DeriveKey).
func newAiraloMock(h api.ProviderHost) *airaloMock {
	m := &airaloMock{
		h: h, sim: newRateLimiter(airaloSimLimit, time.Minute), simAddr: newRateLimiter(4*airaloSimLimit, time.Minute),
		tokenKey: newAiraloTokenKey(h), clock: time.Now,
		secrets: map[string]string{}, emails: map[string]map[string]airaloNotification{}, levels: map[string][]int{},
	}
	m.routes = &providerRoutes{
		routes: []providerRoute{
			{http.MethodPost, "/airalo/v2/token", m.token},
			{http.MethodPost, "/airalo/v2/notifications/opt-in", m.optIn},
			{http.MethodGet, "/airalo/v2/notifications/opt-in", m.getOptIn},
			{http.MethodPost, "/airalo/v2/notifications/opt-out", m.optOut},
			{http.MethodPost, "/airalo/v2/simulator/webhook", m.simulate},
		},
		notFound: func(w http.ResponseWriter, r *http.Request) {
			airaloMessage(w, http.StatusNotFound, fmt.Sprintf("The route %s could not be found.", strings.TrimPrefix(r.URL.Path, "/airalo")))
		},
		notAllowed: func(w http.ResponseWriter, r *http.Request) {
			airaloMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("The %s method is not supported for this route. Supported methods: %s.",
				r.Method, w.Header().Get("Allow")))
		},
	}
	return m
}

func (m *airaloMock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.routes.ServeHTTP(w, r) }

// airaloMessage answers {"data": [], "meta": {"message": msg}}.
func airaloMessage(w http.ResponseWriter, status int, msg string) {
	api.WriteJSON(w, status, map[string]any{"data": []any{}, "meta": map[string]string{"message": msg}})
}

// airaloInvalid answers Airalo's 422 validation shape.
func airaloInvalid(w http.ResponseWriter, fields map[string]string) {
	api.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"data": fields, "meta": map[string]string{"message": "the parameter is invalid"}})
}

// requireKnown notes in errs, in Airalo's (Laravel's) words, a field that
// must be one of a set and is absent or not in it; it returns errs.
func requireKnown(errs map[string]string, field, value string, known bool) map[string]string {
	switch {
	case value == "":
		errs[field] = fmt.Sprintf("The %s field is required.", field)
	case !known:
		errs[field] = fmt.Sprintf("The selected %s is invalid.", field)
	}
	return errs
}

// typeForm authenticates an opt-in or opt-out request and reads its form
// and notification type: the type's events (nil for an e-mail type). It
// answers the request itself (401, 422, …) and returns false when one of
// them is wrong.
func (m *airaloMock) typeForm(w http.ResponseWriter, r *http.Request) (account string, f airaloForm, typ string, events []string, ok bool) {
	if account, ok = m.auth(w, r); !ok {
		return
	}
	if f, ok = m.readForm(w, r); !ok {
		return
	}
	typ = f.str("type")
	events, known := airaloTypeEvents[typ]
	if errs := requireKnown(map[string]string{}, "type", typ, known); len(errs) > 0 {
		airaloInvalid(w, errs)
		return account, f, typ, nil, false
	}
	return account, f, typ, events, true
}

// variant returns the airalo profile's default variant.
func (m *airaloMock) variant(w http.ResponseWriter) (*providers.Variant, bool) {
	v, err := m.h.Catalogue().Variant("airalo", "")
	if err != nil {
		airaloMessage(w, http.StatusNotFound, "the airalo provider is not in this server's catalogue")
		return nil, false
	}
	return v, true
}

// airaloEndpointID is the endpoint an account's webhook type registers.
func airaloEndpointID(account, typ string) string {
	return "ep_airalo_" + account + "_" + typ
}

// optIn opts an account in to a notification type.
func (m *airaloMock) optIn(w http.ResponseWriter, r *http.Request) {
	account, f, typ, events, ok := m.typeForm(w, r)
	if !ok {
		return
	}
	v, ok := m.variant(w)
	if !ok {
		return
	}
	errs := map[string]string{}
	n := airaloNotification{Type: typ, updated: time.Now()}
	if strings.HasPrefix(typ, "email_") {
		email := f.str("email")
		if email == "" {
			email = f.str("contact_point")
		}
		switch {
		case email == "":
			errs["email"] = "The email field is required."
		case !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n"):
			errs["email"] = "The email must be a valid email address."
		}
		n.ContactPoint, n.Language = email, f.str("language")
		if n.Language == "" {
			n.Language = "en"
		}
	} else {
		u := f.str("webhook_url")
		switch {
		case u == "":
			errs["webhook_url"] = "The webhook url field is required."
		case engine.CheckWebhookURL(u) != "":
			errs["webhook_url"] = "The webhook url must be a valid URL."
		}
		n.ContactPoint = u
	}
	if strings.HasSuffix(typ, "credit_limit") {
		levels, msg := f.levels()
		if msg != "" {
			errs["levels"] = msg
		}
		n.Levels = levels
	}
	if len(errs) > 0 {
		airaloInvalid(w, errs)
		return
	}

	if events == nil {
		m.mu.Lock()
		if m.emails[account] == nil {
			m.emails[account] = map[string]airaloNotification{}
		}
		m.emails[account][typ] = n
		m.mu.Unlock()
		api.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"notification": n}, "meta": map[string]string{"message": "success"}})
		return
	}

	id := airaloEndpointID(account, typ)
	probe := &engine.Endpoint{ID: id, URL: n.ContactPoint, Provider: v.Provider.Name}
	if err := m.h.CheckRegistration(r.Context(), v, probe); err != nil {
		var ce *api.CheckError
		if errors.As(err, &ce) {
			airaloInvalid(w, map[string]string{"webhook_url": "The webhook url must respond with 200 OK to a HEAD request: " + ce.Msg + "."})
			return
		}
		m.h.Logger().Error("airalo opt-in check failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	clientSecret := m.clientSecret(r)
	ep, err := m.h.Endpoints().Upsert(r.Context(), id, "airalo", func(ep *engine.Endpoint, existed bool) error {
		ep.URL, ep.Provider, ep.Variant, ep.Events = n.ContactPoint, v.Provider.Name, "", slices.Clone(events)
		ep.Description = "Airalo opt-in " + typ
		switch {
		case clientSecret != "":
			ep.Secret = clientSecret
		case !existed || ep.Secret == "":
			s, err := v.NewSecret(rand.Reader)
			if err != nil {
				return err
			}
			ep.Secret = s
		}
		return nil
	})

	if le := (*engine.LimitError)(nil); errors.As(err, &le) {
		airaloMessage(w, http.StatusConflict, le.Error())
		return
	}
	if err != nil {
		m.h.Logger().Error("airalo opt-in failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	m.mu.Lock()
	m.levels[ep.ID] = n.Levels
	m.mu.Unlock()
	m.h.Logger().Info("airalo opt-in", "endpoint", ep.ID, "type", typ, "url", wire.RedactURL(ep.URL))
	api.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"notification": n}, "meta": map[string]string{"message": "success"}})
}

// notifications returns the account's opted-in notifications: webhook
// types from the Store, email types from memory.
func (m *airaloMock) notifications(r *http.Request, account string) ([]airaloNotification, error) {
	var out []airaloNotification
	for typ, events := range airaloTypeEvents {
		if events == nil {
			continue
		}
		ep, err := m.h.Endpoints().Get(r.Context(), airaloEndpointID(account, typ))
		if errors.Is(err, engine.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		levels := m.levels[ep.ID]
		m.mu.Unlock()
		out = append(out, airaloNotification{Type: typ, ContactPoint: ep.URL, Levels: levels, updated: ep.UpdatedAt})
	}
	m.mu.Lock()
	for _, n := range m.emails[account] {
		out = append(out, n)
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b airaloNotification) int { return b.updated.Compare(a.updated) })
	return out, nil
}

// getOptIn shows the most recently changed notification setting, or the
// one of ?type=.
func (m *airaloMock) getOptIn(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	typ := r.URL.Query().Get("type")
	if _, known := airaloTypeEvents[typ]; typ != "" && !known {
		airaloInvalid(w, map[string]string{"type": "The selected type is invalid."})
		return
	}
	list, err := m.notifications(r, account)
	if err != nil {
		m.h.Logger().Error("airalo opt-in lookup failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	for _, n := range list {
		if typ == "" || n.Type == typ {
			api.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"notification": n}, "meta": map[string]string{"message": "success"}})
			return
		}
	}
	airaloMessage(w, http.StatusNotFound, "Notification settings not found.")
}

// optOut removes a notification type (204 whether or not it was set).
func (m *airaloMock) optOut(w http.ResponseWriter, r *http.Request) {
	account, _, typ, events, ok := m.typeForm(w, r)
	if !ok {
		return
	}
	if events == nil {
		m.mu.Lock()
		delete(m.emails[account], typ)
		m.mu.Unlock()
	} else {
		id := airaloEndpointID(account, typ)
		err := m.h.Endpoints().Delete(r.Context(), id)
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			m.h.Logger().Error("airalo opt-out failed", "err", err)
			airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
			return
		}
		m.mu.Lock()
		delete(m.levels, id)
		m.mu.Unlock()
		m.h.Logger().Info("airalo opt-out", "endpoint", id, "type", typ)
	}
	w.WriteHeader(http.StatusNoContent)
}
