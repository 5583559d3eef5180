package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// ScenarioRunner runs scripted scenarios (a sequence of triggers, such as
// an order's whole life) against an endpoint. The conformance package
// implements it; Config.Scenarios plugs it in.
type ScenarioRunner interface {
	// List returns the scenarios the runner knows.
	List() []ScenarioInfo
	// Run starts a scenario and returns without waiting for it to
	// finish. ctx is cancelled when the server closes, so work that
	// outlives the call must stop then. An unknown scenario is an error
	// wrapping ErrNotFound.
	Run(ctx context.Context, req ScenarioRunRequest) (*ScenarioRun, error)
	// Get returns a run with the steps finished so far; an unknown id is
	// an error wrapping ErrNotFound.
	Get(id string) (*ScenarioRun, error)
}

// ScenarioRunRequest is a run the server asks a runner to start.
type ScenarioRunRequest struct {
	// Scenario names the scenario.
	Scenario string
	// Endpoint is the receiver, as registered (with its secret and
	// headers).
	Endpoint *engine.Endpoint
	// ProbeURL is the base URL of the receiver's conformance probe; empty
	// skips the expectations that need it, and the run is then at best
	// incomplete.
	ProbeURL string
	// Engine makes the run's attempts (Engine.Send with the run's id in
	// SendRequest.RunID), so that they are deliveries of the log, on the
	// live stream and in the metrics and endpoint statistics.
	Engine *engine.Engine
}

// Scenario run outcomes (ScenarioRun.Outcome).
const (
	RunRunning    = "running"    // steps or expectations are still to come
	RunPassed     = "passed"     // every expectation was checked and passed
	RunFailed     = "failed"     // an expectation failed or a step could not be sent
	RunIncomplete = "incomplete" // none failed, but some were skipped (no probe URL) or the run was stopped
)

// ScenarioInfo describes a scenario.
type ScenarioInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Providers   []string `json:"providers,omitempty"`
}

// ScenarioRun is a started scenario.
type ScenarioRun struct {
	ID         string    `json:"id"`
	Scenario   string    `json:"scenario"`
	EndpointID string    `json:"endpoint_id"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	// ProbeURL is the probe the run checks its expectations with, without
	// user info, query or fragment; empty when it has none.
	ProbeURL string `json:"probe_url,omitempty"`
	// EventIDs lists the events triggered so far.
	EventIDs []string `json:"event_ids,omitempty"`
	// DeliveryIDs lists the run's deliveries in the log so far (each
	// tagged with the run: Delivery.RunID), in the order their first
	// attempts ended.
	DeliveryIDs []string `json:"delivery_ids,omitempty"`
	// Done is true once every step and the final expectations ran (or the
	// run stopped). Outcome is one of the Run* values; Passed is true only
	// when it is RunPassed: every expectation was checked and passed.
	Done    bool   `json:"done"`
	Outcome string `json:"outcome"`
	Passed  bool   `json:"passed"`
	// Expectations counts the expectations by outcome so far.
	Expectations ScenarioCounts `json:"expectations"`
	// Steps are the steps finished so far, in order.
	Steps []ScenarioStep `json:"steps,omitempty"`
	// Error is why the run could not go on (e.g. the server closed).
	Error string `json:"error,omitempty"`
}

// ScenarioStep is one finished step of a run (or the final expectations).
type ScenarioStep struct {
	Label string `json:"label"`
	Event string `json:"event,omitempty"`
	// Statuses are the HTTP statuses of the step's requests (0: no answer).
	Statuses []int `json:"statuses,omitempty"`
	// DeliveryIDs are the step's deliveries in the log: the original,
	// then its duplicates.
	DeliveryIDs  []string              `json:"delivery_ids,omitempty"`
	Expectations []ScenarioExpectation `json:"expectations,omitempty"`
	Error        string                `json:"error,omitempty"`
}

// ScenarioCounts counts a run's expectations by outcome.
type ScenarioCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// ScenarioExpectation is one checked expectation and its evidence.
type ScenarioExpectation struct {
	What     string `json:"what"`
	Outcome  string `json:"outcome"` // passed, failed or skipped
	Evidence string `json:"evidence,omitempty"`
}

func scenariosMissing() *Problem {
	return newProblem(http.StatusNotImplemented, problemNotImpl, "this server was started without a scenario runner")
}

// handleListScenarios lists the runner's scenarios (501 without one).
func (s *Server) handleListScenarios(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		writeProblem(w, r, scenariosMissing())
		return
	}
	list := s.cfg.Scenarios.List()
	if list == nil {
		list = []ScenarioInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": list})
}

// handleRunScenario starts a scenario against an endpoint (501 without a
// runner). The run is bound to the server's lifetime, not the request's.
func (s *Server) handleRunScenario(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		writeProblem(w, r, scenariosMissing())
		return
	}
	var req struct {
		EndpointID string `json:"endpoint_id"`
		ProbeURL   string `json:"probe_url"`
	}
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	if err := engine.CheckProbeURL(req.ProbeURL); err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	name := r.PathValue("name")
	ep, err := s.store.GetEndpoint(r.Context(), req.EndpointID)
	if err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			p := newProblem(http.StatusUnprocessableEntity, problemUnknownName, "no endpoint "+req.EndpointID)
			p.Errors = []ProblemError{{Pointer: "/endpoint_id", In: "body", Rule: "endpoint", Message: p.Detail}}
			writeProblem(w, r, p)
			return
		}
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	// The run's probe, or else the endpoint's.
	probe := req.ProbeURL
	if probe == "" {
		probe = ep.ProbeURL
	}
	run, err := s.cfg.Scenarios.Run(s.ctx, ScenarioRunRequest{Scenario: name, Endpoint: ep, ProbeURL: probe, Engine: s.engine})
	if err != nil {
		var u *providers.UnknownError
		switch {
		case errors.Is(err, engine.ErrNotFound):
			writeProblem(w, r, newProblem(http.StatusNotFound, problemNotFound, err.Error()))
		case errors.As(err, &u):
			writeProblem(w, r, unknownProblem(u, ""))
		default:
			writeProblem(w, r, problemFor(s.log, r, err))
		}
		return
	}
	writeJSON(w, http.StatusAccepted, run)
}

// handleGetScenarioRun reports a run's progress (501 without a runner).
func (s *Server) handleGetScenarioRun(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Scenarios == nil {
		writeProblem(w, r, scenariosMissing())
		return
	}
	run, err := s.cfg.Scenarios.Get(r.PathValue("id"))
	if err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			writeProblem(w, r, newProblem(http.StatusNotFound, problemNotFound, err.Error()))
			return
		}
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	writeJSON(w, http.StatusOK, run)
}
