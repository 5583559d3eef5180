package dashboard_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// searchLogSize is the log TestLogSearchesTheServer fills through the
// store: far more than a page, so that only the server can find old rows.
const searchLogSize = 20000

// TestLogSearchesTheServer opens the Log on a log of searchLogSize
// deliveries: a filter finds a delivery far older than the newest pages
// (by provider, by an ICCID in its body), a shared link to that view lists
// it again, the first paint makes one list request and no request per
// delivery, older pages load through the cursor, the endpoint filter tells
// apart endpoints that differ only in variant, and the live stream adds a
// new matching delivery at the top.
func TestLogSearchesTheServer(t *testing.T) {
	ctx := startBrowser(t)
	srv, store := startServer(t, "", nil)
	app := newReceiver(t)
	bg := t.Context()
	for _, e := range []*engine.Endpoint{
		{ID: "ep_a", URL: app.URL + "/hook", Provider: "esimfly", Source: "api", Description: "staging"},
		{ID: "ep_b", URL: app.URL + "/hook", Provider: "esimfly", Variant: "2026-09", Source: "api", Description: "staging"},
		{ID: "ep_c", URL: app.URL + "/hook", Provider: "airalo", Source: "api"},
		{ID: "ep_r", URL: app.URL + "/hook", Provider: "roamify", Source: "api"},
	} {
		e.Secret, e.CreatedAt, e.UpdatedAt = "s3cret-for-the-test-only", time.Now(), time.Now()
		if err := store.PutEndpoint(bg, e); err != nil {
			t.Fatal(err)
		}
	}
	const oldIndex = 7 // the one Roamify delivery, among the oldest
	oldID, oldICCID := fmt.Sprintf("dlv_%05d", oldIndex), fmt.Sprintf("89440000000000%05d", oldIndex)
	start := time.Now().Add(-searchLogSize * time.Second)
	for i := range searchLogSize {
		ep, provider, event := []string{"ep_a", "ep_b", "ep_c"}[i%3], []string{"esimfly", "esimfly", "airalo"}[i%3], "order.completed"
		if i == oldIndex {
			ep, provider, event = "ep_r", "roamify", "esim.activated"
		}
		d := &engine.Delivery{ID: fmt.Sprintf("dlv_%05d", i), EventID: fmt.Sprintf("evt_%05d", i), EndpointID: ep,
			Provider: provider, Event: event, WireID: fmt.Sprintf("dlv_%05d", i), State: engine.StateDelivered,
			Body:      fmt.Appendf(nil, `{"event":%q,"data":{"iccid":"89440000000000%05d","order_id":"ORD-%d"}}`, event, i, i),
			CreatedAt: start.Add(time.Duration(i) * time.Second), Attempts: 1}
		d.UpdatedAt = d.CreatedAt
		if err := store.PutDelivery(bg, d); err != nil {
			t.Fatal(err)
		}
		a := &engine.Attempt{DeliveryID: d.ID, EndpointID: ep, Provider: provider, Event: event, N: 1,
			StartedAt: d.CreatedAt, Status: 200, Latency: 3 * time.Millisecond, Success: true, Outcome: engine.StateDelivered}
		if err := store.AddAttempt(bg, a, d); err != nil {
			t.Fatal(err)
		}
	}

	// Every request the page makes, from the navigation on.
	var mu sync.Mutex
	var requests []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			if u, err := url.Parse(e.Request.URL); err == nil && strings.HasPrefix(u.Path, "/api/") {
				mu.Lock()
				requests = append(requests, u.Path+"?"+u.RawQuery)
				mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	apiRequests := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), requests...)
	}

	// First paint of a filtered Log: the old delivery, one list request.
	do(t, ctx, "opening the Log filtered on Roamify", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/#/log?provider=roamify"))
	until(t, ctx, "the old Roamify delivery is listed", fmt.Sprintf(`document.querySelectorAll("#log-rows tr[data-delivery]").length === 1 && !!document.querySelector('#log-rows tr[data-delivery=%q]')`, oldID))
	shown := eval[float64](t, ctx, `performance.now()`)
	until(t, ctx, "the stream is open", `document.querySelector("#live-status").dataset.state === "open"`)
	idle := eval[float64](t, ctx, `Math.max(...performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/") && !e.name.includes("/api/stream")).map((e) => e.responseEnd))`)
	list := eval[[]float64](t, ctx, `(() => { const e = performance.getEntriesByType("resource").find((e) => e.name.includes("/api/deliveries?")); return e ? [e.startTime, e.responseEnd] : [0, 0]; })()`)
	// What came before: the page, and its modules (the last one loaded).
	page := eval[[]float64](t, ctx, `(() => { const n = performance.getEntriesByType("navigation")[0]; const js = performance.getEntriesByType("resource").filter((e) => e.name.includes("/js/"));
		return [n.responseEnd, Math.max(...js.map((e) => e.responseEnd)), performance.getEntriesByType("resource").find((e) => e.name.endsWith("/js/prefetch.js"))?.responseEnd ?? 0]; })()`)
	var lists, perDelivery, others []string
	for _, r := range apiRequests() {
		switch {
		case strings.HasPrefix(r, "/api/deliveries?"):
			lists = append(lists, r)
		case strings.HasPrefix(r, "/api/deliveries/"):
			perDelivery = append(perDelivery, r)
		default:
			others = append(others, r)
		}
	}
	if len(lists) != 1 || !strings.Contains(lists[0], "provider=roamify") || len(perDelivery) != 0 {
		t.Errorf("first paint of the Log made list requests %v and per-delivery requests %v; want one list request, filtered", lists, perDelivery)
	}
	checkShell(t, "#/log?provider=roamify", others)
	t.Logf("first paint of #/log?provider=roamify on %d deliveries: the page loaded at %.0f ms, prefetch.js at %.0f ms, the last module at %.0f ms; the list asked at %.0f ms, answered at %.0f ms; rows shown by %.0f ms; last API answer at %.0f ms; requests: %v, plus %v",
		searchLogSize, page[0], page[2], page[1], list[0], list[1], shown, idle, lists, others)
	if txt := text(t, ctx, "#log-count"); !strings.Contains(txt, "1 matching delivery") {
		t.Errorf("count reads %q", txt)
	}
	if eval[bool](t, ctx, `document.querySelector("#log-main, main").innerText.includes("narrow the filters")`) {
		t.Errorf("the Log still tells the user to narrow the filters")
	}

	// Each view, opened first, asks for its own data only: one request,
	// beside the shell's catalogue, endpoints and stream.
	for _, v := range []struct{ hash, ready, want string }{
		{"#/log", `document.querySelectorAll("#log-rows tr[data-delivery]").length === 100`, "/api/deliveries?limit=100"},
		{"#/send", `/validity-(ok|neutral)/.test(document.querySelector("#send-validity").className)`, "/api/providers/"},
		{"#/endpoints", `document.querySelector('[data-endpoint="ep_a"] [data-stat="deliveries"]')?.textContent === "100"`, "/api/endpoints?stats=true"},
		{"#/scenarios", `performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/scenarios") && e.responseEnd > 0)`, "/api/scenarios?"},
	} {
		from := len(apiRequests())
		do(t, ctx, "opening "+v.hash, chromedp.Navigate("about:blank"), chromedp.Navigate(srv.URL+"/"+v.hash))
		until(t, ctx, v.hash+" shows its data", `document.body.dataset.ready === "true" && document.querySelector("#live-status").dataset.state === "open" && `+v.ready)
		var own, shell []string
		for _, r := range apiRequests()[from:] {
			if r == "/api/providers?" || r == "/api/endpoints?" || strings.HasPrefix(r, "/api/stream?") {
				shell = append(shell, r)
			} else {
				own = append(own, r)
			}
		}
		checkShell(t, v.hash, shell)
		if len(own) != 1 || !strings.HasPrefix(own[0], v.want) {
			t.Errorf("opening %s made the requests %v besides the shell's; want one, %s…", v.hash, own, v.want)
		}
		t.Logf("opening %s: %v, plus the shell's %v", v.hash, own, shell)
	}
	do(t, ctx, "opening the Log filtered on Roamify again", chromedp.Navigate("about:blank"), chromedp.Navigate(srv.URL+"/#/log?provider=roamify"))
	until(t, ctx, "the old Roamify delivery is listed", fmt.Sprintf(`document.querySelectorAll("#log-rows tr[data-delivery]").length === 1 && !!document.querySelector('#log-rows tr[data-delivery=%q]')`, oldID))

	// Search by the ICCID in its body; the shared link lists it again.
	setField(t, ctx, "#log-provider", "")
	setField(t, ctx, "#log-q", oldICCID)
	until(t, ctx, "the ICCID search finds the old delivery", fmt.Sprintf(`location.hash.includes("q=%s") && document.querySelectorAll("#log-rows tr[data-delivery]").length === 1 && !!document.querySelector('#log-rows tr[data-delivery=%q]')`, oldICCID, oldID))
	shared := eval[string](t, ctx, `location.href`)
	do(t, ctx, "opening the shared link in a new page", chromedp.Navigate("about:blank"), chromedp.Navigate(shared))
	until(t, ctx, "the shared link lists the old delivery", fmt.Sprintf(`document.body.dataset.ready === "true" && document.querySelector("#log-q").value === %q && document.querySelectorAll("#log-rows tr[data-delivery]").length === 1 && !!document.querySelector('#log-rows tr[data-delivery=%q]')`, oldICCID, oldID))
	click(t, ctx, fmt.Sprintf(`#log-rows tr[data-delivery=%q] .c-event a`, oldID))
	until(t, ctx, "the old delivery opens", `document.querySelector("#detail-title")?.textContent === "esim.activated"`)

	// A filter matching nothing says so, truthfully.
	do(t, ctx, "opening a view that matches nothing", chromedp.Navigate(srv.URL+"/#/log?provider=roamify&outcome=failed"))
	until(t, ctx, "the empty state shows", `!document.querySelector("#log-empty").hidden && document.querySelector("#log-empty").textContent.includes("No delivery matches these filters")`)

	// The whole log, page by page through the cursor.
	do(t, ctx, "opening the whole Log", chromedp.Navigate(srv.URL+"/#/log"))
	until(t, ctx, "the first page shows", `document.querySelectorAll("#log-rows tr[data-delivery]").length === 100 && !!document.querySelector("#log-older")`)
	click(t, ctx, "#log-older")
	until(t, ctx, "the second page follows", `document.querySelectorAll("#log-rows tr[data-delivery]").length === 200`)
	ids := eval[[]string](t, ctx, `[...document.querySelectorAll("#log-rows tr[data-delivery]")].map((tr) => tr.dataset.delivery)`)
	for i, id := range ids {
		if want := fmt.Sprintf("dlv_%05d", searchLogSize-1-i); id != want {
			t.Fatalf("row %d is %s, want %s (newest first, no gap or repeat across pages)", i, id, want)
		}
	}
	if got := eval[string](t, ctx, `document.querySelector("#log-rows tr .c-status").textContent + "|" + document.querySelector("#log-rows tr .c-attempt").textContent`); got != "200|1" {
		t.Errorf("a row's latest status and attempts read %q, want 200|1", got)
	}

	// Endpoints differing only in variant read apart in the filter.
	labels := eval[[]string](t, ctx, `[...document.querySelectorAll("#log-endpoint option")].map((o) => o.textContent)`)
	var a, b string
	for _, l := range labels {
		if strings.Contains(l, "esimfly@default") {
			a = l
		}
		if strings.Contains(l, "esimfly@2026-09") {
			b = l
		}
	}
	if a == "" || b == "" || a == b {
		t.Errorf("endpoint filter options %q do not tell esimfly@default from esimfly@2026-09", labels)
	}

	// The stream adds a new matching delivery at the top of a filtered view.
	do(t, ctx, "opening the eSIMfly 2026-09 endpoint's deliveries", chromedp.Navigate(srv.URL+"/#/log?endpoint=ep_b"))
	until(t, ctx, "its deliveries show", `document.querySelectorAll("#log-rows tr[data-delivery]").length === 100 && document.querySelector("#live-status").dataset.state === "open"`)
	res, err := srv.Engine().Trigger(bg, engine.Trigger{Provider: "esimfly", Variant: "2026-09", Event: "order.completed", EndpointIDs: []string{"ep_b"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deliveries) != 1 {
		t.Fatalf("the trigger made %d deliveries, want 1", len(res.Deliveries))
	}
	app.next(t, "/hook")
	until(t, ctx, "the new delivery is prepended", fmt.Sprintf(`document.querySelectorAll("#log-rows tr[data-delivery]").length === 101 && document.querySelector("#log-rows tr").dataset.delivery === %q`, res.Deliveries[0].ID))
	// A view filtered by scenario run gets the run's new delivery live
	// (the stream names each attempt's run), and not the others'.
	do(t, ctx, "opening a scenario run's deliveries", chromedp.Navigate(srv.URL+"/#/log?run_id=run_live"))
	until(t, ctx, "the empty run view is live", `!document.querySelector("#log-empty").hidden && document.querySelector("#log-empty").textContent.includes("No delivery matches") && document.querySelector("#live-status").dataset.state === "open"`)
	ep, err := store.GetEndpoint(bg, "ep_b")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := srv.Engine().Send(bg, engine.SendRequest{Endpoint: ep, Delivery: sampleDelivery(t, srv, "esimfly", "2026-09", "order.completed"), RunID: "run_other"})
	if err != nil {
		t.Fatal(err)
	}
	mine, _, err := srv.Engine().Send(bg, engine.SendRequest{Endpoint: ep, Delivery: sampleDelivery(t, srv, "esimfly", "2026-09", "order.completed"), RunID: "run_live"})
	if err != nil {
		t.Fatal(err)
	}
	until(t, ctx, "the run's delivery shows, alone", fmt.Sprintf(`document.querySelectorAll("#log-rows tr[data-delivery]").length === 1 && !!document.querySelector('#log-rows tr[data-delivery=%q]')`, mine.ID))
	if eval[bool](t, ctx, fmt.Sprintf(`!!document.querySelector('#log-rows tr[data-delivery=%q]')`, other.ID)) {
		t.Errorf("another run's delivery %s joined the view of run_live", other.ID)
	}
}

// sampleDelivery generates an event of provider's variant as the mock
// would send it, for a delivery the test sends through the engine.
func sampleDelivery(t *testing.T, srv *mockserver.Server, provider, variant, event string) *providers.Delivery {
	t.Helper()
	v, err := srv.Engine().Catalogue().Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := v.Event(event)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ev.Generate(payload.NewWorld(7, payload.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	pd, err := v.NewDelivery(ev, p, "wire-"+event)
	if err != nil {
		t.Fatal(err)
	}
	return pd
}

// checkShell fails t unless shell, the requests a view's first paint made
// besides its own, are the page's: the catalogue and the endpoints, each
// once (every view reads them), and the stream.
func checkShell(t *testing.T, view string, shell []string) {
	t.Helper()
	count := map[string]int{}
	for _, r := range shell {
		if strings.HasPrefix(r, "/api/stream?") {
			r = "/api/stream?"
		}
		count[r]++
	}
	want := map[string]int{"/api/providers?": 1, "/api/endpoints?": 1, "/api/stream?": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("opening %s made the shell's requests %v; want the catalogue, the endpoints and the stream once each", view, shell)
	}
}
