// The Scenarios view: the scenario library grouped by provider (filtered
// to your endpoints' providers by default), a run against an endpoint, and
// its steps and expectations ticking off (see scenario-run.js).

import { api, ApiError, seg } from "./api.js";
import { byId, h, replace, setOptions, toast } from "./dom.js";
import { go, href } from "./route.js";
import { refreshRun, runView } from "./scenario-run.js";
import { endpointLabel, on, provider, store, variant } from "./store.js";

let els;
let scenarios = null;
let problem = null;
let shown = "";
/** Scenario name → { run, deliveries: [] }. */
const runs = new Map();
const selects = new Map();
/** Scenario name → its probe URL input; the last probe URL given prefills new ones. */
const probes = new Map();
let lastProbe = "";
const polls = new Map();
/** Scenario names whose deliveries list is open. */
const openLists = new Set();

/** Builds the Scenarios view inside its section. */
export function initScenarios() {
  const filter = h("select", { id: "scenario-filter", class: "input input-small" });
  const list = h("div", { class: "scenario-groups", id: "scenario-list" });
  const note = h("div", { id: "scenarios-note" });
  replace(byId("scenarios-body"),
    h("div", { class: "page-head" }, h("h2", { class: "page-title" }, "Scenarios"),
      h("div", { class: "page-actions field field-inline" }, h("label", { for: filter.id }, "Show"), filter)),
    h("p", { class: "lead" }, "Scripted stories of one order: out of order, duplicated, lost acknowledgements. Run one against your endpoint and watch each step and expectation."),
    h("p", { class: "muted small", id: "scenarios-probe-hint" }, "A run's requests are deliveries in the Log. Give your receiver's probe URL (GET {probe}/events/{key}, GET {probe}/resources/{id}) to check what it applied, here or as the endpoint's probe_url; without one those expectations are skipped and the run is at best incomplete."),
    note, list);
  els = { list, note, filter };
  filter.addEventListener("change", () => go(href("scenarios", { show: filter.value }), true));
  on("endpoints", () => render());
  const timers = new Map();
  on("attempt", (a) => {
    for (const [name, r] of runs) {
      if (r.run.endpoint_id !== a.endpoint_id || r.run.done) continue;
      clearTimeout(timers.get(name));
      timers.set(name, setTimeout(() => refresh(name), 250));
    }
  });
  return {
    /** Applies #/scenarios?show=mine|all|provider@variant. */
    show(params) {
      shown = params.show || "";
      load();
    },
  };
}

async function load() {
  if (!scenarios && problem?.status !== 501) {
    try {
      const r = await api("GET", "/api/scenarios");
      scenarios = r.scenarios || [];
      problem = null;
    } catch (err) {
      problem = err instanceof ApiError ? err : new ApiError(0, { title: String(err) });
    }
  }
  render();
}

/** Splits "esimfly@2025-01" into the catalogue's provider and variant names. */
function parseTarget(p) {
  const [name, v = ""] = p.split("@");
  return { name, variant: variant(name, v)?.name || v };
}

/** The endpoints a scenario can run against. */
function endpointsFor(sc) {
  const targets = (sc.providers || []).map(parseTarget);
  return store.endpoints.filter((e) => !e.disabled && (!targets.length ||
    targets.some((t) => t.name === e.provider && (!t.variant || variant(e.provider, e.variant)?.name === t.variant))));
}

/** The group a scenario is listed under: its first provider@variant. */
function groupOf(sc) {
  const t = parseTarget(sc.providers?.[0] || "other");
  return { key: `${t.name}@${t.variant}`, label: `${provider(t.name)?.title || t.name}${t.variant ? ` · ${t.variant}` : ""}` };
}

function render() {
  if (!els) return;
  if (problem) {
    const missing = problem.status === 501 || problem.status === 404;
    replace(els.note, h("div", { class: "notice", role: "status", id: "scenarios-unavailable" },
      h("h3", {}, missing ? "Scenarios are not available on this server" : "The scenario library could not be read"),
      h("p", {}, missing
        ? "This server was started without a scenario runner. You can still reproduce each story by hand: the Send form's chaos options add duplicates, delays, reordering and lost acknowledgements, and the seed keeps every event on one order."
        : problem.describe())));
    replace(els.list);
    els.filter.disabled = true;
    return;
  }
  replace(els.note);
  if (!scenarios) {
    replace(els.list, h("p", { class: "muted" }, "Loading the scenario library…"));
    return;
  }
  if (!scenarios.length) {
    replace(els.list, h("div", { class: "empty card" }, h("p", { class: "empty-title" }, "The library is empty"),
      h("p", {}, "Add scenario files with esimhooks serve --scenarios DIR.")));
    return;
  }
  const groups = new Map();
  for (const sc of scenarios) {
    const g = groupOf(sc);
    if (!groups.has(g.key)) groups.set(g.key, { ...g, list: [] });
    groups.get(g.key).list.push(sc);
  }
  const mine = scenarios.filter((sc) => endpointsFor(sc).length);
  const show = shown || (mine.length ? "mine" : "all");
  setOptions(els.filter, [
    { value: "mine", label: `For your endpoints (${mine.length})` },
    { value: "all", label: `All (${scenarios.length})` },
    ...[...groups.values()].map((g) => ({ value: g.key, label: `${g.label} (${g.list.length})` })),
  ], show);
  const visible = (sc) => show === "all" || (show === "mine" ? endpointsFor(sc).length > 0 : groupOf(sc).key === show) || runs.has(sc.name);

  // Runs re-render as they progress: keep the keyboard focus where it was.
  const f = document.activeElement;
  const key = f?.dataset?.run ? `[data-run="${CSS.escape(f.dataset.run)}"]` : f?.id && els.list.contains(f) ? `#${CSS.escape(f.id)}` : "";
  const sections = [...groups.values()].filter((g) => g.list.some(visible)).map((g) =>
    h("section", { class: "scenario-group", "aria-label": g.label },
      h("h3", { class: "group-title" }, g.label),
      h("ul", { class: "scenario-list card" }, g.list.filter(visible).map(row))));
  replace(els.list, ...(sections.length ? sections : [h("div", { class: "empty card" },
    h("p", { class: "empty-title" }, "No scenario for your endpoints"),
    h("p", {}, "Show all scenarios, or ", h("a", { href: href("endpoints") }, "add an endpoint"), " for the provider you integrate."))]));
  if (key) els.list.querySelector(key)?.focus();
}

function row(sc) {
  const eps = endpointsFor(sc);
  const id = `run-ep-${sc.name}`;
  if (!selects.has(sc.name)) selects.set(sc.name, h("select", { id, class: "input input-small" }));
  const sel = selects.get(sc.name);
  setOptions(sel, eps.map((e) => ({ value: e.id, label: endpointLabel(e.id) })));
  if (!probes.has(sc.name)) {
    probes.set(sc.name, h("input", { id: `run-probe-${sc.name}`, class: "input input-small input-probe", type: "url", value: lastProbe,
      placeholder: "Probe URL (or the endpoint's)", "aria-describedby": "scenarios-probe-hint", autocomplete: "url" }));
  }
  const probe = probes.get(sc.name);
  const r = runs.get(sc.name);
  const target = parseTarget(sc.providers?.[0] || "");
  return h("li", { class: "scenario", "data-scenario": sc.name },
    h("div", { class: "scenario-head" },
      h("div", { class: "scenario-text" },
        h("h4", { class: "mono scenario-name", text: sc.name }),
        sc.description ? h("p", { class: "muted", text: sc.description }) : null),
      eps.length
        ? h("div", { class: "run-bar" },
          h("label", { for: id, class: "sr-only" }, `Endpoint for ${sc.name}`), sel,
          h("label", { for: probe.id, class: "sr-only" }, `Probe URL for ${sc.name}`), probe,
          h("button", { type: "button", class: "btn btn-primary btn-small", "data-run": sc.name, onclick: () => start(sc, sel.value, probe) }, r ? "Run again" : "Run"))
        : h("a", { class: "btn btn-small", href: href("endpoints", { add: target.name }) }, `Add ${provider(target.name)?.title || target.name} endpoint`)),
    r ? runView(sc.name, r, openLists.has(sc.name), (open) => (open ? openLists.add(sc.name) : openLists.delete(sc.name))) : null);
}

async function start(sc, endpointId, probe) {
  const probeURL = probe.value.trim();
  probe.removeAttribute("aria-invalid");
  try {
    const run = await api("POST", `/api/scenarios/${seg(sc.name)}/runs`, probeURL ? { endpoint_id: endpointId, probe_url: probeURL } : { endpoint_id: endpointId });
    lastProbe = probeURL;
    clearTimeout(polls.get(sc.name));
    runs.set(sc.name, { run: { ...run, started_at: run.started_at || new Date().toISOString() }, deliveries: [] });
    toast(`Scenario ${sc.name} started.`);
    render();
    refresh(sc.name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 501) {
      problem = err;
      render();
      return;
    }
    if (err instanceof ApiError && (err.problem?.errors || []).some((e) => e.pointer === "/probe_url")) {
      probe.setAttribute("aria-invalid", "true");
      probe.focus();
    }
    toast(err instanceof ApiError ? err.describe() : String(err), "error");
  }
}

/** Refreshes a run and polls again while it is going. */
async function refresh(name) {
  const r = runs.get(name);
  if (!r) return;
  clearTimeout(polls.get(name));
  const going = await refreshRun(r);
  if (runs.get(name) !== r) return;
  render();
  if (going) polls.set(name, setTimeout(() => refresh(name), 1000));
}
