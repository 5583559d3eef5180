package engine

import (
	"errors"
	"fmt"

	"github.com/esimhooks/esimhooks/providers"
)

// Error is the engine's refusal of what it was asked: why (Reason) and
// where (Pointer, a JSON pointer into the request as the control API
// spells it: /provider, /variant, /event, /encoding, /endpoint_ids/0).
// Unknown says the request names something that does not exist or does
// not fit (an unknown provider or event, a missing, disabled or foreign
// endpoint: the control API answers 422); otherwise the request itself is
// wrong (400), or, with Unusable, well-formed but unusable by the
// provider (the control API answers 422 "unprocessable"). Rule names the rule broken ("enum", "reserved",
// "endpoint"). Err is the cause, for errors.Is and errors.As:
// *providers.UnknownError, providers.ErrReserved, ErrNotFound, or
// ErrEndpointUnfit.
type Error struct {
	Pointer, Reason, Rule string
	Unknown               bool
	Unusable              bool
	Err                   error
}

// Error returns the reason.
func (e *Error) Error() string { return e.Reason }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrEndpointUnfit is the cause of an Error about a named endpoint that
// exists but cannot receive the request: disabled, or of another provider
// or variant.
var ErrEndpointUnfit = errors.New("endpoint cannot receive this")

// ResolveVariant returns the provider's variant; "default" names the
// default variant of a profile that has no variant of that name.
func ResolveVariant(cat *providers.Catalogue, provider, variant string) (*providers.Variant, error) {
	if variant == "default" {
		if p, err := cat.Profile(provider); err == nil {
			if _, err := p.Variant("default"); err != nil {
				variant = ""
			}
		}
	}
	return cat.Variant(provider, variant)
}

// lookupError is the Error of a failed variant or event lookup: at
// /provider for an unknown provider, /variant for an unknown variant of a
// known one, /event for an event.
func lookupError(cat *providers.Catalogue, provider string, event bool, err error) error {
	var u *providers.UnknownError
	if !errors.As(err, &u) {
		return err
	}
	ptr := "/variant"
	switch {
	case event:
		ptr = "/event"
	case u.What == "provider":
		ptr = "/provider"
	default:
		if _, perr := cat.Profile(provider); perr != nil {
			ptr = "/provider"
		}
	}
	return &Error{Pointer: ptr, Reason: err.Error(), Rule: "enum", Unknown: true, Err: err}
}

// endpointError is the Error about endpoint i of a request's endpoint_ids.
func endpointError(i int, reason string, cause error) *Error {
	return &Error{Pointer: fmt.Sprintf("/endpoint_ids/%d", i), Reason: reason, Rule: "endpoint", Unknown: true, Err: cause}
}
