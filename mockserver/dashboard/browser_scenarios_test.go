package dashboard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/conformance/scenario"
	refreceiver "github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// TestDashboardScenarioRunsInTheLog runs a library scenario with the real
// runner against the reference receiver, in a real browser: with the
// receiver's probe URL the run passes and lists its ten deliveries (as
// the log holds them, tagged with the run) with a link to the Log
// filtered on the run; without a probe the same run is incomplete, never
// "Passed"; a bad probe URL is refused at its field.
func TestDashboardScenarioRunsInTheLog(t *testing.T) {
	ctx := startBrowser(t)
	cat := providers.MustBuiltin()
	lib, err := scenario.Shipped(cat)
	if err != nil {
		t.Fatal(err)
	}
	srv, store := startServer(t, "", &scenario.Runner{Library: lib})
	v, _ := cat.Variant("roamify", "")
	rcv, err := refreceiver.New(refreceiver.Config{Variant: v, Secret: "browser-secret"})
	if err != nil {
		t.Fatal(err)
	}
	target := httptest.NewServer(rcv)
	defer target.Close()
	b, _ := json.Marshal(map[string]any{"url": target.URL, "provider": "roamify", "secret": "browser-secret"})
	resp, err := http.Post(srv.URL+"/api/endpoints", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating the endpoint: %d", resp.StatusCode)
	}

	const name = "roamify-duplicate-storm"
	row := fmt.Sprintf(`[data-scenario=%q]`, name)
	probe := "#run-probe-" + name
	do(t, ctx, "opening the scenarios", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/#/scenarios"))
	do(t, ctx, "waiting for the library", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-run=%q]`, name))))

	// A probe URL that is not http(s) is refused at its field.
	setField(t, ctx, probe, "ftp://127.0.0.1/probe")
	click(t, ctx, fmt.Sprintf(`[data-run=%q]`, name))
	until(t, ctx, "the bad probe URL is marked", fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-invalid") === "true"`, probe))

	setField(t, ctx, probe, target.URL+refreceiver.ProbePrefix)
	click(t, ctx, fmt.Sprintf(`[data-run=%q]`, name))
	until(t, ctx, "the run passes", exists(row+` .run[data-done="true"][data-outcome="passed"]`))
	status := text(t, ctx, row+" .run-status")
	if !bytes.Contains([]byte(status), []byte("Passed")) {
		t.Errorf("a passed run says %q", status)
	}
	link := fmt.Sprintf(`document.querySelector(%q)`, row+" [data-run-log]")
	runID := eval[string](t, ctx, link+`.dataset.runLog`)
	if got := eval[string](t, ctx, link+`.getAttribute("href")`); runID == "" || got != "#/log?run="+runID {
		t.Errorf("the run's Log link is %q, want #/log?run=%s", got, runID)
	}
	ids := eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((a) => a.dataset.deliveryLink)`, row+" [data-delivery-link]"))
	if len(ids) != 10 {
		t.Fatalf("the run links %d deliveries, want its ten copies", len(ids))
	}
	for _, id := range ids {
		d, err := store.GetDelivery(t.Context(), id)
		if err != nil {
			t.Errorf("linked delivery %s is not in the log: %v", id, err)
		} else if d.RunID != runID {
			t.Errorf("linked delivery %s is of run %q, want %s", id, d.RunID, runID)
		}
	}
	shot(t, ctx, "scenario-run-passed-1280", true)

	// The same run without a probe checks less: incomplete, not passed.
	setField(t, ctx, probe, "")
	click(t, ctx, fmt.Sprintf(`[data-run=%q]`, name))
	until(t, ctx, "the run is incomplete", exists(row+` .run[data-done="true"][data-outcome="incomplete"]`))
	status = text(t, ctx, row+" .run-status")
	if bytes.Contains([]byte(status), []byte("Passed")) || !bytes.Contains([]byte(status), []byte("Incomplete")) {
		t.Errorf("a run that skipped expectations says %q", status)
	}
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, row+" .expectations .tick-skip")); n == 0 {
		t.Error("the skipped expectations are not shown as skipped")
	}
	shot(t, ctx, "scenario-run-incomplete-1280", true)
}

// exists is the JavaScript condition that css matches an element.
func exists(css string) string { return fmt.Sprintf(`!!document.querySelector(%q)`, css) }
