package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// Runner plays library scenarios against endpoints registered with the
// mock server; it implements api.ScenarioRunner. A run's attempts go
// through the server's engine (engine.Engine.Send): each copy of a
// step is a delivery of the log tagged with the run, on the live stream
// and in the metrics; the player still signs, paces, retries and grades
// them as Play does. Runs are kept in memory (the most recent MaxRuns) so
// a dashboard can follow their steps.
type Runner struct {
	// Library is the scenario list the runner offers.
	Library []*Scenario
	// TimeScale scales scenario delays and retry waits (see Options).
	TimeScale float64
	// Client queries the probe; nil uses a client without redirects.
	Client *http.Client

	mu   sync.Mutex
	runs map[string]*runState
	ids  []string
}

// MaxRuns is how many finished runs a Runner remembers.
const MaxRuns = 100

type runState struct {
	info   api.ScenarioRun
	result *Result
	sent   *engineSender
	// unstarted says that Play refused to start the run.
	unstarted bool
}

// List returns the library, sorted by name.
func (r *Runner) List() []api.ScenarioInfo {
	out := make([]api.ScenarioInfo, 0, len(r.Library))
	for _, s := range r.Library {
		out = append(out, api.ScenarioInfo{Name: s.Name, Description: s.Title, Providers: []string{s.VariantID()}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run starts the named scenario against the request's endpoint, through
// its engine, and returns at once; the run stops when ctx ends. The
// endpoint must belong to the scenario's provider (and variant); a probe
// URL must be an http(s) URL.
func (r *Runner) Run(ctx context.Context, req api.ScenarioRunRequest) (*api.ScenarioRun, error) {
	var sc *Scenario
	for _, s := range r.Library {
		if s.Name == req.Scenario {
			sc = s
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("scenario %q: %w", req.Scenario, engine.ErrNotFound)
	}
	ep := req.Endpoint
	if ep == nil || req.Engine == nil {
		return nil, errors.New("scenario: a run needs an endpoint and an engine")
	}
	if ep.Provider != sc.Variant.Provider.Name || (ep.Variant != "" && ep.Variant != sc.Variant.Name) || (ep.Variant == "" && !sc.Variant.Default) {
		return nil, fmt.Errorf("scenario %s is for %s, endpoint %s is %s@%s", sc.Name, sc.VariantID(), ep.ID, ep.Provider, ep.Variant)
	}
	if req.ProbeURL != "" {
		if _, err := checkURL("probe URL", req.ProbeURL); err != nil {
			return nil, err
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := "run_" + hex.EncodeToString(b[:])
	st := &runState{
		info: api.ScenarioRun{ID: id, Scenario: sc.Name, EndpointID: ep.ID, StartedAt: req.Engine.Now().UTC(),
			ProbeURL: wire.RedactURL(req.ProbeURL), Outcome: api.RunRunning},
		sent: &engineSender{engine: req.Engine, ep: ep, run: id},
	}
	r.remember(st)
	// The engine adds the endpoint's headers; the player signs with its
	// secret.
	t := Target{URL: ep.URL, Secret: ep.Secret, Probe: req.ProbeURL, Client: r.Client, Sender: st.sent}
	go func() {
		res, err := Play(ctx, sc, t, Options{TimeScale: r.TimeScale, Progress: func(s StepResult) {
			r.mu.Lock()
			if st.result == nil {
				st.result = &Result{Scenario: sc.Name, Title: sc.Title}
			}
			st.result.Steps = append(st.result.Steps, s)
			r.mu.Unlock()
		}})
		r.mu.Lock()
		switch {
		case res != nil:
			st.result = res
		case err != nil:
			// The run could not start (say, a secret the provider cannot
			// sign with): it is over.
			st.result = &Result{Scenario: sc.Name, Title: sc.Title, Err: "run not started: " + err.Error()}
			st.unstarted = true
		}
		r.mu.Unlock()
	}()
	info := st.info
	return &info, nil
}

// Get returns a run's progress in the control API's form.
func (r *Runner) Get(id string) (*api.ScenarioRun, error) {
	res, done, err := r.Result(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	st := r.runs[id]
	info, unstarted := st.info, st.unstarted
	r.mu.Unlock()
	steps, all := st.sent.ids()
	info.Done = done
	info.Error = res.Err
	info.DeliveryIDs = all
	for _, s := range res.Steps {
		out := api.ScenarioStep{Label: s.Label, Event: s.Event, Error: s.Err}
		if !s.Final {
			out.DeliveryIDs = steps[s.Index]
		}
		for _, c := range s.Copies {
			for _, a := range c.Attempts {
				out.Statuses = append(out.Statuses, a.Status)
			}
		}
		for _, x := range s.Expectations {
			out.Expectations = append(out.Expectations, api.ScenarioExpectation{What: x.What, Outcome: string(x.Outcome), Evidence: x.Evidence})
		}
		info.Steps = append(info.Steps, out)
	}
	info.Expectations.Passed, info.Expectations.Failed, info.Expectations.Skipped = res.Count()
	info.Outcome = runOutcome(res, done, unstarted)
	info.Passed = info.Outcome == api.RunPassed
	return &info, nil
}

// runOutcome grades a run: failed as soon as an expectation failed or a
// step could not be sent, or when the run could not start; once done,
// passed only when nothing was skipped and the run was not stopped,
// incomplete otherwise.
func runOutcome(res *Result, done, unstarted bool) string {
	_, failed, skipped := res.Count()
	for _, s := range res.Steps {
		if s.Err != "" {
			failed++
		}
	}
	switch {
	case failed > 0, unstarted:
		return api.RunFailed
	case !done:
		return api.RunRunning
	case skipped > 0 || res.Err != "":
		return api.RunIncomplete
	}
	return api.RunPassed
}

// Result returns a run's progress so far and whether it has finished.
func (r *Runner) Result(id string) (*Result, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.runs[id]
	if !ok {
		return nil, false, fmt.Errorf("run %q: %w", id, engine.ErrNotFound)
	}
	if st.result == nil {
		return &Result{Scenario: st.info.Scenario}, false, nil
	}
	cp := *st.result
	cp.Steps = append([]StepResult(nil), st.result.Steps...)
	done := cp.Elapsed > 0 || cp.Err != ""
	return &cp, done, nil
}

func (r *Runner) remember(st *runState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[string]*runState{}
	}
	r.runs[st.info.ID] = st
	r.ids = append(r.ids, st.info.ID)
	if len(r.ids) > MaxRuns {
		delete(r.runs, r.ids[0])
		r.ids = r.ids[1:]
	}
}
