package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	Chaos       *Chaos          `json:"chaos"`
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
// Everything the request names is checked first, so that a bad trigger
// is a 4xx naming the field rather than an engine error.
func (s *Server) handleTrigger(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	v, ev, p := s.lookupEvent(req.Provider, req.Variant, req.Event, "/provider", "/variant", "/event")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	if err := ev.CheckSendable(req.Force); err != nil {
		writeProblem(w, r, fieldProblem("/event", "reserved", err.Error()+` ("force": true)`))
		return
	}
	t := Trigger{Provider: v.Provider.Name, Variant: v.Name, Event: ev.Name, EndpointIDs: req.EndpointIDs,
		Start: req.Start, Chaos: req.Chaos, Encoding: req.Encoding, Force: req.Force}
	if req.Encoding != "" && !slices.Contains(providers.Encodings, req.Encoding) {
		writeProblem(w, r, fieldProblem("/encoding", "enum", fmt.Sprintf("unknown encoding %q (want %s)", req.Encoding, strings.Join(providers.Encodings, ", "))))
		return
	}
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
	for i, id := range req.EndpointIDs {
		if p := s.checkTriggerEndpoint(r, v, i, id); p != nil {
			writeProblem(w, r, p)
			return
		}
	}
	res, err := s.engine.Trigger(r.Context(), t)
	if err != nil {
		var u *providers.UnknownError
		var pe *Problem
		switch {
		case errors.As(err, &u), errors.As(err, &pe), errors.Is(err, ErrClosed):
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

// checkTriggerEndpoint answers 422 (at /endpoint_ids/i) for an endpoint
// that does not exist, is disabled, or receives another provider or
// variant.
func (s *Server) checkTriggerEndpoint(r *http.Request, v *providers.Variant, i int, id string) *Problem {
	ptr := fmt.Sprintf("/endpoint_ids/%d", i)
	ep, err := s.store.GetEndpoint(r.Context(), id)
	var msg string
	switch {
	case errors.Is(err, ErrNotFound):
		msg = fmt.Sprintf("no endpoint %q", id)
	case err != nil:
		return problemFor(s.log, r, err)
	case ep.Disabled:
		msg = fmt.Sprintf("endpoint %q is disabled", id)
	default:
		ev, err := s.cat.Variant(ep.Provider, ep.Variant)
		if err != nil || ev != v {
			msg = fmt.Sprintf("endpoint %q receives %s, not %s", id, endpointVariant(ep), v.ID())
		}
	}
	if msg == "" {
		return nil
	}
	p := newProblem(http.StatusUnprocessableEntity, problemUnknownName, msg)
	p.Errors = []ProblemError{{Pointer: ptr, In: "body", Rule: "endpoint", Message: msg}}
	return p
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
