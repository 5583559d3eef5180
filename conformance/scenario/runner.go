package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
)

// Runner plays library scenarios against endpoints registered with the
// mock server; it implements mockserver.ScenarioRunner. Runs are kept in
// memory (the most recent MaxRuns) so a dashboard can follow their steps.
type Runner struct {
	// Library is the scenario list the runner offers.
	Library []*Scenario
	// Store resolves endpoint ids to URL, provider and secret.
	Store mockserver.Store
	// TimeScale scales scenario delays and retry waits (see Options).
	TimeScale float64
	// Client sends the deliveries; nil uses a client without redirects.
	Client *http.Client

	mu   sync.Mutex
	runs map[string]*runState
	ids  []string
}

// MaxRuns is how many finished runs a Runner remembers.
const MaxRuns = 100

type runState struct {
	info   mockserver.ScenarioRun
	result *Result
}

// List returns the library, sorted by name.
func (r *Runner) List() []mockserver.ScenarioInfo {
	out := make([]mockserver.ScenarioInfo, 0, len(r.Library))
	for _, s := range r.Library {
		out = append(out, mockserver.ScenarioInfo{Name: s.Name, Description: s.Title, Providers: []string{s.VariantID()}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run starts the named scenario against the endpoint and returns at once;
// the run stops when ctx ends. The endpoint must belong to the scenario's
// provider (and variant).
func (r *Runner) Run(ctx context.Context, name, endpointID string) (*mockserver.ScenarioRun, error) {
	var sc *Scenario
	for _, s := range r.Library {
		if s.Name == name {
			sc = s
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("scenario %q: %w", name, mockserver.ErrNotFound)
	}
	ep, err := r.Store.GetEndpoint(ctx, endpointID)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", endpointID, err)
	}
	if ep.Provider != sc.Variant.Provider.Name || (ep.Variant != "" && ep.Variant != sc.Variant.Name) || (ep.Variant == "" && !sc.Variant.Default) {
		return nil, fmt.Errorf("scenario %s is for %s, endpoint %s is %s@%s", sc.Name, sc.VariantID(), ep.ID, ep.Provider, ep.Variant)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	st := &runState{info: mockserver.ScenarioRun{ID: "run_" + hex.EncodeToString(b[:]), Scenario: sc.Name, EndpointID: ep.ID, StartedAt: time.Now().UTC()}}
	r.remember(st)
	h := http.Header{}
	for k, v := range ep.Headers {
		h.Set(k, v)
	}
	go func() {
		res, _ := Play(ctx, sc, Target{URL: ep.URL, Secret: ep.Secret, Headers: h, Client: r.Client},
			Options{TimeScale: r.TimeScale, Progress: func(s StepResult) {
				r.mu.Lock()
				if st.result == nil {
					st.result = &Result{Scenario: sc.Name, Title: sc.Title}
				}
				st.result.Steps = append(st.result.Steps, s)
				r.mu.Unlock()
			}})
		r.mu.Lock()
		if res != nil {
			st.result = res
		}
		r.mu.Unlock()
	}()
	info := st.info
	return &info, nil
}

// Get returns a run's progress in the control API's form.
func (r *Runner) Get(id string) (*mockserver.ScenarioRun, error) {
	res, done, err := r.Result(id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	info := r.runs[id].info
	r.mu.Unlock()
	info.Done = done
	info.Passed = done && res.Passed()
	info.Error = res.Err
	for _, s := range res.Steps {
		st := mockserver.ScenarioStep{Label: s.Label, Event: s.Event, Error: s.Err}
		for _, c := range s.Copies {
			for _, a := range c.Attempts {
				st.Statuses = append(st.Statuses, a.Status)
			}
		}
		for _, x := range s.Expectations {
			st.Expectations = append(st.Expectations, mockserver.ScenarioExpectation{What: x.What, Outcome: string(x.Outcome), Evidence: x.Evidence})
		}
		info.Steps = append(info.Steps, st)
	}
	return &info, nil
}

// Result returns a run's progress so far and whether it has finished.
func (r *Runner) Result(id string) (*Result, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.runs[id]
	if !ok {
		return nil, false, fmt.Errorf("run %q: %w", id, mockserver.ErrNotFound)
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
