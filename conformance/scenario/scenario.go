// Package scenario loads and plays scripted webhook scenarios: sequences of
// one provider's deliveries that tell a story about one order's life (the
// newer event first, a duplicate storm, a lost acknowledgement, a low-data
// series), sent to a partner's receiver and graded on what it answers and,
// when it serves the conformance probe, on what it applied.
//
// A scenario is a YAML file validated against schemas/scenario.schema.json
// (which documents every field), then checked against the provider
// catalogue. The shipped library is package scenarios (scenarios/*.yaml);
// Shipped loads it, Library and LoadDir load any directory of them.
//
//	name: esimfly-activation-first
//	title: Activation arrives before order completion
//	provider: esimfly
//	seed: 102
//	steps:
//	  - event: order.created
//	    expect_applied: 1
//	  - {id: activated, event: esim.activated}
//	  - {event: order.completed, note: older than the activation}
//	  - resend: activated
//	    expect_applied: 1
//	expect:
//	  resources: newest
//
// Play sends the steps in order: each step's copies (the first plus its
// duplicates, one after another or at once), each retried like the provider
// retries when it is not acknowledged, every attempt signed afresh. Every
// request has the provider's ack deadline, follows no redirect and reads at
// most 4 KiB of the answer, so a hostile receiver cannot hang a run: the
// attempts, lost acknowledgements included, are made by package wire
// (mockserver/wire), as the mock's engine makes them, and graded by the
// profile's success rule (providers.AckSpec.Accepts).
package scenario

import (
	"errors"
	"strconv"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// SchemaPath is the path, inside package schemas, of the JSON Schema every
// scenario file is validated against.
const SchemaPath = "scenario.schema.json"

// DefaultRetryCap caps a step's retries when the step does not set them:
// a provider that retries 20 times (Airalo) is retried 3 times in a run.
const DefaultRetryCap = 3

// RetryWaitCap caps each retry interval of the provider's schedule before
// the time scale applies, so that a lost-ack scenario waits seconds, not the
// provider's minutes.
const RetryWaitCap = 5 * time.Second

// MaxAnswer is how much of a receiver's answer is read, at most.
const MaxAnswer = 4 << 10

// ErrInvalid is wrapped by every error about a scenario file.
var ErrInvalid = errors.New("invalid scenario")

// Ack expectations a step can have (Step.Ack).
const (
	Ack2xx = "2xx"
	Ack200 = "200"
	Ack4xx = "4xx"
	AckAny = "any"
)

// Scenario is a loaded, checked scenario.
type Scenario struct {
	// Name identifies the scenario, e.g. "esimfly-duplicate-storm".
	Name string `json:"name"`
	// Title is a one-line summary.
	Title string `json:"title"`
	// Description says what the scenario shows.
	Description string `json:"description,omitempty"`
	// Provider is the provider's name, e.g. "esimfly".
	Provider string `json:"provider"`
	// Variant is the provider variant the deliveries follow.
	Variant *providers.Variant `json:"-"`
	// Seed fixes the order life's ids.
	Seed uint64 `json:"seed"`
	// Tags label the scenario.
	Tags []string `json:"tags,omitempty"`
	// Steps are the deliveries, in order.
	Steps []*Step `json:"steps"`
	// Expect is what the probe must report after the last step.
	Expect Expect `json:"expect"`
	// File is where the scenario was loaded from.
	File string `json:"file,omitempty"`
}

// VariantID returns "provider@variant".
func (s *Scenario) VariantID() string { return s.Variant.ID() }

// Step is one delivery of a scenario, with its defaults resolved.
type Step struct {
	// ID is the step's name; "" when the file gives none.
	ID string `json:"id,omitempty"`
	// Note says what the step shows.
	Note string `json:"note,omitempty"`
	// Event is the event sent; nil for a redelivery (Resend >= 0).
	Event *providers.Event `json:"-"`
	// Resend is the index of the earlier step this one redelivers, or -1.
	Resend int `json:"resend"`
	// At is the event's offset from the life's start.
	At time.Duration `json:"at"`
	// Set holds the payload overrides, in order; values may hold template
	// placeholders.
	Set []providers.Override `json:"set,omitempty"`
	// Delay is the wait before the step, before time scaling.
	Delay time.Duration `json:"delay,omitempty"`
	// Duplicates is the number of extra byte-identical copies.
	Duplicates int `json:"duplicates,omitempty"`
	// Concurrent sends every copy at the same moment.
	Concurrent bool `json:"concurrent,omitempty"`
	// CutAfterBody closes each copy's first connection once the body is
	// written, before the answer is read.
	CutAfterBody bool `json:"cut_after_body,omitempty"`
	// Retries is how many times an unacknowledged attempt is retried.
	Retries int `json:"retries"`
	// Ack is the status every answer must have: Ack2xx, Ack200, Ack4xx or
	// AckAny.
	Ack string `json:"ack"`
	// Applied, if not nil, is how many times the probe must say the
	// step's idempotency key was applied after the step.
	Applied *int `json:"expect_applied,omitempty"`
	// Exercises is the conformance requirement the step's expectations
	// exercise (e.g. "RPL-001"), whose level they take; "" is the
	// scenario requirement's own (MUST).
	Exercises string `json:"exercises,omitempty"`

	occurrence int // earlier steps sending the same event
}

// StepLabel names step i in reports: its id, else its event's name, and
// for a redelivery the step it redelivers.
func (s *Scenario) StepLabel(i int) string {
	st := s.Steps[i]
	switch {
	case st.ID != "":
		return st.ID
	case st.Resend >= 0:
		return "resend " + s.StepLabel(st.Resend)
	case st.Event != nil:
		return st.Event.Name
	}
	return "step " + strconv.Itoa(i+1)
}

// Expect is the scenario's final probe expectation.
type Expect struct {
	// Newest asks that every touched resource have the status of its
	// newest event.
	Newest bool `json:"newest,omitempty"`
	// Resources lists explicit resource statuses, in file order.
	Resources []ResourceExpect `json:"resources,omitempty"`
}

// ResourceExpect is one resource's expected status.
type ResourceExpect struct {
	// ID is the resource id; it may hold template placeholders such as
	// {{iccid}}, resolved in the scenario's life.
	ID string `json:"id"`
	// Status is the status the probe must report.
	Status string `json:"status,omitempty"`
	// Absent asks that the probe not know the resource (404).
	Absent bool `json:"absent,omitempty"`
}
