package scenario

import "time"

// Outcome is how an expectation came out.
type Outcome string

// The outcomes of an expectation.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// Result is what a run of a scenario came to.
type Result struct {
	// Scenario is the scenario's name, Title its title.
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	// Variant is "provider@variant".
	Variant string `json:"variant"`
	// URL is the receiver's URL without user info, query or fragment
	// (wire.RedactURL: they may carry a token); the probe's is not
	// reported.
	URL string `json:"url"`
	// Start is when the run began; Elapsed how long it took.
	Start   time.Time     `json:"start"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Steps holds one entry per step played, in order, then one for the
	// scenario's final expectations (Final) if it has any.
	Steps []StepResult `json:"steps"`
	// Err says why the run stopped early ("" when it ran to the end).
	Err string `json:"error,omitempty"`
}

// Passed reports whether the run ended and no expectation failed. Skipped
// expectations (no probe URL) do not fail a run.
func (r *Result) Passed() bool {
	if r.Err != "" {
		return false
	}
	for _, s := range r.Steps {
		if s.Err != "" {
			return false
		}
		for _, e := range s.Expectations {
			if e.Outcome == Failed {
				return false
			}
		}
	}
	return true
}

// Count returns how many expectations passed, failed and were skipped.
func (r *Result) Count() (passed, failed, skipped int) {
	for _, s := range r.Steps {
		for _, e := range s.Expectations {
			switch e.Outcome {
			case Passed:
				passed++
			case Failed:
				failed++
			default:
				skipped++
			}
		}
	}
	return passed, failed, skipped
}

// StepResult is what one step sent and how its expectations came out; the
// entry with Final set holds the scenario's final expectations instead.
type StepResult struct {
	// Index is the step's position from 0; the final entry has the number
	// of steps.
	Index int `json:"index"`
	// Label names the step (its id or event); "final expectations" for
	// the final entry.
	Label string `json:"label"`
	// Note is the step's note.
	Note string `json:"note,omitempty"`
	// Final marks the entry of the scenario's final expectations.
	Final bool `json:"final,omitempty"`
	// Event is the event sent.
	Event string `json:"event,omitempty"`
	// DeliveryID is the id every copy and retry of the delivery carries.
	DeliveryID string `json:"delivery_id,omitempty"`
	// Key is the idempotency key a receiver deduplicates the step on.
	Key string `json:"key,omitempty"`
	// EventTime is the event's own time, where the provider sends one.
	EventTime time.Time `json:"event_time,omitzero"`
	// Copies holds each copy sent: the first, then the duplicates.
	Copies []Copy `json:"copies,omitempty"`
	// Expectations are the step's checks, in the order they were made.
	Expectations []Expectation `json:"expectations,omitempty"`
	// Err says why the step could not be sent at all.
	Err string `json:"error,omitempty"`
}

// Copy is one copy of a delivery: its first attempt and the provider's
// retries.
type Copy struct {
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one HTTP request of a copy.
type Attempt struct {
	// Status is the answer's status; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Latency is how long the answer's headers took (or the error came).
	Latency time.Duration `json:"latency_ns"`
	// Cut is set when the connection was closed after the body was
	// written, without reading an answer.
	Cut bool `json:"cut,omitempty"`
	// Acked reports whether the provider counts the answer as success.
	Acked bool `json:"acked"`
	// Answer is the start of the answer's body, on one line.
	Answer string `json:"answer,omitempty"`
	// Err says why there was no answer (deadline, refused, ...).
	Err string `json:"error,omitempty"`
}

// Expectation is one check and its outcome.
type Expectation struct {
	// What names the check: "ack 2xx", "applied 1", "resource X is Y".
	What    string  `json:"what"`
	Outcome Outcome `json:"outcome"`
	// Evidence says what was seen: "expected 2xx, got 500 (copy 1,
	// attempt 1)", "expected applied=1, got 2", "no probe URL given".
	Evidence string `json:"evidence,omitempty"`
}
