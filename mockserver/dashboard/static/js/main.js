// Boots the dashboard: the token, the catalogue and endpoints, the live
// stream, and the hash router that shows one view at a time.

import { ApiError, initToken, onUnauthorized, setToken, token } from "./api.js";
import { initDetail, showDetail } from "./detail.js";
import { byId, h, replace } from "./dom.js";
import { initEndpoints } from "./endpoints.js";
import { initLog } from "./log.js";
import { current, go, href, views } from "./route.js";
import { initScenarios } from "./scenarios.js";
import { initSend } from "./send.js";
import { follow } from "./sse.js";
import { applyAttempt, loadHistory, loadLog, loadShell, logFilters, store } from "./store.js";

initToken();
onUnauthorized(askForToken);

const send = initSend();
const log = initLog();
initDetail(log.detailEl);
const endpoints = initEndpoints();
const scenarios = initScenarios();

window.addEventListener("hashchange", route);
boot();

async function boot() {
  // A Log link asks for its list at once, beside the catalogue and the
  // endpoints, rather than after them (the view's own request then finds
  // it under way). The shell asks for the catalogue and the endpoints
  // together, once: every view reads them (filters, labels, forms). Each
  // view asks for its own data only when it is shown.
  const first = current();
  if (first.view === "log") loadLog(logFilters(first.params));
  try {
    await loadShell();
  } catch (err) {
    fatal(err);
    return;
  }
  route();
  live();
  document.body.dataset.ready = "true";
}

/** Shows the view the hash names (Send when there is nothing, or Log for a delivery). */
function route() {
  const r = current();
  let view = r.view;
  if (!view) {
    go(href("send"), true);
    return;
  }
  for (const v of views) {
    byId(`view-${v}`).hidden = v !== view;
    const link = document.querySelector(`.nav a[data-view="${v}"]`);
    if (v === view) link?.setAttribute("aria-current", "page");
    else link?.removeAttribute("aria-current");
  }
  const titles = { send: "Send", log: r.id ? "Delivery" : "Log", endpoints: "Endpoints", scenarios: "Scenarios" };
  document.title = `${titles[view]} · esimhooks`;
  if (view === "send") send.show(r.params);
  if (view === "log") {
    log.show(r);
    if (r.id) showDetail(r.id, Number(r.params.attempt) || 0, logFilters(r.params));
  }
  if (view === "endpoints") endpoints.show(r.params);
  if (view === "scenarios") scenarios.show(r.params);
}

/** Follows the live stream; catches up from the list after each reconnection. */
function live() {
  const pill = byId("live-status");
  const text = pill.querySelector(".live-text");
  let opened = 0;
  const start = () => follow("/api/stream", {
    onEvent: (type, data) => {
      if (type === "attempt" && data && typeof data === "object") applyAttempt(data);
    },
    onState: (s) => {
      pill.dataset.state = s;
      text.textContent = s === "open" ? "Live" : s === "connecting" ? "Connecting…" : "Reconnecting…";
      // The Log's list, once the Log was opened, catches up on what the
      // stream missed while it was down.
      if (s === "open" && opened++ > 0 && store.log.key !== null) loadHistory(true).catch(() => {});
    },
  });
  // A page left for another (kept in the back-forward cache) lets its
  // stream go: the browser's few connections per server are not held by
  // pages no one sees. Coming back follows it again and catches up.
  let stop = start();
  window.addEventListener("pagehide", () => {
    stop?.();
    stop = null;
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted && !stop) stop = start();
  });
}

/** Asks for the server's token in the page's dialog; resolves once stored. */
function askForToken(reason) {
  const dlg = byId("token-dialog");
  const input = byId("token-input");
  byId("token-reason").textContent = reason;
  input.value = token();
  return new Promise((resolve) => {
    const done = (e) => {
      e.preventDefault();
      if (!input.value.trim()) {
        input.focus();
        return;
      }
      setToken(input.value.trim());
      dlg.close();
      byId("token-form").removeEventListener("submit", done);
      resolve();
    };
    byId("token-form").addEventListener("submit", done);
    // Without a token nothing works, so Escape does not dismiss the question.
    dlg.addEventListener("cancel", (e) => e.preventDefault(), { once: true });
    if (!dlg.open) dlg.showModal();
    input.focus();
  });
}

function fatal(err) {
  const main = byId("main");
  replace(main, h("section", { class: "card fatal", role: "alert" },
    h("h2", { class: "card-title" }, "The mock server does not answer"),
    h("p", {}, err instanceof ApiError ? err.describe() : String(err)),
    h("p", {}, "Start it with ", h("code", {}, "go run ./cmd/esimhooks serve"), " and reload this page.")));
}
