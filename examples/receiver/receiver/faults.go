package receiver

import (
	"context"
	"net/http"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Faults breaks a Receiver on purpose, one conformance requirement at a
// time. It exists only for the conformance suite's own tests: package
// conformance/faulty builds its faulty receivers with it, to prove that the
// suite catches each broken requirement. A real receiver leaves
// Config.Faults nil. The zero value breaks nothing.
type Faults struct {
	// Verify, if set, replaces the signature check (for example one that
	// accepts everything, or one that verifies a re-serialised body).
	Verify func(h http.Header, body []byte) error
	// ApplyBeforeVerify applies the event before checking its signature;
	// a bad signature still gets its 401, after the harm is done.
	ApplyBeforeVerify bool
	// NoReplayCheck skips the replay window on the event's own time. The
	// Standard Webhooks signer still enforces its tolerance: replace
	// Verify too to drop that.
	NoReplayCheck bool
	// NoDedup applies every copy of an event.
	NoDedup bool
	// BetweenCheckAndMark, if set, splits the idempotency claim into a
	// "seen?" read and an "apply and mark" write, and is called between
	// them with the request's context and the key: the check-then-act
	// race a mutex-less receiver has.
	BetweenCheckAndMark func(ctx context.Context, key string)
	// DuplicateStatus, if not 0, answers a duplicate with this status.
	DuplicateStatus int
	// ArrivalOrder applies every event in arrival order, ignoring the
	// event's own time (last arrival wins).
	ArrivalOrder bool
	// UnknownStatus, if not 0, answers an unknown event type with it.
	UnknownStatus int
	// MalformedStatus, if not 0, answers a body that is not JSON with it.
	MalformedStatus int
	// Reject, if set, sees every verified, known event; a status other
	// than 0 is answered and nothing is applied.
	Reject func(ev *providers.Event, payload jsonv.Value) int
}

// status returns override if set, else def.
func (Faults) status(override, def int) int {
	if override != 0 {
		return override
	}
	return def
}
