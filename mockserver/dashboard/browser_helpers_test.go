package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/internal/browsertest"
	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/dashboard"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/providerapi"
)

// stepTimeout bounds each browser step (internal/browsertest).
const stepTimeout = browsertest.StepTimeout

// startBrowser starts a headless Chromium with a fresh profile and returns
// a tab's context (internal/browsertest: skipped without Chromium;
// uncaught page exceptions and CSP violations fail the test).
func startBrowser(t *testing.T) context.Context { return browsertest.Start(t) }

// do runs actions with the step timeout (the browser outlives it).
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Do(t, ctx, what, actions...)
}

// eval runs JavaScript and decodes its result.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return browsertest.Eval[T](t, ctx, js)
}

// until waits for a JavaScript condition to become true; what names it.
func until(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(stepTimeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main")?.innerText.slice(0, 1500) ?? ""`))
		t.Fatalf("waiting until %s (%s): %v\npage text:\n%s", what, cond, err, html)
	}
}

// text returns the text content of the first element matching css.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	do(t, ctx, "waiting for "+css, chromedp.WaitReady(chromedp.CSS(css)))
	return eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, css))
}

// setField sets an input's or select's value as a user would and fires
// input and change.
func setField(t *testing.T, ctx context.Context, css, value string) {
	t.Helper()
	do(t, ctx, "waiting for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); })()`, css, value))
}

// click waits until an element can take a click, as a user would (visible,
// scrolled to the middle of the viewport, not moving since the previous
// poll, and the topmost element at its centre, so a toast or a re-render
// cannot swallow the click), then clicks it with the mouse.
func click(t *testing.T, ctx context.Context, css string) {
	t.Helper()
	until(t, ctx, css+" can take a click", fmt.Sprintf(actionable, css))
	do(t, ctx, "clicking "+css, chromedp.Click(chromedp.CSS(css)))
}

// actionable is the JavaScript condition of click; %q is the selector.
const actionable = `(() => {
	const el = document.querySelector(%q);
	if (!el || !el.isConnected) return false;
	el.scrollIntoView({ block: "center", inline: "center" });
	const r = el.getBoundingClientRect();
	if (!r.width || !r.height) return false;
	const key = [r.x, r.y, r.width, r.height].join();
	const steady = window.__clickRect === key && window.__clickEl === el;
	window.__clickRect = key;
	window.__clickEl = el;
	const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
	return steady && !!hit && (hit === el || el.contains(hit));
})()`

// shot writes a PNG of the page to docs/screenshots/name.png when
// ESIMHOOKS_SCREENSHOTS=1: the whole page when full is set, else the
// viewport. Notices (toasts) are left out.
func shot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	if os.Getenv("ESIMHOOKS_SCREENSHOTS") != "1" {
		return
	}
	// Let the last frame settle: wait for two animation frames.
	eval[chromedp.Void](t, ctx, `(document.querySelector("#toasts")?.replaceChildren(),
		new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))))`)
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	capture := chromedp.CaptureScreenshot()
	if full {
		capture = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(sctx, capture)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs/screenshots/%s.png", name)
}

// received is one request the test receiver got.
type received struct {
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is the frontend developer's app: it answers 200 with a small
// JSON body, except on /fail where it answers 500. Every request is sent
// on got.
type receiver struct {
	*httptest.Server
	got chan received
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{got: make(chan received, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.got <- received{Path: req.URL.Path, Header: req.Header.Clone(), Body: b}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(req.URL.Path, "/fail") {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"database is down"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "handled_by": "test app", "bytes": len(b)})
	}))
	t.Cleanup(r.Close)
	return r
}

// next returns the next request on path, failing after the step timeout.
func (r *receiver) next(t *testing.T, path string) received {
	t.Helper()
	timer := time.NewTimer(stepTimeout)
	defer timer.Stop()
	for {
		select {
		case g := <-r.got:
			if g.Path == path {
				return g
			}
		case <-timer.C:
			t.Fatalf("the receiver got no request on %s within %s", path, stepTimeout)
		}
	}
}

// startServer starts the mock with the dashboard and a memory store.
func startServer(t *testing.T, token string, scenarios api.ScenarioRunner) (*mockserver.Server, engine.Store) {
	t.Helper()
	store := engine.NewMemoryStore()
	srv, err := mockserver.New(mockserver.Config{
		Store:     store,
		Dashboard: dashboard.Handler(),
		Token:     token,
		Scenarios: scenarios,
		// The providers' APIs, as serve mounts them.
		ProviderAPIs: providerapi.All(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, store
}

// fakeScenarios is a one-scenario runner for the test: it sends
// esim.activated before order.completed for one order through the
// server's engine, and reports each step once its delivery settled, with
// an acknowledgement expectation, as the real runner reports runs.
type fakeScenarios struct {
	mu    sync.Mutex
	srv   *mockserver.Server
	store engine.Store
	runs  map[string]*api.ScenarioRun
}

func (f *fakeScenarios) List() []api.ScenarioInfo {
	return []api.ScenarioInfo{
		{Name: "esimfly-out-of-order", Description: "esim.activated arrives before order.completed for the same order.", Providers: []string{"esimfly@2025-01"}},
		{Name: "airalo-lost-ack", Description: "Airalo retries a notification whose acknowledgement was lost.", Providers: []string{"airalo@default"}},
	}
}

func (f *fakeScenarios) Run(ctx context.Context, req api.ScenarioRunRequest) (*api.ScenarioRun, error) {
	name, endpointID := req.Scenario, req.Endpoint.ID
	if name != "esimfly-out-of-order" {
		return nil, fmt.Errorf("scenario %q: %w", name, engine.ErrNotFound)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seed := uint64(42)
	run := &api.ScenarioRun{ID: fmt.Sprintf("run_%d", len(f.runs)+1), Scenario: name, EndpointID: endpointID, StartedAt: time.Now()}
	for _, ev := range []string{"esim.activated", "order.completed"} {
		res, err := f.srv.Engine().Trigger(ctx, engine.Trigger{Provider: "esimfly", Event: ev, EndpointIDs: []string{endpointID}, Seed: &seed})
		if err != nil {
			return nil, err
		}
		run.EventIDs = append(run.EventIDs, res.EventID)
	}
	if f.runs == nil {
		f.runs = map[string]*api.ScenarioRun{}
	}
	f.runs[run.ID] = run
	c := *run
	return &c, nil
}

func (f *fakeScenarios) Get(id string) (*api.ScenarioRun, error) {
	f.mu.Lock()
	run, ok := f.runs[id]
	f.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("run %q: %w", id, engine.ErrNotFound)
	}
	ctx := context.Background()
	out := *run
	out.Steps = nil
	out.Outcome = api.RunRunning
	for i, eid := range run.EventIDs {
		ds, err := f.store.ListDeliveries(ctx, engine.DeliveryFilter{EventID: eid})
		if err != nil || len(ds) == 0 || ds[0].State == engine.StatePending {
			return &out, err
		}
		as, err := f.store.ListAttempts(ctx, ds[0].ID)
		if err != nil {
			return nil, err
		}
		step := api.ScenarioStep{Label: fmt.Sprintf("step %d", i+1), Event: ds[0].Event}
		exp := api.ScenarioExpectation{What: "acknowledged with 2xx", Outcome: "passed"}
		for _, a := range as {
			step.Statuses = append(step.Statuses, a.Status)
			exp.Evidence = fmt.Sprintf("HTTP %d", a.Status)
		}
		if ds[0].State != engine.StateDelivered {
			exp.Outcome, out.Outcome = "failed", api.RunFailed
		}
		step.Expectations = []api.ScenarioExpectation{exp}
		out.Steps = append(out.Steps, step)
	}
	out.Steps = append(out.Steps, api.ScenarioStep{Label: "final state", Expectations: []api.ScenarioExpectation{
		{What: "every resource has its newest status", Outcome: "skipped", Evidence: "no probe URL given"}}})
	out.Done = true
	// The final expectation was skipped: the run is at best incomplete.
	if out.Outcome != api.RunFailed {
		out.Outcome = api.RunIncomplete
	}
	return &out, nil
}
