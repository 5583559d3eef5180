package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// problemBase prefixes the type URI of every problem the control API
// answers with.
const problemBase = "https://esimhooks.dev/problems/"

// Problem kinds: the last segment of a Problem's Type.
const (
	problemValidation    = "validation"         // 400: the request breaks the OpenAPI document
	problemUnauthorized  = "unauthorized"       // 401
	problemCrossOrigin   = "cross-origin"       // 403: a browser request from another origin
	problemBodyTimeout   = "body-timeout"       // 408: the body did not arrive in time
	problemMisdirected   = "misdirected"        // 421: a Host this server does not answer to
	problemNotFound      = "not-found"          // 404
	problemMethod        = "method-not-allowed" // 405
	problemConflict      = "conflict"           // 409
	problemTooLarge      = "body-too-large"     // 413
	problemUnknownName   = "unknown-name"       // 422: unknown provider, variant, event or endpoint
	problemUnprocessable = "unprocessable"      // 422: well-formed but unusable
	problemInternal      = "internal"           // 500
	problemNotImpl       = "not-implemented"    // 501
	problemUnavailable   = "unavailable"        // 503: the server is shutting down
)

// Problem is an RFC 9457 problem details object: the body of every error
// answer of the control API, sent as application/problem+json.
type Problem struct {
	// Type identifies the kind of problem (problemBase + kind).
	Type string `json:"type"`
	// Title is a short summary of the kind, the same for every occurrence.
	Title string `json:"title"`
	// Status repeats the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path the problem occurred on.
	Instance string `json:"instance,omitempty"`
	// Errors names each field and the rule it breaks.
	Errors []ProblemError `json:"errors,omitempty"`
	// Choices lists the valid values for an unknown provider, variant,
	// event or endpoint.
	Choices []string `json:"choices,omitempty"`
}

// ProblemError is one broken rule of a request.
type ProblemError struct {
	// Pointer is an RFC 6901 JSON pointer into the request body; it is
	// empty (and left out) for the body as a whole and for parameters.
	Pointer string `json:"pointer,omitempty"`
	// Parameter names a query, path or header parameter.
	Parameter string `json:"parameter,omitempty"`
	// In says where the field is: query, path, header, cookie or body.
	In string `json:"in,omitempty"`
	// Rule is the rule broken: required, type, enum, pattern, format,
	// minimum, additionalProperties, content-type, json, ...
	Rule string `json:"rule"`
	// Message says what is wrong in a sentence.
	Message string `json:"message"`
}

// Error makes a *Problem usable as an error inside the handlers.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// newProblem returns a problem of the given status and kind.
func newProblem(status int, kind, detail string) *Problem {
	return &Problem{Type: problemBase + kind, Title: problemTitle(kind, status), Status: status, Detail: detail}
}

// problemf is newProblem with a formatted detail.
func problemf(status int, kind, format string, args ...any) *Problem {
	return newProblem(status, kind, fmt.Sprintf(format, args...))
}

// fieldProblem returns a 400 validation problem about one body field.
func fieldProblem(pointer, rule, message string) *Problem {
	p := newProblem(http.StatusBadRequest, problemValidation, message)
	p.Errors = []ProblemError{{Pointer: pointer, In: "body", Rule: rule, Message: message}}
	return p
}

// unknownProblem returns a 422 problem for an unknown name, with the valid
// choices and, when pointer is not empty, the body field that named it.
func unknownProblem(u *providers.UnknownError, pointer string) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, problemUnknownName, u.Error())
	p.Choices = u.Choices
	if pointer != "" {
		p.Errors = []ProblemError{{Pointer: pointer, In: "body", Rule: "enum", Message: u.Error()}}
	}
	return p
}

func problemTitle(kind string, status int) string {
	switch kind {
	case problemValidation:
		return "The request does not match the API description"
	case problemUnauthorized:
		return "Missing or wrong bearer token"
	case problemCrossOrigin:
		return "Cross-origin request refused"
	case problemBodyTimeout:
		return "Request body too slow"
	case problemMisdirected:
		return "Host not served"
	case problemNotFound:
		return "Not found"
	case problemMethod:
		return "Method not allowed"
	case problemConflict:
		return "Conflict with the resource's state"
	case problemTooLarge:
		return "Request body too large"
	case problemUnknownName:
		return "Unknown name"
	case problemUnprocessable:
		return "Request cannot be processed"
	case problemNotImpl:
		return "Not implemented by this server"
	case problemUnavailable:
		return "Server is shutting down"
	}
	return http.StatusText(status)
}

// maxProblemText bounds the detail and each error message of a problem:
// a validator's message may quote the client's value, and a problem never
// repeats a huge one.
const maxProblemText = 1024

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Detail = engine.Truncate(p.Detail, maxProblemText)
	for i := range p.Errors {
		p.Errors[i].Message = engine.Truncate(p.Errors[i].Message, maxProblemText)
	}
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// engineProblem is the problem of an engine's *Error: 422 with the valid
// choices for an unknown name, 422 for a named thing that does not fit,
// 400 for a malformed request; each at the error's pointer.
func engineProblem(e *engine.Error) *Problem {
	var u *providers.UnknownError
	if errors.As(e.Err, &u) {
		return unknownProblem(u, e.Pointer)
	}
	if !e.Unknown && !e.Unusable {
		return fieldProblem(e.Pointer, e.Rule, e.Reason)
	}
	kind := problemUnknownName
	if e.Unusable {
		kind = problemUnprocessable
	}
	p := newProblem(http.StatusUnprocessableEntity, kind, e.Reason)
	if e.Pointer != "" {
		p.Errors = []ProblemError{{Pointer: e.Pointer, In: "body", Rule: e.Rule, Message: e.Reason}}
	}
	return p
}

// problemFor maps an error from the store, the engine or the domain to a
// problem: an unknown name is 422 with its choices, ErrNotFound 404,
// ErrNotPending 409, a bound exceeded (LimitError) 400 or 409, a closed
// engine 503, and anything else 500 (whose
// detail is logged, not sent, since it may describe server internals).
func problemFor(log *slog.Logger, r *http.Request, err error) *Problem {
	var p *Problem
	var u *providers.UnknownError
	var le *engine.LimitError
	var ee *engine.Error
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &ee):
		return engineProblem(ee)
	case errors.As(err, &le):
		return limitProblem(le)
	case errors.As(err, &u):
		return unknownProblem(u, "")
	case errors.Is(err, engine.ErrNotFound):
		return newProblem(http.StatusNotFound, problemNotFound, err.Error())
	case errors.Is(err, engine.ErrNotPending):
		return newProblem(http.StatusConflict, problemConflict, err.Error())
	case errors.Is(err, engine.ErrClosed):
		return newProblem(http.StatusServiceUnavailable, problemUnavailable, "the delivery engine is closed")
	}
	log.Error("control API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return newProblem(http.StatusInternalServerError, problemInternal, "internal error; see the server log")
}

// limitProblem returns the control API's answer to e: 400 for a trigger
// too large (the request itself is at fault), 409 for an endpoint beyond
// the server's bound (its state is: delete one first).
func limitProblem(e *engine.LimitError) *Problem {
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
