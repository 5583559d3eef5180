package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

type triggerRequest struct {
	Provider    string          `json:"provider"`
	Variant     string          `json:"variant"`
	Event       string          `json:"event"`
	EndpointIDs []string        `json:"endpoint_ids"`
	Seed        *json.Number    `json:"seed"`
	Start       *time.Time      `json:"start"`
	Payload     json.RawMessage `json:"payload"`
	Overrides   json.RawMessage `json:"overrides"`
	Chaos       *engine.Chaos   `json:"chaos"`
	Encoding    string          `json:"encoding"`
	Force       bool            `json:"force"`
}

type triggerDeliveryView struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
	State      string `json:"state"`
	WireID     string `json:"wire_id,omitempty"`
}

type triggerResultView struct {
	EventID    string                `json:"event_id"`
	Provider   string                `json:"provider"`
	Variant    string                `json:"variant"`
	Event      string                `json:"event"`
	Payload    json.RawMessage       `json:"payload"`
	Body       string                `json:"body"`
	Deliveries []triggerDeliveryView `json:"deliveries"`
	// Warnings says what the caller should know although the event was
	// sent: overrides that added a path the payload lacked (with the
	// nearest existing paths), an event time a receiver will reject as
	// a replay.
	Warnings []string `json:"warnings,omitempty"`
}

// handleTrigger queues an event for its subscribed (or named) endpoints.
// The engine checks what the request names (provider, variant, event,
// encoding, endpoints): its *Error becomes a 400 or 422 problem at the
// field; the API checks only what it parses itself (seed, payload,
// overrides).
func (s *Server) handleTrigger(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	t := engine.Trigger{Provider: req.Provider, Variant: req.Variant, Event: req.Event, EndpointIDs: req.EndpointIDs,
		Start: req.Start, Chaos: req.Chaos, Encoding: req.Encoding, Force: req.Force}
	var p *Problem
	if req.Seed != nil {
		seed, err := parseSeed(*req.Seed)
		if err != nil {
			writeProblem(w, r, fieldProblem("/seed", "type", err.Error()))
			return
		}
		t.Seed = &seed
	}
	if len(req.Payload) > 0 && string(req.Payload) != "null" {
		pl, err := jsonv.Parse(req.Payload)
		if err != nil {
			writeProblem(w, r, fieldProblem("/payload", "json", err.Error()))
			return
		}
		t.Payload = pl
	}
	if t.Overrides, p = parseOverrides(req.Overrides); p != nil {
		writeProblem(w, r, p)
		return
	}
	res, err := s.engine.Trigger(r.Context(), t)
	if err != nil {
		var u *providers.UnknownError
		var pe *Problem
		var ee *engine.Error
		switch {
		case errors.As(err, &ee), errors.As(err, &u), errors.As(err, &pe), errors.Is(err, engine.ErrClosed):
			writeProblem(w, r, problemFor(s.log, r, err))
		case errors.Is(err, jsonv.ErrPath), errors.Is(err, jsonv.ErrNotEncodable), errors.Is(err, providers.ErrOverride):
			// An override or payload the provider's encoding cannot carry.
			writeProblem(w, r, problemf(http.StatusUnprocessableEntity, problemUnprocessable, "%v", err))
		default:
			writeProblem(w, r, problemFor(s.log, r, err))
		}
		return
	}
	compact, err := jsonv.Compact(res.Payload)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	v, ev := res.Variant, res.Event
	out := triggerResultView{EventID: res.EventID, Provider: v.Provider.Name, Variant: v.Name, Event: ev.Name,
		Payload: compact, Body: string(res.Body), Deliveries: []triggerDeliveryView{}}
	enc := v.Encoding
	if req.Encoding != "" {
		enc = req.Encoding
	}
	out.Warnings = append(res.Warnings, providers.BodyWarnings(enc, res.Body)...)
	for _, d := range res.Deliveries {
		out.Deliveries = append(out.Deliveries, triggerDeliveryView{ID: d.ID, EndpointID: d.EndpointID, State: d.State, WireID: d.WireID})
	}
	s.log.Info("event triggered", "event_id", res.EventID, "provider", v.ID(), "event", ev.Name, "deliveries", len(res.Deliveries))
	writeJSON(w, http.StatusAccepted, out)
}

// parseSeed reads a non-negative whole number (1e3 and 5.0 included).
func parseSeed(n json.Number) (uint64, error) {
	if u, err := strconv.ParseUint(n.String(), 10, 64); err == nil {
		return u, nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f != math.Trunc(f) || f > maxSafeSeed {
		return 0, fmt.Errorf("seed must be a whole number from 0 to %d", uint64(maxSafeSeed))
	}
	return uint64(f), nil
}

// parseOverrides reads {"path": value, ...} (in key order; each value is
// JSON set exactly as given, as PATH:=JSON sets it, so a string stays a
// string and a number keeps its digits) or ["PATH=TEXT" | "PATH:=JSON",
// ...] as --set takes them.
func parseOverrides(raw json.RawMessage) ([]providers.Override, *Problem) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	v, err := jsonv.Parse(raw)
	if err != nil {
		return nil, fieldProblem("/overrides", "json", err.Error())
	}
	var out []providers.Override
	switch v := v.(type) {
	case *jsonv.Object:
		for _, k := range v.Keys() {
			ptr := "/overrides/" + jsonv.EscapePointer(k)
			if _, err := jsonv.ParsePath(k); err != nil {
				return nil, fieldProblem(ptr, "format", fmt.Sprintf("%q is not a dotted path or JSON pointer: %v", k, err))
			}
			val, _ := v.Get(k)
			raw, err := jsonv.Compact(val)
			if err != nil {
				return nil, fieldProblem(ptr, "type", err.Error())
			}
			out = append(out, providers.Override{Path: k, Raw: string(raw), JSON: true})
		}
	case []jsonv.Value:
		for i, item := range v {
			ptr := fmt.Sprintf("/overrides/%d", i)
			str, ok := item.(string)
			if !ok {
				return nil, fieldProblem(ptr, "type", "must be a string PATH=TEXT or PATH:=JSON")
			}
			o, err := providers.ParseOverride(str)
			if err != nil {
				return nil, fieldProblem(ptr, "format", err.Error())
			}
			out = append(out, o)
		}
	default:
		return nil, fieldProblem("/overrides", "type", `must be an object {"path": value} or an array ["PATH=TEXT" or "PATH:=JSON"]`)
	}
	return out, nil
}
