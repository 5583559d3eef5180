package providerapi

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
)

// eSIM Access's open API webhook registration, mocked under /esimaccess
// (providers.md, "esimaccess"; the error codes are those of eSIM Access's
// API reference):
//
//	POST /esimaccess/api/v1/open/webhook/save    {"webhook": url}
//	POST /esimaccess/api/v1/open/webhook/query   → obj {"webhook": url} (GET works too)
//
// Both need the RT-AccessCode header plus RT-SecretKey (the seed's form)
// or RT-Signature (the API reference's HMAC form); otherwise the answer is
// the envelope with success false and errorCode 000101. Without a server
// token any values are accepted (the signature is not checked). With one,
// they must be the eSIM Access credentials of GET /api/credentials
// (RT-Signature computed as checkRT says); others get errorCode 000102
// (assumed; eSIM Access documents no code for it). The account is the
// access code: saving again replaces the account's one webhook, endpoint
// ep_esimaccess_<account>.
//
// The endpoint receives the default variant (open-api) unless the request
// says ?variant=api-reference. For that variant, saving a new URL first
// sends CHECK_HEALTH ({"notifyType":"CHECK_HEALTH","content":{"orderNo":
// "1234567890","orderStatus":"Test"}}); the URL is saved only if that
// delivery is acknowledged with a 2xx within 5 s, as eSIM Access's API
// reference says of the first save. Re-saving the same URL sends no check.
//
// Every answer is HTTP 200 with the envelope {"errorCode", "errorMsg",
// "success", "obj"}, as eSIM Access answers business errors (assumed for
// these routes). Assumed too: 000106 for a bad webhook URL or an unknown
// variant, and 000001 for a failed CHECK_HEALTH, as eSIM Access documents
// no code for them.

// esimaccessMock serves eSIM Access's webhook registration.
type esimaccessMock struct {
	h      api.ProviderHost
	routes *providerRoutes
}

func newEsimaccessMock(h api.ProviderHost) *esimaccessMock {
	m := &esimaccessMock{h: h}
	m.routes = &providerRoutes{
		routes: []providerRoute{
			{http.MethodPost, "/esimaccess/api/v1/open/webhook/save", m.save},
			{http.MethodPost, "/esimaccess/api/v1/open/webhook/query", m.query},
			{http.MethodGet, "/esimaccess/api/v1/open/webhook/query", m.query},
		},
		notFound: func(w http.ResponseWriter, r *http.Request) {
			esimaccessRefuse(w, http.StatusNotFound, "000001", "No such API: "+strings.TrimPrefix(r.URL.Path, "/esimaccess"))
		},
		notAllowed: func(w http.ResponseWriter, r *http.Request) {
			esimaccessRefuse(w, http.StatusMethodNotAllowed, "000103", "This https request method (get/post ) is not supported")
		},
	}
	return m
}

func (m *esimaccessMock) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.routes.ServeHTTP(w, r) }

// esimaccessEnvelope is eSIM Access's answer envelope.
type esimaccessEnvelope struct {
	ErrorCode *string `json:"errorCode"`
	ErrorMsg  *string `json:"errorMsg"`
	Success   bool    `json:"success"`
	Obj       any     `json:"obj"`
}

// esimaccessOK answers success with obj.
func esimaccessOK(w http.ResponseWriter, obj any) {
	api.WriteJSON(w, http.StatusOK, esimaccessEnvelope{Success: true, Obj: obj})
}

// esimaccessFail answers success false with a code and message (with
// status 200 unless the caller wrote another).
func esimaccessFail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	env := esimaccessEnvelope{ErrorCode: &code, ErrorMsg: &msg}
	b, _ := json.Marshal(env)
	w.Write(append(b, '\n'))
}

// esimaccessRefuse answers a path or method the API does not have: the
// envelope, under an HTTP error status.
func esimaccessRefuse(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	esimaccessFail(w, code, msg)
}

// auth returns the caller's account, or answers 000101.
func (m *esimaccessMock) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	code := strings.TrimSpace(r.Header.Get("RT-AccessCode"))
	if code == "" {
		esimaccessFail(w, "000101", "Request header (mandatory) is null: RT-AccessCode")
		return "", false
	}
	if strings.TrimSpace(r.Header.Get("RT-SecretKey")) == "" && strings.TrimSpace(r.Header.Get("RT-Signature")) == "" {
		esimaccessFail(w, "000101", "Request header (mandatory) is null: RT-SecretKey")
		return "", false
	}
	if c := m.h.Credentials(); c != nil && !checkRT(r, c.Esimaccess, true, time.Now(), m.h.MaxBodyBytes()) {
		esimaccessFail(w, "000102", "Authentication failed: RT-AccessCode with RT-SecretKey or RT-Signature does not match this server's credentials (GET /api/credentials)")
		return "", false
	}
	return accountKey(code), true
}

func esimaccessEndpointID(account string) string { return "ep_esimaccess_" + account }

// save registers the account's webhook, after CHECK_HEALTH where the
// variant sends one.
func (m *esimaccessMock) save(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	v, err := m.h.Catalogue().Variant("esimaccess", r.URL.Query().Get("variant"))
	if err != nil {
		var u *providers.UnknownError
		if errors.As(err, &u) {
			esimaccessFail(w, "000106", "Request parameter (mandatory) is null: "+u.Error())
			return
		}
		esimaccessFail(w, "000001", "Server error")
		return
	}
	body, tooLarge, err := readBody(w, r, m.h.MaxBodyBytes())
	switch {
	case tooLarge:
		esimaccessFail(w, "000107", "The length of the request parameter does not meet the requirement.")
		return
	case err != nil:
		esimaccessFail(w, "000104", "Request in invalid JSON format")
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil || req == nil {
		esimaccessFail(w, "000104", "Request in invalid JSON format")
		return
	}
	raw, present := req["webhook"]
	hook, isString := raw.(string)
	hook = strings.TrimSpace(hook)
	switch {
	case !present:
		esimaccessFail(w, "000105", "Request parameters (mandatory) are not contained: webhook")
		return
	case !isString || hook == "":
		esimaccessFail(w, "000106", "Request parameter (mandatory) is null: webhook")
		return
	case engine.CheckWebhookURL(hook) != "":
		esimaccessFail(w, "000106", "Request parameter webhook must be an http or https URL")
		return
	}

	id := esimaccessEndpointID(account)
	variant := ""
	if v != v.Provider.Default() {
		variant = v.Name
	}
	old, err := m.h.Endpoints().Get(r.Context(), id)
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		m.h.Logger().Error("esimaccess webhook lookup failed", "err", err)
		esimaccessFail(w, "000001", "Server error")
		return
	}
	if old == nil || old.URL != hook || old.Variant != variant {
		probe := &engine.Endpoint{ID: id, URL: hook, Provider: v.Provider.Name, Variant: variant}
		if old != nil {
			probe.Secret = old.Secret
		}
		if err := m.h.CheckRegistration(r.Context(), v, probe); err != nil {
			var ce *api.CheckError
			if errors.As(err, &ce) {
				esimaccessFail(w, "000001", "Webhook not saved: "+ce.Msg)
				return
			}
			m.h.Logger().Error("esimaccess webhook check failed", "err", err)
			esimaccessFail(w, "000001", "Server error")
			return
		}
	}
	ep, err := m.h.Endpoints().Upsert(r.Context(), id, "esimaccess", func(ep *engine.Endpoint, existed bool) error {
		ep.URL, ep.Provider, ep.Variant, ep.Events = hook, v.Provider.Name, variant, nil
		ep.Description = "eSIM Access webhook/save"
		if ep.Secret == "" {
			s, err := v.NewSecret(rand.Reader)
			if err != nil {
				return err
			}
			ep.Secret = s
		}
		return nil
	})

	if le := (*engine.LimitError)(nil); errors.As(err, &le) {
		esimaccessFail(w, "000001", le.Error())
		return
	}
	if err != nil {
		m.h.Logger().Error("esimaccess webhook save failed", "err", err)
		esimaccessFail(w, "000001", "Server error")
		return
	}
	m.h.Logger().Info("esimaccess webhook saved", "endpoint", ep.ID, "variant", v.Name, "url", wire.RedactURL(ep.URL))
	esimaccessOK(w, nil)
}

// query shows the account's saved webhook (obj null when none).
func (m *esimaccessMock) query(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	ep, err := m.h.Endpoints().Get(r.Context(), esimaccessEndpointID(account))
	switch {
	case errors.Is(err, engine.ErrNotFound):
		esimaccessOK(w, nil)
	case err != nil:
		m.h.Logger().Error("esimaccess webhook query failed", "err", err)
		esimaccessFail(w, "000001", "Server error")
	default:
		esimaccessOK(w, map[string]string{"webhook": ep.URL})
	}
}
