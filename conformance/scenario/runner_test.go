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
	"github.com/esimhooks/esimhooks/providers"
)

// TestRunnerPlaysALibraryScenarioThroughTheControlAPI starts a real mock
// server with the runner, registers the reference receiver, runs a
// scenario over the API and follows its progress until it passes.
func TestRunnerPlaysALibraryScenarioThroughTheControlAPI(t *testing.T) {
	cat := providers.MustBuiltin()
	lib, err := scenario.Shipped(cat)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := cat.Variant("roamify", "")
	rcv, err := receiver.New(receiver.Config{Variant: v, Secret: "runner-secret"})
	if err != nil {
		t.Fatal(err)
	}
	target := httptest.NewServer(rcv)
	defer target.Close()

	store := mockserver.NewMemoryStore()
	runner := &scenario.Runner{Library: lib, Store: store, TimeScale: 0}
	srv, err := mockserver.New(mockserver.Config{Store: store, Catalogue: cat, Scenarios: runner})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	ep := post("/api/endpoints", map[string]any{"url": target.URL, "provider": "roamify", "secret": "runner-secret"})
	run := post("/api/scenarios/roamify-duplicate-storm/runs", map[string]any{"endpoint_id": ep["id"]})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(srv.URL + "/api/scenario-runs/" + run["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var got mockserver.ScenarioRun
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.Done {
			if !got.Passed || len(got.Steps) == 0 {
				t.Fatalf("run did not pass: %+v", got)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("run not done: %+v", got)
		case <-tick.C:
		}
	}
}

// TestRunnerRefusesAnEndpointOfAnotherProvider checks the provider match.
func TestRunnerRefusesAnEndpointOfAnotherProvider(t *testing.T) {
	cat := providers.MustBuiltin()
	lib, _ := scenario.Shipped(cat)
	store := mockserver.NewMemoryStore()
	store.PutEndpoint(context.Background(), &mockserver.Endpoint{ID: "ep_1", URL: "http://127.0.0.1:9/", Provider: "airalo"})
	r := &scenario.Runner{Library: lib, Store: store}
	if _, err := r.Run(context.Background(), "roamify-duplicate-storm", "ep_1"); err == nil {
		t.Fatal("a roamify scenario ran against an airalo endpoint")
	}
	if _, err := r.Run(context.Background(), "no-such", "ep_1"); err == nil {
		t.Fatal("an unknown scenario ran")
	}
}
