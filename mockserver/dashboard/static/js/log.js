// The Log view: every attempt as it happens, filterable by provider,
// event, endpoint and outcome (the filters live in the URL), with one
// delivery open beside the list.

import { byId, copyText, fmtMs, fmtTime, h, replace, setOptions, stateBadge, statusBadge } from "./dom.js";
import { absolute, go, href } from "./route.js";
import { endpointLabel, on, store } from "./store.js";

const maxRows = 300;
const filterKeys = ["provider", "event", "endpoint", "outcome"];

let els;
let filters = {};
let selected = { id: "", n: 0 };
let fresh = new Set();

/** Builds the Log view inside its section. */
export function initLog() {
  const sel = (id) => h("select", { id, class: "input input-small" });
  const f = { provider: sel("log-provider"), event: sel("log-event"), endpoint: sel("log-endpoint"), outcome: sel("log-outcome") };
  const lbl = (text, el) => h("div", { class: "field filter" }, h("label", { for: el.id, text }), el);
  const clear = h("button", { type: "button", class: "btn btn-quiet", id: "log-clear" }, "Clear filters");
  const copy = h("button", { type: "button", class: "btn btn-small", id: "log-copy-link" }, "Copy link to this view");
  const count = h("span", { class: "muted small", id: "log-count" });
  const tbody = h("tbody", { id: "log-rows" });
  const table = h("table", { class: "log-table", id: "log-table" },
    h("caption", { class: "sr-only" }, "Delivery attempts, newest first"),
    h("thead", {}, h("tr", {}, ...["Time", "Provider", "Event", "Endpoint", "Attempt", "Status", "Latency", "Outcome"].map((t) => h("th", { scope: "col", class: `c-${t.toLowerCase()}`, text: t })))),
    tbody);
  const empty = h("div", { class: "empty", id: "log-empty", hidden: true });
  const live = h("p", { class: "sr-only", id: "log-live", role: "log", "aria-live": "polite" });

  const main = h("div", { class: "card log-main" },
    h("div", { class: "card-head" }, h("h2", { class: "card-title", id: "log-title" }, "Delivery log"), count, copy),
    h("form", { class: "filters", role: "search", "aria-label": "Filter the log" },
      lbl("Provider", f.provider), lbl("Event", f.event), lbl("Endpoint", f.endpoint), lbl("Outcome", f.outcome), clear),
    live,
    h("div", { class: "table-wrap" }, table),
    empty);
  const detail = h("div", { class: "log-detail", id: "log-detail", hidden: true });
  const layout = h("div", { class: "log-layout", id: "log-layout" }, main, detail);
  replace(byId("log-body"), layout);
  els = { f, tbody, table, empty, count, live, layout, detail, main };

  for (const k of filterKeys) {
    f[k].addEventListener("change", () => {
      filters[k] = f[k].value;
      go(href("log", { ...filters, attempt: undefined }, selected.id), true);
    });
  }
  clear.addEventListener("click", () => {
    filters = {};
    go(href("log", {}, selected.id), true);
  });
  copy.addEventListener("click", (e) => copyText(absolute(href("log", filters)), e.currentTarget));
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-delivery]");
    if (!tr || e.target.closest("a")) return;
    go(href("log", { ...filters, attempt: tr.dataset.attempt }, tr.dataset.delivery));
  });

  let pending = false;
  const soon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  };
  on("log", soon);
  on("endpoints", soon);
  on("catalogue", soon);

  let heard = [];
  let speakTimer = null;
  on("attempt", (a) => {
    fresh.add(`${a.delivery_id}#${a.n}`);
    heard.push(a);
    clearTimeout(speakTimer);
    speakTimer = setTimeout(() => {
      const last = heard[heard.length - 1];
      const msg = `${heard.length > 1 ? `${heard.length} new attempts; latest: ` : "New attempt: "}${last.event} to ${endpointLabel(last.endpoint_id)}, ${last.status || last.error_kind || "no answer"}, ${last.outcome}.`;
      heard = [];
      live.textContent = msg;
    }, 1200);
  });

  return {
    /** Applies the route: filters from params, the open delivery from id. */
    show(route) {
      filters = Object.fromEntries(filterKeys.map((k) => [k, route.params[k] || ""]));
      selected = { id: route.id, n: Number(route.params.attempt) || 0 };
      layout.classList.toggle("has-detail", !!route.id);
      detail.hidden = !route.id;
      render();
    },
    detailEl: detail,
  };
}

/** The rows: each known attempt, plus a row for each delivery without one. */
function rows() {
  const byDelivery = new Map();
  for (const a of store.attempts.values()) {
    if (!byDelivery.has(a.delivery_id)) byDelivery.set(a.delivery_id, []);
    byDelivery.get(a.delivery_id).push(a);
  }
  const out = [];
  for (const d of store.deliveries.values()) {
    const atts = byDelivery.get(d.id) || [];
    const base = { id: d.id, provider: d.provider, event: d.event, endpoint_id: d.endpoint_id, of: d.attempts };
    for (const a of atts) {
      out.push({ ...base, n: a.n, time: a.started_at, status: a.status, latency: a.latency_ms, outcome: a.outcome,
        success: a.success, error_kind: a.error_kind });
    }
    if (!atts.length) {
      out.push({ ...base, n: d.attempts || 0, time: d.created_at, status: undefined, latency: undefined, outcome: d.state, summary: true });
    }
  }
  for (const a of store.attempts.values()) {
    if (!store.deliveries.has(a.delivery_id)) {
      out.push({ id: a.delivery_id, provider: a.provider, event: a.event, endpoint_id: a.endpoint_id, n: a.n, time: a.started_at,
        status: a.status, latency: a.latency_ms, outcome: a.outcome, success: a.success, error_kind: a.error_kind });
    }
  }
  out.sort((x, y) => (y.time || "").localeCompare(x.time || "") || y.n - x.n);
  return out;
}

function matches(r) {
  return (!filters.provider || r.provider === filters.provider) && (!filters.event || r.event === filters.event) &&
    (!filters.endpoint || r.endpoint_id === filters.endpoint) && (!filters.outcome || r.outcome === filters.outcome);
}

function render() {
  if (!els) return;
  const all = rows();
  fillFilters(all);
  const shown = all.filter(matches);
  const limited = shown.slice(0, maxRows);
  els.count.textContent = shown.length === all.length ? `${all.length} attempt${all.length === 1 ? "" : "s"}` : `${shown.length} of ${all.length} attempts`;
  // Live rows replace the old ones: keep keyboard focus on the same link.
  const focused = els.tbody.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset : null;
  const focusKey = focused ? `${focused.delivery}#${focused.attempt}` : "";
  replace(els.tbody, ...limited.map(row));
  if (focusKey) {
    const tr = [...els.tbody.rows].find((t) => `${t.dataset.delivery}#${t.dataset.attempt}` === focusKey);
    tr?.querySelector("a")?.focus({ preventScroll: true });
  }
  fresh = new Set();
  const filtered = filterKeys.some((k) => filters[k]);
  els.empty.hidden = limited.length > 0;
  els.table.hidden = limited.length === 0;
  if (!limited.length) {
    replace(els.empty,
      h("p", { class: "empty-title" }, filtered ? "No attempt matches these filters" : store.historyLoaded ? "No deliveries yet" : "Loading…"),
      filtered ? h("p", {}, "Clear a filter, or wait: matching attempts appear here as they happen.")
        : h("p", {}, "Attempts appear here live as the mock delivers. ", h("a", { href: href("send") }, "Send an event"), " to start."));
  }
  if (shown.length > maxRows) els.tbody.append(h("tr", {}, h("td", { colspan: "8", class: "muted small" }, `Showing the newest ${maxRows}; narrow the filters to see older ones.`)));
}

function row(r) {
  const key = `${r.id}#${r.n}`;
  const isSel = r.id === selected.id && (!selected.n || selected.n === r.n || r.summary);
  const link = href("log", { ...filters, attempt: r.n || undefined }, r.id);
  const attempt = r.summary ? (r.n ? `${r.n}` : "—") : `#${r.n}`;
  return h("tr", { "data-delivery": r.id, "data-attempt": r.n || "", class: `${isSel ? "selected" : ""} ${fresh.has(key) ? "fresh" : ""}`.trim(), "aria-current": isSel ? "true" : undefined },
    h("td", { class: "c-time mono", "data-label": "Time", "data-attempt-label": r.summary ? r.outcome || "queued" : `attempt ${r.n}`, text: fmtTime(r.time) }),
    h("td", { class: "c-provider", "data-label": "Provider", text: r.provider || "" }),
    h("td", { class: "c-event", "data-label": "Event" }, h("a", { href: link, class: "mono" }, r.event || r.id)),
    h("td", { class: "c-endpoint mono clip", "data-label": "Endpoint", title: endpointLabel(r.endpoint_id), text: endpointLabel(r.endpoint_id) }),
    h("td", { class: "c-attempt mono", "data-label": "Attempt", text: attempt }),
    h("td", { class: "c-status", "data-label": "Status" }, r.summary ? h("span", { class: "muted", text: r.n ? "…" : "queued" }) : statusBadge(r.status, r.error_kind, r.success)),
    h("td", { class: "c-latency mono", "data-label": "Latency", text: r.summary ? "" : fmtMs(r.latency) }),
    h("td", { class: "c-outcome", "data-label": "Outcome" }, stateBadge(r.outcome)));
}

/** Fills the filter selects from what the log and catalogue hold. */
function fillFilters(all) {
  const uniq = (xs) => [...new Set(xs.filter(Boolean))].sort();
  const providers = uniq([...store.catalogue.providers.map((p) => p.name), ...all.map((r) => r.provider)]);
  setOptions(els.f.provider, [{ value: "", label: "All" }, ...providers.map((p) => ({ value: p }))], filters.provider);
  const events = uniq([...all.filter((r) => !filters.provider || r.provider === filters.provider).map((r) => r.event), filters.event]);
  setOptions(els.f.event, [{ value: "", label: "All" }, ...events.map((e) => ({ value: e }))], filters.event);
  const eps = uniq([...store.endpoints.map((e) => e.id), ...all.map((r) => r.endpoint_id), filters.endpoint]);
  setOptions(els.f.endpoint, [{ value: "", label: "All" }, ...eps.map((id) => ({ value: id, label: endpointLabel(id) }))], filters.endpoint);
  setOptions(els.f.outcome, [{ value: "", label: "All" }, ...["delivered", "pending", "failed", "exhausted", "quarantined"].map((o) => ({ value: o }))], filters.outcome);
}
