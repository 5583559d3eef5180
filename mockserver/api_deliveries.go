package mockserver

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// deliveryDetail is a delivery with its body, as text (when UTF-8) and as
// base64.
type deliveryDetail struct {
	*Delivery
	Body       *string `json:"body"`
	BodyBase64 string  `json:"body_base64"`
}

// attemptView is an attempt with its latency in milliseconds and its
// response body as text and base64.
type attemptView struct {
	*Attempt
	LatencyMS          float64 `json:"latency_ms"`
	ResponseBody       *string `json:"response_body,omitempty"`
	ResponseBodyBase64 string  `json:"response_body_base64,omitempty"`
}

// textOrNil returns b as a string when it is valid UTF-8.
func textOrNil(b []byte) *string {
	if !utf8.Valid(b) {
		return nil
	}
	s := string(b)
	return &s
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// handleListDeliveries lists deliveries newest first, one page at a time,
// filtered by the query's parameters (validated against the API
// description before this runs).
func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	f, p := deliveryFilter(r.URL.Query())
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	ds, err := s.store.ListDeliveries(r.Context(), f)
	if err != nil {
		if errors.Is(err, ErrNotFound) && f.Before != "" {
			writeProblem(w, r, paramProblem("before", "cursor", "is not the id of a delivery; pass the next of a previous page"))
			return
		}
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	var next *string
	if len(ds) == f.Limit && len(ds) > 0 {
		id := ds[len(ds)-1].ID
		next = &id
	}
	if ds == nil {
		ds = []*Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds, "next": next})
}

// deliveryFilter reads the filter of GET /api/deliveries from q, whose
// values the API description has validated (types, lengths, formats).
func deliveryFilter(q url.Values) (DeliveryFilter, *Problem) {
	f := DeliveryFilter{
		Provider: q.Get("provider"), Variant: q.Get("variant"), Event: q.Get("event"),
		EndpointID: q.Get("endpoint"), State: q.Get("state"), EventID: q.Get("event_id"),
		ID: q.Get("id"), RunID: q.Get("run_id"), Q: strings.TrimSpace(q.Get("q")),
		Before: q.Get("before"), Limit: 100,
	}
	if q.Has("limit") {
		f.Limit, _ = strconv.Atoi(q.Get("limit")) // validated: 1..1000
	}
	if q.Has("status") {
		n, _ := strconv.Atoi(q.Get("status")) // validated: 0..599
		f.Status = &n
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if !q.Has(t.name) {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, q.Get(t.name))
		if err != nil {
			return f, paramProblem(t.name, "format", "must be an RFC 3339 date-time, such as 2026-01-02T15:04:05Z")
		}
		*t.to = v
	}
	if f.Variant != "" && f.Provider == "" {
		return f, paramProblem("variant", "dependentRequired", "needs provider: variant names are the provider's")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, paramProblem("until", "minimum", "must be after since")
	}
	return f, nil
}

// handleGetDelivery serves one delivery with its body.
func (s *Server) handleGetDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.store.GetDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	writeJSON(w, http.StatusOK, deliveryDetail{d, textOrNil(d.Body), base64.StdEncoding.EncodeToString(d.Body)})
}

// deliveryProblem maps an error about the delivery in the path.
func (s *Server) deliveryProblem(r *http.Request, err error) *Problem {
	if errors.Is(err, ErrNotFound) {
		return problemf(http.StatusNotFound, problemNotFound, "no delivery %q", r.PathValue("id"))
	}
	return problemFor(s.log, r, err)
}

// handleListAttempts serves every attempt of a delivery.
func (s *Server) handleListAttempts(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.store.GetDelivery(r.Context(), id); err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	as, err := s.store.ListAttempts(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	out := make([]attemptView, len(as))
	for i, a := range as {
		out[i] = attemptView{Attempt: a, LatencyMS: millis(a.Latency)}
		if len(a.ResponseBody) > 0 {
			out[i].ResponseBody = textOrNil(a.ResponseBody)
			out[i].ResponseBodyBase64 = base64.StdEncoding.EncodeToString(a.ResponseBody)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": out})
}

// handleResend queues a new delivery with the same body and wire id.
func (s *Server) handleResend(w http.ResponseWriter, r *http.Request) {
	d, err := s.engine.Resend(r.Context(), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	w.Header().Set("Location", "/api/deliveries/"+d.ID)
	writeJSON(w, http.StatusAccepted, d)
}

// handleRetry makes a pending delivery's next attempt due now; a delivery
// that is no longer pending is a 409.
func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.engine.RetryNow(r.Context(), id); err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	d, err := s.store.GetDelivery(r.Context(), id)
	if err != nil {
		writeProblem(w, r, s.deliveryProblem(r, err))
		return
	}
	writeJSON(w, http.StatusAccepted, d)
}
