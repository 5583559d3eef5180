// Package faulty holds webhook receivers that each break one conformance
// requirement, so that the conformance suite can prove it catches every
// broken requirement (and, run against the correct receiver of package
// examples/receiver/receiver, that it passes a correct one).
//
// Each faulty receiver is the correct receiver with one thing broken,
// through receiver.Faults or a wrapper around it, never a copy. Like the
// correct one it serves the webhook at every path and the probe under
// receiver.ProbePrefix.
package faulty

import (
	"net/http"
	"slices"
	"strings"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// Receiver is a webhook receiver with the conformance probe: ServeHTTP
// serves the probe under receiver.ProbePrefix and the webhook elsewhere,
// ProbeHandler serves the probe alone, and Close stops it.
// *receiver.Receiver is one.
type Receiver interface {
	http.Handler
	ProbeHandler() http.Handler
	Close()
}

// Fault is one way to break a receiver.
type Fault struct {
	// Name identifies the fault, e.g. "no-signature-check".
	Name string
	// Doc says what the faulty receiver does wrong and quotes the
	// requirement it breaks.
	Doc string
	// Breaks lists the requirement IDs a conformance run must report as
	// failed against this receiver (for a variant it Applies to).
	Breaks []string
	// Applies reports whether the fault can be observed with variant v
	// (there is no signature to skip for eSIM Access, no HEAD check but
	// Airalo's, ...).
	Applies func(v *providers.Variant) bool
	// Stops, for the receivers of Setup, returns what the line of the
	// preflight's exit 2 must hold for v: the run grades nothing.
	Stops func(v *providers.Variant) []string
	// New returns the faulty receiver for v, keyed with secret.
	New func(v *providers.Variant, secret string) (Receiver, error)
}

// All returns every fault, in a fixed order.
func All() []Fault {
	return []Fault{
		noSignatureCheck, reserialisedSignature, applyBeforeVerify,
		slowAck, serialBurst, ackNot200,
		noDedup, checkThenAct, rejectDuplicates,
		lastArrivalWins, rejectOutOfOrder,
		unknownType500, strictFields, malformed500, noBodyCap, anyMethod,
		noReplayCheck, failsRegistration, rejectOneEventType,
		optionalSignatureCheck, duplicate500, dedupOnSignature, ack201, head404, wrongLength500,
		nodeSDKSignature,
	}
}

// ByName returns the named fault.
func ByName(name string) (Fault, bool) {
	for _, f := range slices.Concat(All(), Conforming(), Setup()) {
		if f.Name == name {
			return f, true
		}
	}
	return Fault{}, false
}

// always applies a fault to every variant.
func always(*providers.Variant) bool { return true }

// build returns the correct receiver for v broken by f; mod may change the
// rest of the configuration.
func build(v *providers.Variant, secret string, f *receiver.Faults, mod ...func(*receiver.Config)) (*receiver.Receiver, error) {
	cfg := receiver.Config{Variant: v, Secret: secret, Faults: f}
	for _, m := range mod {
		m(&cfg)
	}
	return receiver.New(cfg)
}

// withFaults returns a Fault.New that builds the receiver broken by the
// Faults mk returns.
func withFaults(mk func(v *providers.Variant, secret string) (*receiver.Faults, error)) func(*providers.Variant, string) (Receiver, error) {
	return func(v *providers.Variant, secret string) (Receiver, error) {
		f, err := mk(v, secret)
		if err != nil {
			return nil, err
		}
		return build(v, secret, f)
	}
}

// wrapped is a correct receiver whose webhook (not its probe) goes through
// another handler first.
type wrapped struct {
	*receiver.Receiver
	hook http.Handler
}

// ServeHTTP serves the probe as the receiver does and the webhook through
// the wrapper.
func (w *wrapped) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, receiver.ProbePrefix+"/") {
		w.Receiver.ServeHTTP(rw, req)
		return
	}
	w.hook.ServeHTTP(rw, req)
}

// withWrapper returns a Fault.New that puts the webhook of a correct
// receiver behind the handler wrap returns.
func withWrapper(wrap func(v *providers.Variant, next http.Handler) http.Handler) func(*providers.Variant, string) (Receiver, error) {
	return func(v *providers.Variant, secret string) (Receiver, error) {
		r, err := build(v, secret, nil)
		if err != nil {
			return nil, err
		}
		return &wrapped{Receiver: r, hook: wrap(v, r)}, nil
	}
}
