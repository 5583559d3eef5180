package dashboard_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/providers/signing"
)

// TestDashboardFirstRun walks the path the dashboard is designed for, in a
// real browser: open the page, add the app's webhook URL, send a signed
// order.completed, see the attempt and the app's answer live, open the
// exact request and response, resend it, send an event out of order, fix
// a schema error at its line, retry a failing delivery now, restore a
// shared filtered view, and run a scenario; at 1280 px and 390 px.
func TestDashboardFirstRun(t *testing.T) {
	ctx := startBrowser(t)
	app := newReceiver(t)
	runner := &fakeScenarios{}
	srv, store := startServer(t, "", runner)
	runner.mu.Lock()
	runner.srv, runner.store = srv, store
	runner.mu.Unlock()
	hookURL := app.URL + "/webhooks/esimfly"

	// The empty state asks for the app's webhook URL.
	do(t, ctx, "opening the dashboard", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/"))
	until(t, ctx, "the page is ready", `document.body.dataset.ready === "true"`)
	if got := text(t, ctx, "#onboard-title"); got != "Add your app's webhook URL" {
		t.Fatalf("empty state title %q", got)
	}
	if live := eval[string](t, ctx, `document.querySelector("#log-live, #announcer")?.getAttribute("aria-live") ?? ""`); live != "polite" {
		t.Errorf("no polite live region for the log (aria-live %q)", live)
	}
	until(t, ctx, "the live stream is open", `document.querySelector("#live-status").dataset.state === "open"`)
	shot(t, ctx, "send-empty-1280", true)
	do(t, ctx, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the first-run page is %d px wide at 390 px", w)
	}
	shot(t, ctx, "send-empty-390", false)
	do(t, ctx, "back to a laptop", chromedp.EmulateViewport(1280, 900))

	// One form: URL and provider (esimfly is preselected for a first run).
	do(t, ctx, "typing the webhook URL", chromedp.WaitVisible(chromedp.CSS("#onboard-url")), chromedp.SendKeys(chromedp.CSS("#onboard-url"), hookURL))
	if p := eval[string](t, ctx, `document.querySelector("#onboard-provider").value`); p != "esimfly" {
		t.Errorf("first-run provider %q, want esimfly", p)
	}
	click(t, ctx, "#onboard form button[type=submit]")
	until(t, ctx, "the secret is shown once", `document.querySelector(".notice-secret .secret")?.textContent.length > 8`)
	secret := strings.TrimSpace(text(t, ctx, ".notice-secret .secret"))
	if !strings.Contains(text(t, ctx, ".notice-secret"), "X-eSIMfly-Signature") {
		t.Errorf("the secret notice does not name the signature header")
	}

	// The send form is ready: order.completed, generated and valid.
	until(t, ctx, "the payload is generated and valid", `document.querySelector("#send-validity").classList.contains("validity-ok")`)
	if ev := eval[string](t, ctx, `document.querySelector("#send-event").value`); ev != "order.completed" {
		t.Errorf("default event %q, want order.completed", ev)
	}
	// The default eSIMfly variant's note: the page was removed; 2026-09 is current.
	if note := text(t, ctx, "#send-event-info"); !strings.Contains(note, "2025-11-16") || !strings.Contains(note, "Use 2026-09 for new integrations") {
		t.Errorf("the send form does not say that eSIMfly removed 2025-01 and recommends 2026-09: %q", note)
	}
	seed := eval[string](t, ctx, `document.querySelector("#send-seed").value`)
	click(t, ctx, "#send-button")
	got := app.next(t, "/webhooks/esimfly")
	verifier, err := signing.NewESIMfly(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(got.Header, got.Body); err != nil {
		t.Errorf("the delivery does not verify with the secret the page showed: %v", err)
	}
	if !strings.Contains(string(got.Body), `"order.completed"`) {
		t.Errorf("the app got %s, want an order.completed", got.Body)
	}
	until(t, ctx, "the app's answer shows", `[...document.querySelectorAll("#answers .delivery-card")].some((c) => c.textContent.includes("Your app answered 200") && c.textContent.includes("handled_by"))`)

	// Out of order: esim.activated first, then order.completed, one order.
	click(t, ctx, "#send-pair")
	first := app.next(t, "/webhooks/esimfly")
	second := app.next(t, "/webhooks/esimfly")
	if !strings.Contains(string(first.Body), "esim.activated") || !strings.Contains(string(second.Body), "order.completed") {
		t.Errorf("out-of-order pair arrived as %.60s… then %.60s…", first.Body, second.Body)
	}
	until(t, ctx, "both answers show", `document.querySelectorAll("#answers .answer").length >= 3 && [...document.querySelectorAll("#answers .answer")].slice(0, 2).every((a) => a.textContent.includes("Your app answered 200"))`)
	if s := eval[string](t, ctx, `document.querySelector("#send-seed").value`); s != seed {
		t.Errorf("the order seed changed from %s to %s between sends", seed, s)
	}
	do(t, ctx, "scrolling to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shot(t, ctx, "send-1280", true)

	// A schema violation is marked at its line; JSON syntax too.
	eval[chromedp.Void](t, ctx, `(() => { const ta = document.querySelector("#send-payload");
		ta.value = ta.value.replace(/"event": "order.completed"/, '"event": 42');
		ta.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	until(t, ctx, "the violation is listed with its line", `[...document.querySelectorAll(".code-problems li")].some((li) => /Line \d+/.test(li.textContent) && li.textContent.includes("/event"))`)
	line := eval[int](t, ctx, `Number(document.querySelector(".code-problems li button").textContent.replace("Line ", ""))`)
	wantLine := eval[int](t, ctx, `document.querySelector("#send-payload").value.split("\n").findIndex((l) => l.includes('"event": 42')) + 1`)
	if line != wantLine || !eval[bool](t, ctx, fmt.Sprintf(`document.querySelectorAll(".code-gutter div")[%d].classList.contains("bad")`, wantLine-1)) {
		t.Errorf("violation marked at line %d, want line %d marked in the gutter", line, wantLine)
	}
	click(t, ctx, "#send-button")
	until(t, ctx, "sending an invalid payload asks first", `!document.querySelector("#send-anyway").hidden`)
	eval[chromedp.Void](t, ctx, `(() => { const ta = document.querySelector("#send-payload"); ta.value = ta.value + ",";
		ta.dispatchEvent(new Event("input", {bubbles: true})); })()`)
	until(t, ctx, "a syntax error is marked", `document.querySelector("#send-validity").textContent.includes("Not valid JSON") && document.querySelectorAll(".code-problems li").length === 1`)
	click(t, ctx, "#send-reset")
	until(t, ctx, "the reset payload is valid again", `document.querySelector("#send-validity").classList.contains("validity-ok")`)

	// The log shows every attempt live; open the first order.completed.
	click(t, ctx, `.nav a[data-view="log"]`)
	until(t, ctx, "the log lists the attempts", `document.querySelectorAll("#log-rows tr[data-delivery]").length >= 3`)
	shot(t, ctx, "log-1280", true)
	click(t, ctx, `#log-rows tr:last-child .c-event a`)
	until(t, ctx, "the request headers show", `document.querySelector("#request-headers")?.textContent.includes("X-Esimfly-Signature") || document.querySelector("#request-headers")?.textContent.toLowerCase().includes("x-esimfly-signature")`)
	if !strings.Contains(text(t, ctx, "#request-headers tr.sig"), "signature") {
		t.Errorf("the signature header is not highlighted")
	}
	if b := text(t, ctx, "#request-body"); !strings.Contains(b, "\n  ") || !strings.Contains(b, "order.completed") {
		t.Errorf("the body is not pretty-printed: %.80q", b)
	}
	if b := text(t, ctx, "#response-body"); !strings.Contains(b, `"handled_by": "test app"`) {
		t.Errorf("the response body shows %q", b)
	}
	click(t, ctx, `.segmented button:nth-child(2)`)
	until(t, ctx, "the raw body shows the exact bytes", `!document.querySelector("#request-body").textContent.includes("\n")`)
	if raw := text(t, ctx, "#request-body"); raw != string(got.Body) {
		t.Errorf("the raw body differs from what the app received:\n%s\n%s", raw, got.Body)
	}
	deliveryHash := eval[string](t, ctx, `location.hash`)
	shot(t, ctx, "delivery-1280", true)

	// Resend: same body, a new delivery that opens.
	click(t, ctx, "#detail-resend")
	again := app.next(t, "/webhooks/esimfly")
	if string(again.Body) != string(got.Body) {
		t.Errorf("the resend's body differs from the original")
	}
	until(t, ctx, "the resend opens", `document.querySelector(".facts")?.textContent.includes("Resend of") && document.querySelector("#response-body")`)

	// A shared delivery URL restores the delivery; a filtered view its filters.
	do(t, ctx, "opening a shared delivery link", chromedp.Navigate(srv.URL+"/"+deliveryHash))
	noUnlabelled(t, ctx, "the delivery")
	until(t, ctx, "the shared delivery opens", `document.querySelector("#detail-title")?.textContent === "order.completed" && !document.querySelector(".facts").textContent.includes("Resend of")`)
	do(t, ctx, "opening a filtered view", chromedp.Navigate(srv.URL+"/#/log?event=esim.activated&outcome=delivered"))
	until(t, ctx, "the filters are restored", `document.body.dataset.ready === "true" && document.querySelector("#log-event").value === "esim.activated" && document.querySelector("#log-outcome").value === "delivered"`)
	until(t, ctx, "only matching rows show", `document.querySelectorAll("#log-rows tr[data-delivery]").length === 1`)

	// Retry now on a delivery that failed and waits for its next attempt
	// (Roamify's, a minute later).
	do(t, ctx, "opening the endpoints", chromedp.Navigate(srv.URL+"/#/endpoints"))
	click(t, ctx, "#endpoint-add")
	do(t, ctx, "typing the failing URL", chromedp.WaitVisible(chromedp.CSS("#new-url")), chromedp.SendKeys(chromedp.CSS("#new-url"), app.URL+"/fail"))
	setField(t, ctx, "#new-provider", "roamify") // retries after 1 min: time to press Retry now
	click(t, ctx, "#endpoint-add-form button[type=submit]")
	until(t, ctx, "the new endpoint shows its secret", `document.querySelectorAll(".endpoint-card").length === 2 && document.querySelector(".endpoint-card .notice-secret")`)
	click(t, ctx, `.endpoint-card:first-child [data-action="send"]`)
	until(t, ctx, "the send form targets the failing endpoint", `document.querySelector("#send-endpoint").selectedOptions[0]?.textContent.endsWith("/fail") && document.querySelector("#send-validity").classList.contains("validity-ok")`)
	click(t, ctx, "#send-button")
	app.next(t, "/fail")
	until(t, ctx, "the failure and the coming retry show", `[...document.querySelectorAll("#answers .delivery-card")].some((c) => c.textContent.includes("Your app answered 500") && c.textContent.includes("Retry in"))`)
	click(t, ctx, `#answers .answer:first-child .delivery-card a`)
	until(t, ctx, "the pending delivery offers Retry now", `document.querySelector("#detail-retry")`)
	click(t, ctx, "#detail-retry")
	app.next(t, "/fail")
	until(t, ctx, "the second attempt shows", `document.querySelector("#attempt-tab-2")`)

	// Endpoint statistics.
	do(t, ctx, "opening the endpoints", chromedp.Navigate(srv.URL+"/#/endpoints"))
	until(t, ctx, "the stats show", `[...document.querySelectorAll('[data-stat="rate"]')].map((e) => e.textContent).sort().join() === "0 %,100 %" && [...document.querySelectorAll('[data-stat="p50"]')].every((e) => e.textContent.endsWith("ms"))`)
	shot(t, ctx, "endpoints-1280", true)
	noUnlabelled(t, ctx, "endpoints")

	// Edit an endpoint; rotate a secret (shown once, new).
	click(t, ctx, `.endpoint-card:last-child [data-action="edit"]`)
	do(t, ctx, "describing the endpoint", chromedp.WaitVisible(chromedp.CSS(`.endpoint-card:last-child input[id$="-desc"]`)),
		chromedp.SendKeys(chromedp.CSS(`.endpoint-card:last-child input[id$="-desc"]`), "My local app"))
	noUnlabelled(t, ctx, "the endpoint form")
	click(t, ctx, `.endpoint-card:last-child form button[type=submit]`)
	until(t, ctx, "the description shows", `document.querySelector(".endpoint-card:last-child").textContent.includes("My local app") && !document.querySelector(".endpoint-card:last-child form")`)
	oldSecret := text(t, ctx, ".endpoint-card:first-child .secret")
	click(t, ctx, `.endpoint-card:first-child [data-action="rotate"]`)
	until(t, ctx, "the rotated secret shows", fmt.Sprintf(`(document.querySelector(".endpoint-card:first-child .secret")?.textContent || %[1]q) !== %[1]q`, oldSecret))

	// A scenario runs against the endpoint and ticks off its deliveries; a
	// skipped final expectation makes it incomplete, not passed.
	click(t, ctx, `.nav a[data-view="scenarios"]`)
	do(t, ctx, "waiting for the library", chromedp.WaitVisible(chromedp.CSS(`[data-run="esimfly-out-of-order"]`)))
	if n := eval[int](t, ctx, `document.querySelector("#run-ep-esimfly-out-of-order").options.length`); n != 1 {
		t.Errorf("the scenario offers %d endpoints, want the one eSIMfly endpoint (not Roamify's)", n)
	}
	click(t, ctx, `[data-run="esimfly-out-of-order"]`)
	app.next(t, "/webhooks/esimfly")
	until(t, ctx, "the run's steps and expectations tick off", `document.querySelector(".run")?.dataset.done === "true" && document.querySelector(".run-status").textContent.includes("Incomplete") && document.querySelectorAll(".run .step").length === 3 && document.querySelectorAll(".run .expectations .tick-ok").length === 2 && document.querySelectorAll(".run .expectations .tick-skip").length === 1`)
	shot(t, ctx, "scenarios-1280", true)
	if eval[bool](t, ctx, `!!document.querySelector('[data-scenario="airalo-lost-ack"]')`) {
		t.Errorf("an Airalo scenario is listed under 'For your endpoints' without an Airalo endpoint")
	}
	setField(t, ctx, "#scenario-filter", "all")
	until(t, ctx, "all scenarios show, with a way to add the missing endpoint", `document.querySelector('[data-scenario="airalo-lost-ack"] a[href*="add=airalo"]') && location.hash.includes("show=all")`)

	// The narrow screen: every view fits 390 px without sideways scrolling.
	do(t, ctx, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, v := range []struct{ hash, ready, name string }{
		{"#/send", `document.querySelector("#send-validity").classList.contains("validity-ok") && document.querySelector("#answers-empty")`, "send-390"},
		{"#/log", `document.querySelectorAll("#log-rows tr[data-delivery]").length >= 5`, "log-390"},
		{deliveryHash, `document.querySelector("#response-body")`, "delivery-390"},
		{"#/endpoints", `document.querySelectorAll('[data-stat="rate"]').length === 2 && [...document.querySelectorAll('[data-stat="rate"]')].every((e) => e.textContent !== "—")`, "endpoints-390"},
	} {
		do(t, ctx, "opening "+v.hash, chromedp.Navigate(srv.URL+"/"+v.hash), chromedp.Reload())
		until(t, ctx, v.hash+" is ready", `document.body.dataset.ready === "true" && `+v.ready)
		if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s is %d px wide at 390 px", v.hash, w)
		}
		shot(t, ctx, v.name, false)
	}

	// Remove an endpoint, after confirming.
	do(t, ctx, "opening the endpoints", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/#/endpoints"))
	click(t, ctx, `.endpoint-card:first-child [data-action="remove"]`)
	if f := eval[string](t, ctx, `document.activeElement.dataset.action`); f != "cancel-remove" {
		t.Errorf("after Remove the focus is on %q, want the safe choice", f)
	}
	click(t, ctx, `.endpoint-card:first-child [data-action="confirm-remove"]`)
	until(t, ctx, "one endpoint is left", `document.querySelectorAll(".endpoint-card").length === 1`)
}
