package scenario_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/scenario"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// runnerServer starts a mock server with the shipped library's runner on
// a memory store.
func runnerServer(t *testing.T) (*mockserver.Server, engine.Store) {
	t.Helper()
	cat := providers.MustBuiltin()
	lib, err := scenario.Shipped(cat)
	if err != nil {
		t.Fatal(err)
	}
	store := engine.NewMemoryStore()
	srv, err := mockserver.New(mockserver.Config{Store: store, Catalogue: cat, Scenarios: &scenario.Runner{Library: lib}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, store
}

// apiPost posts body to the server and decodes the answer into out,
// failing on a status other than want.
func apiPost(t *testing.T, srv *mockserver.Server, path string, body any, want int, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw := new(bytes.Buffer)
	raw.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s, want %d", path, resp.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// runToEnd starts scenario name against endpoint ep (with the probe, if
// any) over the control API and follows the run until it is done.
func runToEnd(t *testing.T, srv *mockserver.Server, name, ep, probe string) api.ScenarioRun {
	t.Helper()
	body := map[string]any{"endpoint_id": ep}
	if probe != "" {
		body["probe_url"] = probe
	}
	var run api.ScenarioRun
	apiPost(t, srv, "/api/scenarios/"+name+"/runs", body, http.StatusAccepted, &run)
	if run.Outcome != api.RunRunning || run.Passed {
		t.Errorf("a started run says %s (passed %v)", run.Outcome, run.Passed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(srv.URL + "/api/scenario-runs/" + run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got api.ScenarioRun
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.Done {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("run not done: %+v", got)
		case <-tick.C:
		}
	}
}

// TestRunnerRunsGoThroughTheEngine runs a library scenario over the control
// API against the reference receiver: its ten concurrent copies are ten
// deliveries of the log tagged with the run (one original, nine copies of
// it, one event), streamed live and counted in the endpoint's statistics;
// with the probe the run passes, without it the run is incomplete, never
// passed.
func TestRunnerRunsGoThroughTheEngine(t *testing.T) {
	srv, store := runnerServer(t)
	v, _ := providers.MustBuiltin().Variant("roamify", "")
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: "runner-secret"})
	if err != nil {
		t.Fatal(err)
	}
	target := httptest.NewServer(rcv)
	defer target.Close()
	var ep engine.Endpoint
	apiPost(t, srv, "/api/endpoints", map[string]any{"url": target.URL, "provider": "roamify", "secret": "runner-secret"}, http.StatusCreated, &ep)
	live, stop := srv.Engine().Subscribe(64)
	defer stop()

	run := runToEnd(t, srv, "roamify-duplicate-storm", ep.ID, target.URL+receiver.ProbePrefix)
	if run.Outcome != api.RunPassed || !run.Passed || run.Expectations.Skipped != 0 || run.Expectations.Passed == 0 {
		t.Fatalf("with the probe: %s (passed %v, %+v), want passed, nothing skipped: %+v", run.Outcome, run.Passed, run.Expectations, run)
	}
	if len(run.DeliveryIDs) != 10 || len(run.Steps) == 0 || len(run.Steps[0].DeliveryIDs) != 10 {
		t.Fatalf("run lists %d deliveries, step 1 %v; want the ten copies", len(run.DeliveryIDs), run.Steps)
	}
	ctx := context.Background()
	orig := run.Steps[0].DeliveryIDs[0]
	var event string
	for i, id := range run.Steps[0].DeliveryIDs {
		d, err := store.GetDelivery(ctx, id)
		if err != nil {
			t.Fatalf("delivery %s of the run is not in the log: %v", id, err)
		}
		if event == "" {
			event = d.EventID
		}
		wantCopyOf := orig
		if i == 0 {
			wantCopyOf = ""
		}
		if d.RunID != run.ID || d.EndpointID != ep.ID || d.State != engine.StateDelivered || d.CopyOf != wantCopyOf || d.EventID != event {
			t.Errorf("delivery %d: run %q endpoint %s state %s copy of %q event %s; want %s, %s, delivered, %q, %s",
				i, d.RunID, d.EndpointID, d.State, d.CopyOf, d.EventID, run.ID, ep.ID, wantCopyOf, event)
		}
	}
	streamed := map[string]bool{}
	for len(streamed) < 10 {
		select {
		case a := <-live:
			streamed[a.DeliveryID] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("streamed %d of the run's attempts", len(streamed))
		}
	}
	for _, id := range run.DeliveryIDs {
		if !streamed[id] {
			t.Errorf("delivery %s was not streamed", id)
		}
	}
	resp, err := http.Get(srv.URL + "/api/endpoints/" + ep.ID + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Deliveries int `json:"deliveries"`
		Successful int `json:"successful_attempts"`
	}
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if stats.Deliveries != 10 || stats.Successful != 10 {
		t.Errorf("endpoint stats count %d deliveries, %d successful; want the run's 10", stats.Deliveries, stats.Successful)
	}

	again := runToEnd(t, srv, "roamify-duplicate-storm", ep.ID, "")
	if again.Outcome != api.RunIncomplete || again.Passed || again.Expectations.Skipped == 0 {
		t.Errorf("without a probe: %s (passed %v, %+v), want incomplete with skipped expectations", again.Outcome, again.Passed, again.Expectations)
	}
	if again.ProbeURL != "" || run.ProbeURL != target.URL+receiver.ProbePrefix {
		t.Errorf("probe URLs reported: %q and %q", run.ProbeURL, again.ProbeURL)
	}
}

// TestRunnerRetriesAreAttemptsOfOneDelivery: against a receiver that
// fails, each copy's retries are the next attempts of its delivery, which
// ends failed once the run stops retrying; the run fails.
func TestRunnerRetriesAreAttemptsOfOneDelivery(t *testing.T) {
	srv, store := runnerServer(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer target.Close()
	var ep engine.Endpoint
	apiPost(t, srv, "/api/endpoints", map[string]any{"url": target.URL, "provider": "roamify", "secret": "runner-secret"}, http.StatusCreated, &ep)
	run := runToEnd(t, srv, "roamify-duplicate-storm", ep.ID, "")
	if run.Outcome != api.RunFailed || run.Passed || run.Expectations.Failed == 0 {
		t.Fatalf("against a failing receiver: %s (passed %v, %+v), want failed", run.Outcome, run.Passed, run.Expectations)
	}
	step := run.Steps[0]
	perCopy := len(step.Statuses) / len(step.DeliveryIDs)
	if perCopy < 2 || len(step.Statuses)%len(step.DeliveryIDs) != 0 {
		t.Fatalf("step sent %d attempts over %d deliveries; want the same retries for each copy", len(step.Statuses), len(step.DeliveryIDs))
	}
	for _, id := range step.DeliveryIDs {
		d, err := store.GetDelivery(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		as, _ := store.ListAttempts(context.Background(), id)
		if d.State != engine.StateFailed || d.Attempts != perCopy || len(as) != perCopy || as[0].Outcome != engine.StatePending {
			t.Errorf("delivery %s: %s after %d attempts (%d stored), want failed after %d, the first leaving it pending",
				id, d.State, d.Attempts, len(as), perCopy)
		}
	}
}

// TestRunnerRefusesAnEndpointOfAnotherProvider checks the provider match
// and the probe URL.
func TestRunnerRefusesAnEndpointOfAnotherProvider(t *testing.T) {
	srv, _ := runnerServer(t)
	cat := providers.MustBuiltin()
	lib, _ := scenario.Shipped(cat)
	r := &scenario.Runner{Library: lib}
	ctx := context.Background()
	airalo := &engine.Endpoint{ID: "ep_1", URL: "http://127.0.0.1:9/", Provider: "airalo"}
	roamify := &engine.Endpoint{ID: "ep_2", URL: "http://127.0.0.1:9/", Provider: "roamify", Secret: "s"}
	for _, req := range []api.ScenarioRunRequest{
		{Scenario: "roamify-duplicate-storm", Endpoint: airalo, Engine: srv.Engine()},
		{Scenario: "no-such", Endpoint: roamify, Engine: srv.Engine()},
		{Scenario: "roamify-duplicate-storm", Endpoint: roamify, Engine: srv.Engine(), ProbeURL: "ftp://127.0.0.1/"},
		{Scenario: "roamify-duplicate-storm", Endpoint: roamify},
	} {
		if _, err := r.Run(ctx, req); err == nil {
			t.Errorf("ran %+v", req)
		}
	}
}
