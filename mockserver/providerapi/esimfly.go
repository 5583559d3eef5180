package providerapi

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// eSIMfly's business webhooks API (variants 2026-04 and 2026-09,
// providers.md "esimfly"), mocked under /esimfly:
//
//	PUT /esimfly/api/v1/business/webhooks[?variant=2026-09]   {webhook_url, events[]}
//	GET /esimfly/api/v1/business/webhooks[?variant=2026-09]   settings, available_events, recent_deliveries
//
// Both editions document the same two calls, so ?variant= (as eSIM
// Access's mock) says which edition the webhook receives; without it the
// stored webhook keeps its edition, and a new one gets 2026-04. 2025-01 has no
// API (dashboard only): asking for it is 400 VALIDATION_FAILED.
//
// Requests need eSIMfly's RT-AccessCode, RT-RequestID, RT-Timestamp and
// RT-Signature headers (401 AUTH_MISSING otherwise). Without a server
// token any values are accepted (the signature is not checked). With one,
// the access code and the key of RT-Signature must be the eSIMfly
// credentials of GET /api/credentials, and RT-Timestamp within 5 minutes
// of now (401 AUTH_INVALID otherwise, assumed). The account is the
// access code; its webhook is endpoint ep_esimfly_<account>.
//
// Every PUT creates or replaces the webhook with a fresh whsec_ secret,
// shown in that answer only (eSIMfly: "Rotate the secret by calling PUT
// /webhooks again"); from then on every attempt, including retries of
// earlier deliveries, is signed with the new secret only. events defaults
// to every available event (assumed). available_events lists every event
// the edition documents, including 2026-09's order.completed, which is
// reserved: subscribing to it is accepted, but it is never sent unless a
// trigger forces it. GET shows the settings without the secret, the
// edition's events, and the last 10 deliveries to the webhook from the
// delivery log.
//
// Answers use eSIMfly's envelope: {"success": true, …} and, for errors,
// {"success": false, "error": msg, "code": CODE, "details": {…}}.
// Assumed: 400 VALIDATION_FAILED for a bad body, "api_key_name":
// "default", and delivery ids being the mock's string ids (eSIMfly shows
// numbers).

// esimflyWebhookVariant is the edition a PUT without ?variant= registers.
const esimflyWebhookVariant = "2026-04"

// esimflyAPIVariants are the editions with a webhooks API.
var esimflyAPIVariants = []string{"2026-04", "2026-09"}

// esimflyMock serves eSIMfly's business webhooks API.
type esimflyMock struct {
	h      api.ProviderHost
	routes *providerRoutes
}

func newEsimflyMock(h api.ProviderHost) *esimflyMock {
	m := &esimflyMock{h: h}
	m.routes = &providerRoutes{
		routes: []providerRoute{
			{http.MethodPut, "/esimfly/api/v1/business/webhooks", m.put},
			{http.MethodGet, "/esimfly/api/v1/business/webhooks", m.get},
		},
		notFound: func(w http.ResponseWriter, r *http.Request) {
			esimflyFail(w, http.StatusNotFound, "NOT_FOUND", "Endpoint not found", nil)
		},
		notAllowed: func(w http.ResponseWriter, r *http.Request) {
			esimflyFail(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
				fmt.Sprintf("%s is not supported here; use %s", r.Method, w.Header().Get("Allow")), nil)
		},
	}
	return m
}

func (m *esimflyMock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.routes.ServeHTTP(w, r) }

// esimflyFail answers eSIMfly's error envelope.
func esimflyFail(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	body := map[string]any{"success": false, "error": msg, "code": code}
	if details != nil {
		body["details"] = details
	}
	api.WriteJSON(w, status, body)
}

// auth returns the caller's account, or answers 401 AUTH_MISSING.
func (m *esimflyMock) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	var missing []string
	for _, h := range []string{"RT-AccessCode", "RT-RequestID", "RT-Timestamp", "RT-Signature"} {
		if strings.TrimSpace(r.Header.Get(h)) == "" {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		esimflyFail(w, http.StatusUnauthorized, "AUTH_MISSING", "Missing authentication headers",
			map[string]any{"missing": missing})
		return "", false
	}
	if c := m.h.Credentials(); c != nil && !checkRT(r, c.Esimfly, false, time.Now(), m.h.MaxBodyBytes()) {
		esimflyFail(w, http.StatusUnauthorized, "AUTH_INVALID", "Invalid authentication: RT-AccessCode or RT-Signature does not match this server's credentials, or RT-Timestamp is more than 5 minutes off", nil)
		return "", false
	}
	return accountKey(r.Header.Get("RT-AccessCode")), true
}

// variant returns the edition named by ?variant=, else fallback, else
// 2026-04; it answers 400 for an edition without a webhooks API and 404
// for one the catalogue lacks.
func (m *esimflyMock) variant(w http.ResponseWriter, r *http.Request, fallback string) (*providers.Variant, bool) {
	name := r.URL.Query().Get("variant")
	if name == "" {
		name = fallback
	}
	if name == "" {
		name = esimflyWebhookVariant
	}
	if !slices.Contains(esimflyAPIVariants, name) {
		esimflyFail(w, http.StatusBadRequest, "VALIDATION_FAILED", "Request validation failed",
			map[string]any{"variant": fmt.Sprintf("variant %q has no webhooks API; use one of %s (2025-01 registers in the dashboard only)", name, strings.Join(esimflyAPIVariants, ", "))})
		return nil, false
	}
	v, err := m.h.Catalogue().Variant("esimfly", name)
	if err != nil {
		esimflyFail(w, http.StatusNotFound, "NOT_FOUND", "esimfly@"+name+" is not in this server's catalogue", nil)
		return nil, false
	}
	return v, true
}

func esimflyEndpointID(account string) string { return "ep_esimfly_" + account }

// put creates or replaces the account's webhook and shows its new secret.
func (m *esimflyMock) put(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	stored := ""
	if old, err := m.h.Endpoints().Get(r.Context(), esimflyEndpointID(account)); err == nil {
		stored = old.Variant // a re-PUT (rotation) keeps the edition unless ?variant= changes it
	}
	v, ok := m.variant(w, r, stored)
	if !ok {
		return
	}
	body, tooLarge, err := readBody(w, r, m.h.MaxBodyBytes())
	if tooLarge {
		esimflyFail(w, http.StatusRequestEntityTooLarge, "VALIDATION_FAILED", "Request body too large", nil)
		return
	}
	var req struct {
		WebhookURL *string   `json:"webhook_url"`
		Events     *[]string `json:"events"`
	}
	if err != nil || json.Unmarshal(body, &req) != nil {
		esimflyFail(w, http.StatusBadRequest, "VALIDATION_FAILED", "Request body must be a JSON object with webhook_url and events", nil)
		return
	}
	fields := map[string]any{}
	switch {
	case req.WebhookURL == nil || strings.TrimSpace(*req.WebhookURL) == "":
		fields["webhook_url"] = "webhook_url is required"
	case engine.CheckWebhookURL(*req.WebhookURL) != "":
		fields["webhook_url"] = "webhook_url must be an http or https URL"
	}
	available := esimflyAvailable(v)
	var events []string
	if req.Events == nil || len(*req.Events) == 0 {
		events = available
	} else {
		var unknown []string
		for _, e := range *req.Events {
			if !slices.Contains(available, e) {
				unknown = append(unknown, e)
			} else if !slices.Contains(events, e) {
				events = append(events, e)
			}
		}
		if len(unknown) > 0 {
			fields["events"] = fmt.Sprintf("unknown events %s; available: %s", strings.Join(unknown, ", "), strings.Join(available, ", "))
		}
	}
	if len(fields) > 0 {
		esimflyFail(w, http.StatusBadRequest, "VALIDATION_FAILED", "Request validation failed", fields)
		return
	}
	hook := strings.TrimSpace(*req.WebhookURL)
	id := esimflyEndpointID(account)
	probe := &engine.Endpoint{ID: id, URL: hook, Provider: v.Provider.Name, Variant: v.Name}
	if err := m.h.CheckRegistration(r.Context(), v, probe); err != nil {
		var ce *api.CheckError
		if errors.As(err, &ce) {
			esimflyFail(w, http.StatusBadRequest, "VALIDATION_FAILED", ce.Msg, map[string]any{"webhook_url": ce.Msg})
			return
		}
		m.h.Logger().Error("esimfly webhook check failed", "err", err)
		esimflyFail(w, http.StatusInternalServerError, "SYSTEM_ERROR", "Internal system error", nil)
		return
	}
	secret, err := v.NewSecret(rand.Reader)
	if err != nil {
		esimflyFail(w, http.StatusInternalServerError, "SYSTEM_ERROR", "Internal system error", nil)
		return
	}
	ep, err := m.h.Endpoints().Upsert(r.Context(), id, "esimfly", func(ep *engine.Endpoint, _ bool) error {
		ep.URL, ep.Provider, ep.Variant, ep.Events, ep.Secret = hook, v.Provider.Name, v.Name, events, secret
		ep.Description = "eSIMfly PUT /api/v1/business/webhooks"
		return nil
	})

	if le := (*engine.LimitError)(nil); errors.As(err, &le) {
		esimflyFail(w, http.StatusConflict, "CONFLICT", le.Error(), nil)
		return
	}
	if err != nil {
		m.h.Logger().Error("esimfly webhook save failed", "err", err)
		esimflyFail(w, http.StatusInternalServerError, "SYSTEM_ERROR", "Internal system error", nil)
		return
	}
	m.h.Logger().Info("esimfly webhook set", "endpoint", ep.ID, "url", wire.RedactURL(ep.URL))
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"success": true,
		"message": "Webhook settings updated",
		"webhook": map[string]any{"url": ep.URL, "secret": secret, "events": ep.Events},
		"note":    "Save your webhook_secret - it is used to verify webhook signatures via X-Webhook-Signature header.",
	})
}

// esimflyAvailable lists the variant's events as available_events does:
// every one but internal ones, reserved ones included.
func esimflyAvailable(v *providers.Variant) []string {
	var out []string
	for _, e := range v.Events {
		if !e.Internal {
			out = append(out, e.Name)
		}
	}
	return out
}

// esimflyDelivery is one of GET's recent_deliveries.
type esimflyDelivery struct {
	ID             string     `json:"id"`
	Event          string     `json:"event"`
	OrderReference *string    `json:"order_reference"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastAttempt    *time.Time `json:"last_attempt"`
	DeliveredAt    *time.Time `json:"delivered_at"`
}

// get shows the webhook settings, the available events and the last 10
// deliveries.
func (m *esimflyMock) get(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	id := esimflyEndpointID(account)
	var hook any
	ep, err := m.h.Endpoints().Get(r.Context(), id)
	switch {
	case errors.Is(err, engine.ErrNotFound):
		ep = nil
	case err != nil:
		m.h.Logger().Error("esimfly webhook lookup failed", "err", err)
		esimflyFail(w, http.StatusInternalServerError, "SYSTEM_ERROR", "Internal system error", nil)
		return
	}
	stored := ""
	if ep != nil {
		stored = ep.Variant
	}
	v, ok := m.variant(w, r, stored)
	if !ok {
		return
	}
	if ep != nil {
		events := ep.Events
		if len(events) == 0 {
			events = esimflyAvailable(v)
		}
		hook = map[string]any{"url": ep.URL, "events": events, "api_key_name": "default"}
	}
	available := []map[string]string{}
	for _, e := range v.Events {
		if !e.Internal {
			available = append(available, map[string]string{"event": e.Name, "description": e.Description})
		}
	}
	recent := []esimflyDelivery{}
	if hook != nil {
		ds, err := m.h.RecentDeliveries(r.Context(), id, 10)
		if err != nil {
			m.h.Logger().Error("esimfly delivery lookup failed", "err", err)
			esimflyFail(w, http.StatusInternalServerError, "SYSTEM_ERROR", "Internal system error", nil)
			return
		}
		for _, d := range ds {
			recent = append(recent, newEsimflyDelivery(d))
		}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"success": true, "webhook": hook, "available_events": available, "recent_deliveries": recent,
	})
}

func newEsimflyDelivery(d *engine.Delivery) esimflyDelivery {
	out := esimflyDelivery{ID: d.ID, Event: d.Event, Attempts: d.Attempts}
	switch d.State {
	case engine.StateDelivered:
		out.Status = "delivered"
		t := d.UpdatedAt
		out.DeliveredAt = &t
	case engine.StatePending:
		out.Status = "pending"
	default:
		out.Status = "failed"
	}
	if d.Attempts > 0 {
		t := d.UpdatedAt
		out.LastAttempt = &t
	}
	if p, err := jsonv.Parse(d.Body); err == nil {
		if ref, ok := jsonv.Get(p, []string{"data", "order_reference"}); ok {
			if s, ok := ref.(string); ok {
				out.OrderReference = &s
			}
		}
	}
	return out
}
