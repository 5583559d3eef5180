package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// probePoll is how often a disagreeing probe check is repeated within
// Options.Settle.
const probePoll = 50 * time.Millisecond

// noProbe is the evidence of a probe expectation without a probe URL.
const noProbe = "no probe URL given"

// appliedExpectation checks that the probe counts key applied want times.
func (p *player) appliedExpectation(ctx context.Context, key string, want int) Expectation {
	e := Expectation{What: fmt.Sprintf("applied %d", want)}
	if p.t.Probe == "" {
		e.Outcome, e.Evidence = Skipped, noProbe
		return e
	}
	p.settle(ctx, &e, func() (bool, string, bool) {
		var out struct {
			Applied *int `json:"applied"`
		}
		found, err := p.probe(ctx, "/events/"+url.PathEscape(key), &out)
		switch {
		case err != nil:
			return false, err.Error(), true
		case !found && want == 0:
			return true, "got 0 (the probe does not know the key)", false
		case !found:
			return false, fmt.Sprintf("expected applied=%d, got 0 (the probe does not know the key)", want), false
		case out.Applied == nil:
			return false, "the probe's answer has no \"applied\" count", false
		case *out.Applied == want:
			return true, fmt.Sprintf("got %d", want), false
		}
		return false, fmt.Sprintf("expected applied=%d, got %d", want, *out.Applied), false
	})
	return e
}

// final checks the scenario's final expectations; ok is false when it has
// none.
func (p *player) final(ctx context.Context) (StepResult, bool) {
	sr := StepResult{Index: len(p.sc.Steps), Label: "final expectations", Final: true}
	var want []ResourceExpect
	if p.sc.Expect.Newest {
		for _, e := range newest(p.sc, p.plan) {
			want = append(want, ResourceExpect{ID: e.ID, Status: e.Status})
		}
	}
	for _, re := range p.sc.Expect.Resources {
		id, err := resolveID(p.world, re.ID)
		if err != nil {
			sr.Expectations = append(sr.Expectations, Expectation{What: "resource " + re.ID, Outcome: Failed, Evidence: err.Error()})
			continue
		}
		re.ID = id
		want = append(want, re)
	}
	if len(want) == 0 && len(sr.Expectations) == 0 {
		if !p.sc.Expect.Newest {
			return sr, false
		}
		sr.Expectations = append(sr.Expectations, Expectation{What: "resources newest", Outcome: Skipped,
			Evidence: "no step was expected to be applied"})
		return sr, true
	}
	for _, re := range want {
		sr.Expectations = append(sr.Expectations, p.resourceExpectation(ctx, re))
	}
	return sr, true
}

// resourceExpectation checks one resource's status.
func (p *player) resourceExpectation(ctx context.Context, re ResourceExpect) Expectation {
	e := Expectation{What: fmt.Sprintf("resource %s is %s", re.ID, re.Status)}
	if re.Absent {
		e.What = fmt.Sprintf("resource %s is unknown", re.ID)
	}
	if p.t.Probe == "" {
		e.Outcome, e.Evidence = Skipped, noProbe
		return e
	}
	p.settle(ctx, &e, func() (bool, string, bool) {
		var out struct {
			Status *string `json:"status"`
		}
		found, err := p.probe(ctx, "/resources/"+url.PathEscape(re.ID), &out)
		switch {
		case err != nil:
			return false, err.Error(), true
		case !found && re.Absent:
			return true, "the probe does not know it (404)", false
		case !found:
			return false, fmt.Sprintf("expected %s, got nothing: the probe does not know the resource (404)", re.Status), false
		case out.Status == nil:
			return false, "the probe's answer has no \"status\"", false
		case re.Absent:
			return false, fmt.Sprintf("expected no such resource, got status %s", *out.Status), false
		case *out.Status == re.Status:
			return true, "got " + re.Status, false
		}
		return false, fmt.Sprintf("expected %s, got %s", re.Status, *out.Status), false
	})
	return e
}

// settle runs check until it passes, or once when Options.Settle is 0, or
// until Settle has passed, and records the last outcome in e. check's
// third result says the probe itself is broken (no answer, a bad status,
// garbage): waiting will not help, so settle stops there.
func (p *player) settle(ctx context.Context, e *Expectation, check func() (ok bool, evidence string, broken bool)) {
	until := time.Now().Add(p.opts.Settle)
	for {
		ok, evidence, broken := check()
		e.Evidence = evidence
		if ok {
			e.Outcome = Passed
			return
		}
		e.Outcome = Failed
		left := time.Until(until)
		if broken || left <= 0 || ctx.Err() != nil {
			return
		}
		t := time.NewTimer(min(probePoll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// probe GETs the probe path into out; found is false on 404.
func (p *player) probe(ctx context.Context, path string, out any) (found bool, err error) {
	pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, strings.TrimSuffix(p.t.Probe, "/")+path, nil)
	if err != nil {
		return false, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("probe: %s", describe(ctx, pctx, err, ProbeTimeout.String()))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	switch resp.StatusCode {
	case http.StatusNotFound:
		return false, nil
	case http.StatusOK:
	default:
		return false, fmt.Errorf("probe answered %d to GET %s", resp.StatusCode, path)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return false, fmt.Errorf("probe: GET %s: the answer is not the probe's JSON: %v", path, err)
	}
	return true, nil
}
