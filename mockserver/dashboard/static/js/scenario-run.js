// One scenario run: its progress from the runs API (steps, statuses and
// expectations, polled until done; passed, failed or incomplete) with the
// deliveries it made in the log (each tagged with the run), or, on a
// server without that API, the deliveries the run caused in the log.

import { api, ApiError, query, seg } from "./api.js";
import { fmtMs, h, stateBadge, statusBadge } from "./dom.js";
import { href } from "./route.js";
import { attemptsOf, lastAttempt, loadAttempts, putDelivery, store } from "./store.js";

/** Whether the server reports runs step by step (GET /api/scenario-runs/{id}). */
let runsAPI = true;

/**
 * Refreshes run r ({ run, deliveries }) in place. Returns whether it is
 * still going (the caller polls again).
 */
export async function refreshRun(r) {
  if (runsAPI) {
    try {
      r.run = { ...r.run, ...(await api("GET", `/api/scenario-runs/${seg(r.run.id)}`)) };
    } catch (err) {
      if (err instanceof ApiError && [404, 405, 501].includes(err.status) && r.run.steps === undefined) runsAPI = false;
    }
  }
  await refreshDeliveries(r);
  return !r.run.done && !r.run.error && (runsAPI || r.deliveries.some((id) => store.deliveries.get(id)?.state === "pending") || !r.deliveries.length);
}

/**
 * Reads the deliveries of a run from the log: those tagged with the run
 * (run_id) or of its event ids and, on a server without the runs API,
 * anything sent to the endpoint since the run started.
 */
async function refreshDeliveries(r) {
  const ids = new Set(r.run.event_ids || []);
  const tagged = new Set(r.run.delivery_ids || []);
  if (runsAPI && !ids.size && !tagged.size) return;
  try {
    const page = await api("GET", `/api/deliveries${query({ endpoint: r.run.endpoint_id, limit: 200 })}`);
    const since = new Date(r.run.started_at).getTime() - 1000;
    const mine = (page.deliveries || []).filter((d) => d.run_id === r.run.id || tagged.has(d.id) || ids.has(d.event_id) ||
      (!runsAPI && new Date(d.created_at).getTime() >= since));
    mine.sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const d of mine) putDelivery(d);
    await Promise.all(mine.filter((d) => d.attempts > attemptsOf(d.id).length).map((d) => loadAttempts(d.id).catch(() => {})));
    r.deliveries = mine.map((d) => d.id);
  } catch {
    // Shown as it was; the next refresh tries again.
  }
}

/** Renders a run's progress; open says whether its deliveries list is open. */
export function runView(name, r, open, onToggle) {
  const run = r.run;
  const ds = r.deliveries.map((id) => store.deliveries.get(id)).filter(Boolean);
  const stepped = Array.isArray(run.steps) || run.done !== undefined;
  const steps = run.steps || [];
  let status;
  const outcome = run.outcome || (run.done ? (run.passed ? "passed" : "failed") : "running");
  const skipped = run.expectations?.skipped || 0;
  if (run.error && outcome !== "failed") status = h("span", { class: "wait-text" }, `◐ Incomplete: stopped: ${run.error}`);
  else if (run.error) status = h("span", { class: "bad-text" }, `✗ Failed: ${run.error}`);
  else if (stepped && run.done && outcome === "passed") status = h("span", { class: "ok-text" }, "✓ Passed: every expectation was checked and held");
  else if (stepped && run.done && outcome === "incomplete") {
    status = h("span", { class: "wait-text" }, `◐ Incomplete: ${skipped} expectation${skipped === 1 ? " was" : "s were"} not checked`,
      run.probe_url ? "" : " (give the receiver's probe URL to check them)", "; none failed");
  } else if (stepped && (run.done || outcome === "failed")) status = h("span", { class: "bad-text" }, "✗ Failed: see the steps below");
  else if (stepped) status = `Running: ${steps.length} step${steps.length === 1 ? "" : "s"} done…`;
  else status = ds.length ? `${ds.filter((d) => d.state !== "pending").length} of ${ds.length} deliveries settled` : "Started: waiting for the first delivery…";
  const tagged = run.delivery_ids || [];
  return h("section", { class: "run", "aria-label": `Run of ${name}`, "data-done": run.done ? "true" : "false", "data-outcome": outcome },
    h("p", { class: "run-status", role: "status" }, status, " ", h("span", { class: "muted small mono", text: run.id })),
    tagged.length
      ? h("p", { class: "small run-log" }, `${tagged.length} deliver${tagged.length === 1 ? "y" : "ies"} in the log · `,
        h("a", { href: href("log", { run: run.id }), "data-run-log": run.id }, "Open them in the Log"),
        run.probe_url ? h("span", { class: "muted" }, " · probe ", h("span", { class: "mono", text: run.probe_url })) : null)
      : null,
    h("ol", { class: "checklist" }, stepped ? steps.map(stepItem) : ds.map(deliveryItem)),
    stepped && ds.length
      ? h("details", { class: "more", open, ontoggle: (e) => onToggle(e.currentTarget.open) },
        h("summary", {}, `Deliveries (${ds.length})`), h("ol", { class: "checklist" }, ds.map(deliveryItem)))
      : null);
}

function tick(cls) {
  const label = { wait: "waiting", ok: "passed", bad: "failed", skip: "skipped" }[cls];
  return h("span", { class: `tick tick-${cls}`, role: "img", "aria-label": label }, { ok: "✓", bad: "✗", skip: "–", wait: "…" }[cls]);
}

/** One finished step: its statuses, deliveries and expectations. */
function stepItem(s) {
  const exps = s.expectations || [];
  const bad = s.error || exps.some((e) => e.outcome === "failed");
  const unchecked = exps.length && exps.every((e) => e.outcome === "skipped");
  const ids = s.delivery_ids || [];
  return h("li", { class: "check-item step" },
    h("div", { class: "step-head" }, tick(bad ? "bad" : unchecked ? "skip" : "ok"),
      h("span", { class: "step-label", text: s.label }),
      s.event && s.event !== s.label ? h("span", { class: "mono small", text: s.event }) : null,
      (s.statuses || []).map((c) => statusBadge(c, c ? "" : "no answer", c >= 200 && c < 300)),
      ids.length
        ? h("span", { class: "small step-deliveries" }, ids.map((id, i) =>
          h("a", { href: href("log", {}, id), class: "mono", "data-delivery-link": id, title: id }, i ? `copy ${i}` : "delivery")))
        : null),
    s.error ? h("p", { class: "error-text small" }, s.error) : null,
    exps.length
      ? h("ul", { class: "expectations" }, exps.map((e) => h("li", {},
        tick(e.outcome === "passed" ? "ok" : e.outcome === "failed" ? "bad" : "skip"),
        h("span", { text: e.what }),
        e.evidence ? h("span", { class: "muted small", text: e.evidence }) : null)))
      : null);
}

function deliveryItem(d) {
  const a = lastAttempt(d.id);
  return h("li", { class: "check-item" }, tick(d.state === "pending" ? "wait" : d.state === "delivered" ? "ok" : "bad"),
    h("a", { href: href("log", {}, d.id), class: "mono" }, d.event),
    d.copy_of ? h("span", { class: "muted small" }, "duplicate") : null,
    d.resend_of ? h("span", { class: "muted small" }, "redelivery") : null,
    a ? statusBadge(a.status, a.error_kind, a.success) : null,
    a ? h("span", { class: "mono small", text: fmtMs(a.latency_ms) }) : null,
    stateBadge(d.state));
}
