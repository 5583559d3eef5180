package providerapi

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// Airalo's webhook simulator, POST /airalo/v2/simulator/webhook
// {event, type, level, iccid, webhook_url} (providers.md, "Simulator"):
//
//   - event is low_data_notification, credit_limit_notification or
//     async_order_notification; anything else is a 422.
//   - low data: type data_75, data_90, expire_1 or expire_3 sends
//     low_data_75, low_data_90, low_data_1days or low_data_3days; iccid,
//     when given, is the notification's ICCID.
//   - credit limit: level 50, 70, 80 or 90 is the threshold in the message.
//   - async order: an async_order notification (iccid, when given, is the
//     first SIM's).
//
// The notification goes to webhook_url when given (which, as Airalo's
// docs say, needs no opt-in), else to the account's opted-in URL of that
// type; neither is a 400 {"error": …}. It is sent once, synchronously,
// signed like a real delivery: a receiver answering anything but 200 makes
// a 400 {"error": …}; success is 200 {"success":"Notification sent"}.
// The push goes through the engine (Engine.Send): it is a delivery in the
// log, on the live stream and in /metrics, like a triggered one. The
// simulator allows 5 requests a minute per account (429 with
// Retry-After), and 20 a minute per source address whatever the accounts,
// so new client_ids do not bypass it; every authenticated request counts,
// valid or not.

// airaloSimEvents maps the simulator's event to the notification type it
// needs and, for async orders, the event sent.
var airaloSimEvents = map[string]string{
	"low_data_notification":     "webhook_low_data",
	"credit_limit_notification": "webhook_credit_limit",
	"async_order_notification":  "async_orders",
}

// airaloSimLowData maps the simulator's low-data type to the event sent.
var airaloSimLowData = map[string]string{
	"data_75":  "low_data_75",
	"data_90":  "low_data_90",
	"expire_1": "low_data_1days",
	"expire_3": "low_data_3days",
}

// airaloError answers {"error": msg}, the simulator's error shape.
func airaloError(w http.ResponseWriter, status int, msg string) {
	api.WriteJSON(w, status, map[string]string{"error": msg})
}

// simulate serves the webhook simulator.
func (m *airaloMock) simulate(w http.ResponseWriter, r *http.Request) {
	account, ok := m.auth(w, r)
	if !ok {
		return
	}
	allowed, remaining, retry := allowBoth(m.sim, account, m.simAddr, sourceAddr(r))
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(m.sim.limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	if !allowed {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		airaloError(w, http.StatusTooManyRequests, "Too Many Attempts.")
		return
	}
	v, ok := m.variant(w)
	if !ok {
		return
	}
	f, ok := m.readForm(w, r)
	if !ok {
		return
	}

	event := f.str("event")
	typ, known := airaloSimEvents[event]
	errs := requireKnown(map[string]string{}, "event", event, known)
	var evName string
	var overrides []providers.Override
	iccid := f.str("iccid")
	switch event {
	case "low_data_notification":
		lt := f.str("type")
		evName = airaloSimLowData[lt]
		switch {
		case lt == "":
			errs["type"] = "The type field is required when event is low_data_notification."
		case evName == "":
			errs["type"] = "The selected type is invalid."
		}
		if iccid != "" {
			overrides = append(overrides, providers.Override{Path: "/iccid", Raw: iccid})
		}
	case "credit_limit_notification":
		evName = "credit_limit"
		level, err := strconv.Atoi(f.str("level"))
		switch {
		case f.str("level") == "":
			errs["level"] = "The level field is required when event is credit_limit_notification."
		case err != nil || !slices.Contains(airaloCreditLevels, level):
			errs["level"] = "The selected level is invalid."
		default:
			overrides = append(overrides, providers.Override{Path: "/message",
				Raw: fmt.Sprintf("Surpassed %d%% of the credit limit balance", level)})
		}
	case "async_order_notification":
		evName = "async_order"
		if iccid != "" {
			overrides = append(overrides, providers.Override{Path: "/data/sims/0/iccid", Raw: iccid})
		}
	}
	target := f.str("webhook_url")
	if target != "" && engine.CheckWebhookURL(target) != "" {
		errs["webhook_url"] = "The webhook url must be a valid URL."
	}
	if len(errs) > 0 {
		airaloInvalid(w, errs)
		return
	}

	ep, err := m.h.Endpoints().Get(r.Context(), airaloEndpointID(account, typ))
	switch {
	case errors.Is(err, engine.ErrNotFound) && target == "":
		airaloError(w, http.StatusBadRequest, fmt.Sprintf("You are not opted in to %s notifications; opt in first or pass webhook_url.", typ))
		return
	case errors.Is(err, engine.ErrNotFound):
		ep = &engine.Endpoint{ID: airaloEndpointID(account, typ), Provider: v.Provider.Name, Source: "airalo"}
		if ep.Secret = m.clientSecret(r); ep.Secret == "" {
			if ep.Secret, err = v.NewSecret(rand.Reader); err != nil {
				airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
				return
			}
		}
	case err != nil:
		m.h.Logger().Error("airalo simulator lookup failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	if target != "" {
		ep.URL = target
	}
	ev, err := v.Event(evName)
	if err != nil {
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	pd, err := m.h.NewDelivery(v, ev, overrides)
	if err != nil {
		m.h.Logger().Error("airalo simulator payload failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	// The push is a delivery of the engine's: in the log, on the stream
	// and in the metrics.
	_, a, err := m.h.Send(r.Context(), engine.SendRequest{Endpoint: ep, Delivery: pd})
	if err != nil {
		m.h.Logger().Error("airalo simulator push failed", "err", err)
		airaloMessage(w, http.StatusInternalServerError, "Something unexpected happened.")
		return
	}
	if !a.Success {
		airaloError(w, http.StatusBadRequest, "Webhook push failed: "+a.Failure()+"; Airalo needs 200.")
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"success": "Notification sent"})
}

// airaloSimLimit is the simulator's requests per minute per account.
const airaloSimLimit = 5

// allowBoth counts a request against key a of limiter la and key b of lb
// when both have room, and reports as allow does (remaining is the
// smaller; retryAfter the longer wait). A request refused by either is
// counted by neither.
func allowBoth(la *rateLimiter, a string, lb *rateLimiter, b string) (ok bool, remaining int, retryAfter time.Duration) {
	allowBothMu.Lock()
	defer allowBothMu.Unlock()
	okA, remA, waitA := la.check(a)
	okB, remB, waitB := lb.check(b)
	if !okA || !okB {
		return false, 0, max(waitA, waitB)
	}
	_, remA, _ = la.allow(a)
	_, remB, _ = lb.allow(b)
	return true, min(remA, remB), 0
}

// allowBothMu makes allowBoth's check and count one step.
var allowBothMu sync.Mutex

// rateLimiter allows limit requests per key in any window (a sliding
// log). Its clock can be replaced (setClock) so tests need not wait. It is
// safe for concurrent use.
type rateLimiter struct {
	limit  int
	window time.Duration

	mu   sync.Mutex
	now  func() time.Time
	hits map[string][]time.Time
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, now: time.Now, hits: map[string][]time.Time{}}
}

// setClock replaces the limiter's clock.
func (l *rateLimiter) setClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

// allow counts a request of key and reports whether it is within the
// limit, how many remain, and (when refused) how long until one frees up.
func (l *rateLimiter) allow(key string) (ok bool, remaining int, retryAfter time.Duration) {
	return l.count(key, true)
}

// check reports what allow would, without counting the request.
func (l *rateLimiter) check(key string) (ok bool, remaining int, retryAfter time.Duration) {
	return l.count(key, false)
}

// count is allow (record true) or check (record false).
func (l *rateLimiter) count(key string, record bool) (ok bool, remaining int, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-l.window)
	hits := l.hits[key]
	i := 0
	for i < len(hits) && !hits[i].After(cut) {
		i++
	}
	hits = hits[i:]
	if len(hits) >= l.limit {
		l.hits[key] = hits
		return false, 0, hits[0].Add(l.window).Sub(now)
	}
	if !record {
		return true, l.limit - len(hits), 0
	}
	hits = append(hits, now)
	l.hits[key] = hits
	// Forget keys that have gone quiet, so the map does not grow forever.
	if len(l.hits) > 1024 {
		for k, hs := range l.hits {
			if len(hs) == 0 || !hs[len(hs)-1].After(cut) {
				delete(l.hits, k)
			}
		}
	}
	return true, l.limit - len(hits), 0
}
