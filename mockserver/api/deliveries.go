package api

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// deliveryDetail is a delivery with its body, as text (when UTF-8) and as
// base64.
type deliveryDetail struct {
	*engine.Delivery
	Body       *string `json:"body"`
	BodyBase64 string  `json:"body_base64"`
}

// attemptView is an attempt with its latency in milliseconds and its
// response body as text and base64.
type attemptView struct {
	*engine.Attempt
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
		if errors.Is(err, engine.ErrNotFound) && f.Before != "" {
			writeProblem(w, r, paramProblem("before", "cursor", "is not the id of a delivery (it may have been pruned); pass the next of a previous page, which outlives its delivery"))
			return
		}
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	var next *string
	if len(ds) == f.Limit && len(ds) > 0 {
		c := listCursor(ds[len(ds)-1])
		next = &c
	}
	if ds == nil {
		ds = []*engine.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds, "next": next})
}

// cursorPrefix starts a list cursor: "c1_" then, base64url without
// padding, the last listed delivery's CreatedAt (Unix nanoseconds, 8 bytes
// big-endian) and its id. A page continues from that position in the
// list's order whether or not the delivery is still held, so retention
// pruning it does not break "Load older". A bare delivery id (the cursor
// of earlier versions) is still accepted, for a delivery still held.
const cursorPrefix = "c1_"

// listCursor is the next cursor of a page ending with d.
func listCursor(d *engine.Delivery) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(d.ID)), uint64(d.CreatedAt.UnixNano()))
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(append(b, d.ID...))
}

// parseListCursor reads a before= value: a cursor listCursor made (its
// delivery's id and creation time) or a delivery id (zero time). ok is
// false for a value that starts like a cursor but is not one.
func parseListCursor(v string) (id string, at time.Time, ok bool) {
	rest, isCursor := strings.CutPrefix(v, cursorPrefix)
	if !isCursor {
		return v, time.Time{}, true
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < 9 || !utf8.Valid(b[8:]) {
		return "", time.Time{}, false
	}
	return string(b[8:]), time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).UTC(), true
}

// deliveryFilter reads the filter of GET /api/deliveries from q, whose
// values the API description has validated (types, lengths, formats).
func deliveryFilter(q url.Values) (engine.DeliveryFilter, *Problem) {
	f := engine.DeliveryFilter{
		Provider: q.Get("provider"), Variant: q.Get("variant"), Event: q.Get("event"),
		EndpointID: q.Get("endpoint"), State: q.Get("state"), EventID: q.Get("event_id"),
		ID: q.Get("id"), RunID: q.Get("run_id"), Q: strings.TrimSpace(q.Get("q")),
		Limit: 100,
	}
	if q.Has("before") {
		var ok bool
		if f.Before, f.BeforeAt, ok = parseListCursor(q.Get("before")); !ok {
			return f, paramProblem("before", "cursor", "is neither a delivery id nor a cursor this server made; pass the next of a previous page")
		}
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
	if errors.Is(err, engine.ErrNotFound) {
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
