package dashboard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// unlabelled lists the visible controls of the page without an accessible
// name (no label, text, aria-label or aria-labelledby).
const unlabelled = `[...document.querySelectorAll("a, button, input, select, textarea, [tabindex]")]
	.filter((el) => el.offsetParent !== null && el.getAttribute("tabindex") !== "-1")
	.filter((el) => {
		const name = (el.getAttribute("aria-label") || "").trim() || (el.labels && [...el.labels].map((l) => l.textContent).join("").trim())
			|| (el.getAttribute("aria-labelledby") || "").split(" ").map((id) => document.getElementById(id)?.textContent || "").join("").trim()
			|| (["A", "BUTTON"].includes(el.tagName) ? el.textContent.trim() : "")
			|| (["PRE", "CODE", "MAIN"].includes(el.tagName) ? "content" : "");
		return !name;
	})
	.map((el) => el.outerHTML.slice(0, 120))`

// noUnlabelled fails the test for each visible control without a name.
func noUnlabelled(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if bad := eval[[]string](t, ctx, unlabelled); len(bad) > 0 {
		t.Errorf("%s: controls without an accessible name: %v", where, bad)
	}
}

// TestDashboardTokenAndKeyboard checks the token paths (?token= kept out of
// the address bar, the prompt stored for the tab) and that every view is
// keyboard reachable with named controls.
func TestDashboardTokenAndKeyboard(t *testing.T) {
	ctx := startBrowser(t)
	srv, _ := startServer(t, "s3cret-token-0123456", nil)

	// ?token= is taken into sessionStorage and removed from the URL.
	do(t, ctx, "opening with ?token=", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/?token=s3cret-token-0123456#/endpoints"))
	until(t, ctx, "the page is ready with the token", `document.body.dataset.ready === "true" && document.querySelector("#live-status").dataset.state === "open"`)
	if loc := eval[string](t, ctx, `location.href`); strings.Contains(loc, "token") || !strings.HasSuffix(loc, "#/endpoints") {
		t.Errorf("the address still shows the token or lost the view: %s", loc)
	}
	if got := eval[string](t, ctx, `sessionStorage.getItem("esimhooks.token")`); got != "s3cret-token-0123456" {
		t.Errorf("sessionStorage token %q", got)
	}

	// Without it, the page asks once and goes on.
	eval[chromedp.Void](t, ctx, `sessionStorage.clear()`)
	do(t, ctx, "reloading without a token", chromedp.Navigate(srv.URL+"/#/send"), chromedp.Reload())
	do(t, ctx, "waiting for the token prompt", chromedp.WaitVisible(chromedp.CSS("#token-input")))
	do(t, ctx, "typing the token", chromedp.SendKeys(chromedp.CSS("#token-input"), "s3cret-token-0123456"+kb.Enter))
	until(t, ctx, "the page is ready after the prompt", `document.body.dataset.ready === "true" && !document.querySelector("#token-dialog").open && document.querySelector("#onboard-title")`)
	until(t, ctx, "the live stream is open with the token", `document.querySelector("#live-status").dataset.state === "open"`)

	// Keyboard: the skip link comes first, then the views' controls are named.
	do(t, ctx, "reloading", chromedp.Reload())
	until(t, ctx, "the page is ready", `document.body.dataset.ready === "true"`)
	do(t, ctx, "pressing Tab", chromedp.KeyEvent(kb.Tab))
	if cls := eval[string](t, ctx, `document.activeElement.className`); cls != "skip-link" {
		t.Errorf("the first Tab focuses %q, want the skip link", cls)
	}
	for _, view := range []string{"send", "log", "endpoints", "scenarios"} {
		do(t, ctx, "opening "+view, chromedp.Navigate(srv.URL+"/#/"+view))
		until(t, ctx, view+" is shown", `!document.querySelector("#view-`+view+`").hidden && document.querySelector("#view-`+view+` h2")`)
		noUnlabelled(t, ctx, view)
	}
	// Scenarios without a runner: the list explains, gracefully.
	until(t, ctx, "the scenarios view explains 501", `document.querySelector("#scenarios-unavailable")?.textContent.includes("without a scenario runner")`)

	// Focus is visible: a focused button draws an outline.
	do(t, ctx, "opening endpoints", chromedp.Navigate(srv.URL+"/#/endpoints"))
	do(t, ctx, "focusing a button", chromedp.WaitVisible(chromedp.CSS("#endpoint-add")), chromedp.Focus(chromedp.CSS("#endpoint-add")))
	eval[chromedp.Void](t, ctx, `document.activeElement.blur()`)
	do(t, ctx, "tabbing to the button", chromedp.Focus(chromedp.CSS(".nav a[data-view=scenarios]")), chromedp.KeyEvent(kb.Tab))
	if o := eval[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
		t.Errorf("a keyboard-focused control (%s) has no outline", eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 80)`))
	}
}
