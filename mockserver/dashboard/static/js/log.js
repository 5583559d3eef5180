// The Log view: the deliveries the server matches to the filters (which
// live in the URL, so a shared link lists the same), newest first, each
// with its latest attempt, one page of 100 at a time; the live stream adds
// matching deliveries as they happen. One delivery opens beside the list.

import { byId, copyText, fmtMs, fmtTime, h, replace, setOptions, stateBadge, statusBadge } from "./dom.js";
import { absolute, go, href } from "./route.js";
import { endpoint, endpointLabel, loadLog, logFilterParams, matchesLog, on, store } from "./store.js";

const filterKeys = Object.keys(logFilterParams);
const outcomes = ["delivered", "pending", "failed", "exhausted", "quarantined"];

let els;
let filters = {};
let selected = { id: "", n: 0 };
let fresh = new Set();

/** Builds the Log view inside its section. */
export function initLog() {
  const sel = (id) => h("select", { id, class: "input input-small" });
  const inp = (id, attrs) => h("input", { id, class: "input input-small", autocomplete: "off", ...attrs });
  const f = {
    provider: sel("log-provider"), event: sel("log-event"), endpoint: sel("log-endpoint"), outcome: sel("log-outcome"),
    status: inp("log-status", { type: "number", min: "0", max: "599", inputmode: "numeric", placeholder: "e.g. 503" }),
    q: inp("log-q", { type: "search", placeholder: "id, ICCID, order id", maxlength: "128" }),
    since: inp("log-since", { type: "datetime-local", step: "1" }),
    until: inp("log-until", { type: "datetime-local", step: "1" }),
    run_id: inp("log-run", { type: "text", placeholder: "run id" }),
  };
  const labels = { provider: "Provider", event: "Event", endpoint: "Endpoint", outcome: "Outcome", status: "Latest status",
    q: "Search", since: "Since", until: "Until", run_id: "Scenario run" };
  const lbl = (k) => h("div", { class: "field filter" }, h("label", { for: f[k].id, text: labels[k] }), f[k]);
  const clear = h("button", { type: "button", class: "btn btn-quiet", id: "log-clear" }, "Clear filters");
  const copy = h("button", { type: "button", class: "btn btn-small", id: "log-copy-link" }, "Copy link to this view");
  const count = h("span", { class: "muted small", id: "log-count", "aria-live": "polite" });
  const tbody = h("tbody", { id: "log-rows" });
  const cols = [["Time", "c-time"], ["Provider", "c-provider"], ["Event", "c-event"], ["Endpoint", "c-endpoint"],
    ["Attempts", "c-attempt"], ["Status", "c-status"], ["Latency", "c-latency"], ["Outcome", "c-outcome"]];
  const table = h("table", { class: "log-table", id: "log-table" },
    h("caption", { class: "sr-only" }, "Deliveries, newest first, each with its latest attempt"),
    h("thead", {}, h("tr", {}, ...cols.map(([t, c]) => h("th", { scope: "col", class: c, text: t })))),
    tbody);
  const more = h("div", { class: "log-more", id: "log-more" });
  const empty = h("div", { class: "empty", id: "log-empty", hidden: true });
  const live = h("p", { class: "sr-only", id: "log-live", role: "log", "aria-live": "polite" });

  const main = h("div", { class: "card log-main" },
    h("div", { class: "card-head" }, h("h2", { class: "card-title", id: "log-title" }, "Delivery log"), count, copy),
    h("form", { class: "filters", role: "search", "aria-label": "Filter the log", id: "log-filters" },
      ...filterKeys.map(lbl), clear),
    live,
    h("div", { class: "table-wrap" }, table),
    more,
    empty);
  const detail = h("div", { class: "log-detail", id: "log-detail", hidden: true });
  const layout = h("div", { class: "log-layout", id: "log-layout" }, main, detail);
  replace(byId("log-body"), layout);
  els = { f, tbody, table, empty, count, live, layout, detail, main, more };

  // A change (a select, Enter or leaving a field) puts the filters in the
  // URL; the route then asks the server.
  for (const k of filterKeys) {
    f[k].addEventListener("change", () => {
      filters[k] = fromInput(k, f[k].value);
      go(href("log", { ...filters, attempt: undefined }, selected.id), true);
    });
  }
  byId("log-filters").addEventListener("submit", (e) => e.preventDefault());
  clear.addEventListener("click", () => {
    filters = {};
    go(href("log", {}, selected.id), true);
  });
  copy.addEventListener("click", (e) => copyText(absolute(href("log", filters)), e.currentTarget));
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-delivery]");
    if (!tr || e.target.closest("a")) return;
    go(href("log", { ...filters }, tr.dataset.delivery));
  });
  more.addEventListener("click", (e) => {
    if (e.target.closest("#log-older")) loadLog(filters, { older: true });
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
    fresh.add(a.delivery_id);
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
    /** Applies the route: filters from params (read from the server), the open delivery from id. */
    show(route) {
      filters = Object.fromEntries(filterKeys.map((k) => [k, route.params[k] || ""]));
      selected = { id: route.id, n: Number(route.params.attempt) || 0 };
      layout.classList.toggle("has-detail", !!route.id);
      detail.hidden = !route.id;
      loadLog(filters);
      render();
    },
    detailEl: detail,
  };
}

/** The URL value of filter k from its input's value. */
function fromInput(k, v) {
  v = v.trim();
  if ((k === "since" || k === "until") && v) {
    const t = new Date(v); // datetime-local: the browser's time zone
    return Number.isNaN(t.getTime()) ? "" : t.toISOString();
  }
  return v;
}

/** The input value of filter k from its URL value. */
function toInput(k, v) {
  if ((k === "since" || k === "until") && v) {
    const t = new Date(v);
    if (Number.isNaN(t.getTime())) return "";
    const p = (n) => String(n).padStart(2, "0");
    return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
  }
  return v || "";
}

function render() {
  if (!els) return;
  fillFilters();
  const log = store.log;
  // A listed delivery whose state or status has moved on since leaves a
  // view filtered on them.
  const list = log.ids.map((id) => store.deliveries.get(id)).filter((d) => d && matchesLog(d, { outcome: filters.outcome, status: filters.status }));
  const focused = els.tbody.contains(document.activeElement) ? document.activeElement.closest("tr")?.dataset.delivery : "";
  replace(els.tbody, ...list.map(row));
  if (focused) [...els.tbody.rows].find((t) => t.dataset.delivery === focused)?.querySelector("a")?.focus({ preventScroll: true });
  fresh = new Set();

  const n = list.length;
  const filtered = filterKeys.some((k) => filters[k]);
  els.count.textContent = log.loading && !n ? "Loading…"
    : `${n} ${filtered ? "matching " : ""}deliver${n === 1 ? "y" : "ies"}${log.next ? ", newest first; older ones below" : ""}`;
  replace(els.more,
    log.next ? h("button", { type: "button", class: "btn btn-small", id: "log-older", disabled: log.loading || undefined },
      log.loading ? "Loading…" : "Load older deliveries") : "",
    log.error ? h("p", { class: "error small", role: "alert" }, `The log could not be read: ${log.error.describe ? log.error.describe() : log.error.message}`) : "");
  els.more.hidden = !log.next && !log.error;
  els.empty.hidden = n > 0;
  els.table.hidden = n === 0;
  if (!n) {
    replace(els.empty,
      h("p", { class: "empty-title" }, log.loading || log.key === null ? "Loading…" : log.error ? "The log could not be read" : filtered ? "No delivery matches these filters" : "No deliveries yet"),
      log.loading || log.key === null ? ""
        : filtered ? h("p", {}, "The whole log was searched. Clear a filter, or wait: matching deliveries appear here as they happen.")
          : h("p", {}, "Deliveries appear here live as the mock sends them. ", h("a", { href: href("send") }, "Send an event"), " to start."));
  }
}

function row(d) {
  const la = d.last_attempt;
  const isSel = d.id === selected.id;
  const link = href("log", { ...filters }, d.id);
  const queued = !la;
  return h("tr", { "data-delivery": d.id, "data-attempt": la?.n || "", class: `${isSel ? "selected" : ""} ${fresh.has(d.id) ? "fresh" : ""}`.trim(), "aria-current": isSel ? "true" : undefined },
    h("td", { class: "c-time mono", "data-label": "Time", "data-attempt-label": queued ? d.state || "queued" : `attempt ${la.n}`, text: fmtTime(d.created_at), title: la ? `latest attempt ${fmtTime(la.at)}` : undefined }),
    h("td", { class: "c-provider", "data-label": "Provider", text: d.provider || "" }),
    h("td", { class: "c-event", "data-label": "Event" }, h("a", { href: link, class: "mono" }, d.event || d.id)),
    h("td", { class: "c-endpoint mono clip", "data-label": "Endpoint", title: endpointLabel(d.endpoint_id), text: endpointLabel(d.endpoint_id) }),
    h("td", { class: "c-attempt mono", "data-label": "Attempts", text: d.attempts ? String(d.attempts) : "—" }),
    h("td", { class: "c-status", "data-label": "Status" }, queued ? h("span", { class: "muted", text: "queued" }) : statusBadge(la.status, la.error_kind, la.outcome === "delivered")),
    h("td", { class: "c-latency mono", "data-label": "Latency", text: la ? fmtMs(la.latency_ns / 1e6) : "" }),
    h("td", { class: "c-outcome", "data-label": "Outcome" }, stateBadge(d.state)));
}

/**
 * A label for an endpoint in the filter: provider@variant, then its
 * description or id, then where it points, so that endpoints differing
 * only in provider or variant read apart.
 */
function endpointOption(id) {
  const e = endpoint(id);
  if (!e) return `${id} (removed)`;
  return `${e.provider}@${e.variant || "default"} · ${e.description || e.id} · ${endpointLabel(id)}`;
}

/** Fills the filter controls from the catalogue, the endpoints and the filters. */
function fillFilters() {
  const uniq = (xs) => [...new Set(xs.filter(Boolean))].sort();
  const provs = store.catalogue.providers;
  setOptions(els.f.provider, [{ value: "", label: "All" }, ...uniq([...provs.map((p) => p.name), filters.provider]).map((p) => ({ value: p }))], filters.provider);
  const events = uniq([...provs.filter((p) => !filters.provider || p.name === filters.provider)
    .flatMap((p) => p.variants.flatMap((v) => (v.events || []).map((e) => e.name))), filters.event]);
  setOptions(els.f.event, [{ value: "", label: "All" }, ...events.map((e) => ({ value: e }))], filters.event);
  const eps = uniq([...store.endpoints.map((e) => e.id), filters.endpoint]);
  setOptions(els.f.endpoint, [{ value: "", label: "All" }, ...eps.map((id) => ({ value: id, label: endpointOption(id) }))], filters.endpoint);
  setOptions(els.f.outcome, [{ value: "", label: "All" }, ...outcomes.map((o) => ({ value: o }))], filters.outcome);
  for (const k of ["status", "q", "since", "until", "run_id"]) {
    const el = els.f[k];
    if (document.activeElement !== el) el.value = toInput(k, filters[k]);
  }
}
