package engine

import (
	"errors"
	"fmt"
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
