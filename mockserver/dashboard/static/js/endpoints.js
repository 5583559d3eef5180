// The Endpoints view: add, edit, pause and remove receivers; the secret
// shown once (on add and rotation); success rate and p50/p95 latency each.

import { api, ApiError, seg } from "./api.js";
import { describeChaos } from "./chaos.js";
import { byId, fmtMs, fmtRate, h, replace, toast } from "./dom.js";
import { endpointForm, secretNotice } from "./endpoint-form.js";
import { href } from "./route.js";
import { loadEndpoints, loadEndpointsWithStats, loadStats, on, provider, store, variant } from "./store.js";

let els;
/** Per endpoint: "edit", "remove", or { secret } (shown once). */
const open = new Map();
/** Endpoint id → its open edit form. */
const forms = new Map();
let adding = false;
let addProvider = "";

/** Builds the Endpoints view inside its section. */
export function initEndpoints() {
  const addBtn = h("button", { type: "button", class: "btn btn-primary", id: "endpoint-add", "aria-expanded": "false", "aria-controls": "endpoint-add-form" }, "Add endpoint");
  const addSlot = h("div", { id: "endpoint-add-form" });
  const list = h("ul", { class: "endpoint-list", id: "endpoint-list" });
  const empty = h("div", { class: "empty card", id: "endpoints-empty", hidden: true },
    h("p", { class: "empty-title" }, "No endpoint yet"),
    h("p", {}, "Add your app's webhook URL: the mock signs every delivery with the endpoint's secret."));
  replace(byId("endpoints-body"),
    h("div", { class: "page-head" }, h("h2", { class: "page-title" }, "Endpoints"), h("div", { class: "page-actions" }, addBtn)),
    addSlot, empty, list);
  els = { addBtn, addSlot, list, empty };

  addBtn.addEventListener("click", () => {
    adding = !adding;
    renderAdd();
  });
  // The statistics are read when the view is shown (one request for
  // every endpoint) and, while it is shown, again for an endpoint that
  // had an attempt: another view opened makes no request for them.
  const shown = () => !byId("view-endpoints").hidden;
  on("endpoints", () => render());
  on("stats", (id) => updateStats(id));
  on("catalogue", () => render());
  const timers = new Map();
  on("attempt", (a) => {
    if (!shown()) return;
    clearTimeout(timers.get(a.endpoint_id));
    timers.set(a.endpoint_id, setTimeout(() => shown() && loadStats(a.endpoint_id), 600));
  });

  return {
    /** Applies #/endpoints?add=PROVIDER (opens the add form for that provider). */
    show(params) {
      if (params.add) {
        adding = true;
        addProvider = params.add;
        renderAdd();
      }
      render();
      loadEndpointsWithStats();
    },
  };
}

function renderAdd() {
  els.addBtn.setAttribute("aria-expanded", String(adding));
  if (!adding) {
    replace(els.addSlot);
    return;
  }
  const f = endpointForm({
    idPrefix: "new",
    onDone: (ep, secret) => {
      adding = false;
      open.set(ep.id, { secret });
      renderAdd();
      render();
      document.querySelector(`[data-endpoint="${CSS.escape(ep.id)}"] .secret`)?.focus();
    },
    onCancel: () => {
      adding = false;
      renderAdd();
      els.addBtn.focus();
    },
  });
  if (addProvider) {
    const sel = f.form.querySelector("#new-provider");
    if (sel && [...sel.options].some((o) => o.value === addProvider)) {
      sel.value = addProvider;
      sel.dispatchEvent(new Event("change"));
    }
    addProvider = "";
  }
  replace(els.addSlot, h("section", { class: "card", "aria-labelledby": "add-title" },
    h("h3", { id: "add-title", class: "card-title" }, "Add an endpoint"), f.form));
  f.focus();
}

function render() {
  if (!els) return;
  els.empty.hidden = store.endpoints.length > 0 || adding;
  const focusedId = document.activeElement?.closest?.("[data-endpoint]")?.dataset.endpoint;
  const focusedAction = document.activeElement?.dataset?.action;
  replace(els.list, ...store.endpoints.map(card));
  if (focusedId && focusedAction) {
    els.list.querySelector(`[data-endpoint="${CSS.escape(focusedId)}"] [data-action="${focusedAction}"]`)?.focus();
  }
}

/** Writes fresh statistics into an endpoint's card. */
function updateStats(id) {
  const s = store.stats.get(id);
  const el = els?.list.querySelector(`[data-endpoint="${CSS.escape(id)}"]`);
  if (!s || !el) return;
  const set = (k, v) => {
    const dd = el.querySelector(`[data-stat="${k}"]`);
    if (dd) dd.textContent = v;
  };
  set("rate", fmtRate(s.success_rate));
  set("p50", fmtMs(s.latency_ms?.p50));
  set("p95", fmtMs(s.latency_ms?.p95));
  set("attempts", String(s.attempts));
  set("deliveries", String(s.deliveries));
}

function card(ep) {
  const v = variant(ep.provider, ep.variant);
  const p = provider(ep.provider);
  const s = store.stats.get(ep.id);
  const state = open.get(ep.id);
  const action = (name, label, fn, cls = "btn btn-small") => h("button", { type: "button", class: cls, "data-action": name, onclick: fn }, label);
  const stat = (label, value, id) => h("div", { class: "stat" }, h("dt", { text: label }), h("dd", { class: "mono", "data-stat": id, text: value }));

  let slot = null;
  if (state?.secret) {
    slot = secretNotice(ep, state.secret, () => {
      open.delete(ep.id);
      render();
    });
  } else if (state === "edit") {
    // The form is kept across re-renders so typing is never lost.
    if (!forms.has(ep.id)) forms.set(ep.id, endpointForm({
      endpoint: ep, idPrefix: `edit-${ep.id}`,
      onDone: () => {
        open.delete(ep.id);
        forms.delete(ep.id);
        toast("Endpoint saved.");
        render();
      },
      onCancel: () => {
        open.delete(ep.id);
        forms.delete(ep.id);
        render();
      },
    }).form);
    slot = forms.get(ep.id);
  } else if (state === "remove") {
    slot = h("div", { class: "notice notice-danger", role: "alert" },
      h("p", {}, "Remove this endpoint? Its deliveries stay in the log; pending ones stop."),
      h("div", { class: "actions" },
        action("confirm-remove", "Remove", () => remove(ep), "btn btn-danger"),
        action("cancel-remove", "Keep it", () => {
          open.delete(ep.id);
          render();
        })));
  }

  return h("li", { class: "card endpoint-card", "data-endpoint": ep.id },
    h("div", { class: "ep-head" },
      h("h3", { class: "ep-url mono", text: ep.url }),
      h("div", { class: "badges" },
        h("span", { class: "badge badge-neutral", text: `${p?.title || ep.provider} · ${v?.name || ep.variant || "default"}` }),
        ep.disabled ? h("span", { class: "badge badge-wait", text: "paused" }) : null,
        ep.source && ep.source !== "api" ? h("span", { class: "badge badge-info", text: `via ${ep.source}` }) : null)),
    h("p", { class: "muted small" },
      [ep.description, ep.events?.length ? `Events: ${ep.events.join(", ")}` : "Events: all", describeChaos(ep.chaos) ? `Chaos: ${describeChaos(ep.chaos)}` : "", `id ${ep.id}`]
        .filter(Boolean).join(" · ")),
    h("dl", { class: "stats" },
      stat("Success rate", fmtRate(s?.success_rate), "rate"),
      stat("p50", fmtMs(s?.latency_ms?.p50), "p50"),
      stat("p95", fmtMs(s?.latency_ms?.p95), "p95"),
      stat("Attempts", s ? String(s.attempts) : "—", "attempts"),
      stat("Deliveries", s ? String(s.deliveries) : "—", "deliveries")),
    h("div", { class: "actions" },
      h("a", { class: "btn btn-small", href: href("send", { endpoint: ep.id }), "data-action": "send" }, "Send"),
      h("a", { class: "btn btn-small", href: href("log", { endpoint: ep.id }), "data-action": "log" }, "View log"),
      action("edit", "Edit", () => {
        open.set(ep.id, "edit");
        render();
      }),
      action("rotate", "Rotate secret", () => rotate(ep)),
      action("remove", "Remove", () => {
        open.set(ep.id, "remove");
        render();
        document.querySelector(`[data-endpoint="${CSS.escape(ep.id)}"] [data-action="cancel-remove"]`)?.focus();
      }, "btn btn-small btn-danger-quiet")),
    slot);
}

async function rotate(ep) {
  try {
    const r = await api("POST", `/api/endpoints/${seg(ep.id)}/rotate-secret`);
    open.set(ep.id, { secret: r.secret });
    render();
    document.querySelector(`[data-endpoint="${CSS.escape(ep.id)}"] .secret`)?.focus();
  } catch (err) {
    toast(err instanceof ApiError ? err.describe() : String(err), "error");
  }
}

async function remove(ep) {
  try {
    await api("DELETE", `/api/endpoints/${seg(ep.id)}`);
    open.delete(ep.id);
    toast("Endpoint removed.");
    await loadEndpoints();
  } catch (err) {
    toast(err instanceof ApiError ? err.describe() : String(err), "error");
  }
}
