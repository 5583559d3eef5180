package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Default bounds of a server; Config and EngineConfig change them.
const (
	// DefaultMaxEndpoints bounds the endpoints one server holds.
	DefaultMaxEndpoints = 1000
	// DefaultMaxTriggerDeliveries bounds the deliveries one trigger makes:
	// its endpoints times (1 + duplicates).
	DefaultMaxTriggerDeliveries = 10000
)

// LimitError is a request refused because it would go beyond a bound of
// the server. Its message names the bound, its value and the flag that
// sets it.
type LimitError struct {
	// Bound names the bound: "max-endpoints" or "max-trigger-deliveries",
	// as the serve flag that sets it.
	Bound string
	// Max is the bound's value; Want what the request would have made.
	Max, Want int
	// Detail says what the request would have made.
	Detail string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s; the bound is %d (serve --%s)", e.Detail, e.Max, e.Bound)
}

// problem returns the control API's answer to e: 400 for a trigger too
// large (the request itself is at fault), 409 for an endpoint beyond the
// server's bound (its state is: delete one first).
func (e *LimitError) problem() *Problem {
	status, kind, rule := http.StatusBadRequest, problemValidation, "maxDeliveries"
	if e.Bound == "max-endpoints" {
		status, kind, rule = http.StatusConflict, problemConflict, "maxEndpoints"
	}
	p := newProblem(status, kind, e.Error())
	p.Errors = []ProblemError{{Rule: rule, Message: e.Error()}}
	if e.Bound == "max-trigger-deliveries" {
		p.Errors[0].Pointer, p.Errors[0].In = "/chaos/duplicates", "body"
	}
	return p
}

// limitOf returns the LimitError err wraps, if any: the registration
// mocks answer it in their provider's own error format.
func limitOf(err error) *LimitError {
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

// checkTriggerSize returns a LimitError when deliveries per endpoint
// (1 + duplicates each) add up beyond max.
func checkTriggerSize(eps []*Endpoint, chaos *Chaos, limit int) error {
	total := 0
	for _, ep := range eps {
		total += 1 + max(mergeChaos(ep.Chaos, chaos).Duplicates, 0)
	}
	if total <= limit {
		return nil
	}
	return &LimitError{Bound: "max-trigger-deliveries", Max: limit, Want: total,
		Detail: fmt.Sprintf("this trigger would make %d deliveries (%d endpoints, each 1 + its duplicates)", total, len(eps))}
}

// checkEndpointRoom returns a LimitError when the server already holds
// its maximum of endpoints. The caller holds s.epMu, so that two creations
// cannot both take the last place.
func (s *Server) checkEndpointRoom(ctx context.Context) error {
	eps, err := s.engine.eps.list(ctx)
	if err != nil {
		return err
	}
	if n := len(eps); n >= s.cfg.MaxEndpoints {
		return &LimitError{Bound: "max-endpoints", Max: s.cfg.MaxEndpoints, Want: n + 1,
			Detail: fmt.Sprintf("the server holds %d endpoints; delete one before registering another", n)}
	}
	return nil
}

// putNewEndpoint stores a new endpoint if the server has room for it.
func (s *Server) putNewEndpoint(ctx context.Context, ep *Endpoint) error {
	s.epMu.Lock()
	defer s.epMu.Unlock()
	if err := s.checkEndpointRoom(ctx); err != nil {
		return err
	}
	return s.store.PutEndpoint(ctx, ep)
}
