// The Send view: the first-run form ("add your app's webhook URL"), the
// trigger form (provider, variant, event, endpoint, editable payload with
// schema validation, chaos) and, beside it, what the app answered.

import { api, apiText, ApiError, query, seg } from "./api.js";
import { answerPanel } from "./answer.js";
import { chaosFields, describeChaos } from "./chaos.js";
import { byId, debounce, field, h, replace, setOptions, toast } from "./dom.js";
import { createEditor } from "./editor.js";
import { defaultProvider, endpointForm, secretNotice } from "./endpoint-form.js";
import { lineCol, lineOfPointer, locate, reindent } from "./jsonpos.js";
import { href } from "./route.js";
import { attemptsOf, endpoint, on, provider, store, variant } from "./store.js";

const st = {
  provider: "", variant: "", event: "", endpointId: "",
  seed: null, start: null, generated: "", sampleKey: "", validated: null, preview: false,
};

let els;

/** Builds the Send view inside its section and keeps it current. */
export function initSend() {
  const root = byId("send-body");
  const answer = answerPanel();

  const provSel = h("select", { id: "send-provider", class: "input" });
  const variSel = h("select", { id: "send-variant", class: "input" });
  const eventSel = h("select", { id: "send-event", class: "input" });
  const epSel = h("select", { id: "send-endpoint", class: "input" });
  const seedIn = h("input", { id: "send-seed", class: "input mono", type: "text", inputmode: "numeric", autocomplete: "off", pattern: "[0-9]*" });
  const eventInfo = h("p", { class: "hint event-info", id: "send-event-info" });
  const epInfo = h("div", { class: "hint", id: "send-endpoint-info" });
  const editor = createEditor({ id: "send-payload", label: "Payload (JSON)", onInput: () => validateSoon() });
  const status = h("p", { class: "validity", id: "send-validity", role: "status" });
  const chaos = chaosFields({ legend: "Chaos for this send" });
  const holdBack = h("input", { type: "checkbox", id: "send-hold" });
  const sendBtn = h("button", { type: "submit", class: "btn btn-primary btn-xl", id: "send-button" }, "Send");
  const anyway = h("button", { type: "button", class: "btn btn-danger-quiet", id: "send-anyway", hidden: true }, "Send anyway");
  const pairBtn = h("button", { type: "button", class: "btn", id: "send-pair", hidden: true }, "Send esim.activated before order.completed");
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const onboard = h("div", { id: "onboard" });
  const secretSlot = h("div", { id: "send-secret" });

  const form = h("form", { class: "card send-form", id: "send-form", novalidate: true, "aria-labelledby": "send-form-title" },
    h("h2", { id: "send-form-title", class: "card-title" }, "Send an event"),
    h("div", { class: "form-grid cols-3" }, field("Provider", provSel).wrap, field("Variant", variSel).wrap, field("Event", eventSel).wrap),
    eventInfo,
    h("div", { class: "form-grid cols-send" },
      h("div", {}, field("Send to", epSel).wrap, epInfo),
      h("div", { class: "field" },
        h("label", { for: seedIn.id }, "Order seed"),
        seedIn,
        h("p", { class: "hint", id: "send-seed-hint" }, "Same seed, same order. ",
          h("button", { type: "button", class: "linklike", id: "send-new-order", onclick: () => newOrder() }, "New order")))),
    editor.el,
    h("div", { class: "editor-bar" }, status,
      h("button", { type: "button", class: "btn btn-quiet", id: "send-reset", onclick: () => loadSample(true) }, "Reset to generated")),
    h("details", { class: "more", id: "send-chaos" }, h("summary", {}, "Chaos: duplicates, delay, reorder, lost acks"),
      h("div", { class: "check hold" }, holdBack,
        h("label", { for: holdBack.id }, "Hold this event back 5 s, so the next one you send overtakes it (out of order)")),
      chaos.el),
    formError,
    h("div", { class: "send-actions" }, sendBtn, anyway, pairBtn));

  seedIn.setAttribute("aria-describedby", "send-seed-hint");
  replace(root,
    h("div", { class: "send-grid" },
      h("div", { class: "col-main" }, onboard, secretSlot, form),
      answer.el));
  els = { provSel, variSel, eventSel, epSel, seedIn, eventInfo, epInfo, editor, status, form, onboard, secretSlot, sendBtn, anyway, pairBtn, formError };

  provSel.addEventListener("change", () => {
    st.provider = provSel.value;
    st.variant = "";
    st.endpointId = "";
    fill();
  });
  variSel.addEventListener("change", () => {
    st.variant = variSel.value;
    st.endpointId = "";
    fill();
  });
  eventSel.addEventListener("change", () => {
    st.event = eventSel.value;
    fill();
  });
  epSel.addEventListener("change", () => {
    st.endpointId = epSel.value;
    fill();
  });
  seedIn.addEventListener("change", () => {
    const v = seedIn.value.trim();
    if (!/^[0-9]{1,15}$/.test(v)) {
      seedIn.value = st.seed ?? "";
      return;
    }
    st.seed = Number(v);
    st.start = null;
    loadSample(true);
  });
  holdBack.addEventListener("change", () => chaos.set("delay", holdBack.checked ? "5s" : ""));
  chaos.el.addEventListener("input", () => {
    holdBack.checked = chaos.value()?.delay === "5s";
  });

  const validateSoon = debounce(() => validate(), 350);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    send(false);
  });
  anyway.addEventListener("click", () => send(true));
  pairBtn.addEventListener("click", () => sendPair());

  /** Fills the selectors from the catalogue and endpoints, then the sample. */
  function fill() {
    const ps = store.catalogue.providers;
    if (!ps.length) return;
    const newest = store.endpoints.find((e) => !e.disabled);
    if (!st.provider) st.provider = newest?.provider || defaultProvider();
    st.provider = setOptions(provSel, ps.map((p) => ({ value: p.name, label: p.title || p.name })), st.provider);
    const p = provider(st.provider);
    if (!st.variant) {
      const ep = endpoint(st.endpointId) || store.endpoints.find((e) => e.provider === st.provider && !e.disabled);
      st.variant = ep ? variant(ep.provider, ep.variant)?.name : p.variants.find((v) => v.default)?.name;
    }
    st.variant = setOptions(variSel, p.variants.map((v) => ({ value: v.name, label: v.default ? `${v.name} (default)` : v.name })), st.variant);
    const v = variant(st.provider, st.variant);
    // Reserved events (listed by the provider, never emitted) are sent only forced.
    const evs = v.events.map((e) => ({ value: e.name, group: e.internal ? "Sent by registration" : e.reserved ? "Reserved, not emitted (sent forced)" : "Events" }));
    const sendable = (e) => !e.internal && !e.reserved;
    if (!st.event || !v.events.some((e) => e.name === st.event)) st.event = (v.events.find((e) => e.name === "order.completed" && sendable(e)) || v.events.find(sendable) || v.events[0])?.name;
    st.event = setOptions(eventSel, evs, st.event);
    const ev = v.events.find((e) => e.name === st.event);
    // The variant's own note, e.g. that eSIMfly removed its 2025-01 page and recommends 2026-09.
    replace(els.eventInfo, v.description ? h("span", { class: "variant-note" }, `${v.name}: ${v.description} `) : "", ev?.description || "",
      ev?.reserved ? h("span", { class: "assumed" }, ` Reserved: ${ev.reserved}; sending it forces it.`) : "",
      ev?.assumed ? h("span", { class: "assumed" }, ` Assumed: ${ev.assumed}`) : "");

    const eps = store.endpoints.filter((e) => e.provider === st.provider && variant(e.provider, e.variant)?.name === st.variant);
    const opts = eps.map((e) => ({ value: e.id, label: `${e.url.replace(/^https?:\/\//, "")}${e.disabled ? " (paused)" : ""}`, disabled: e.disabled }));
    if (!opts.length) opts.push({ value: "", label: `No endpoint for ${p.title || p.name} ${st.variant} yet` });
    st.endpointId = setOptions(epSel, opts, st.endpointId || eps.find((e) => !e.disabled)?.id || "");
    epSel.disabled = !eps.length;
    replace(els.epInfo, eps.length
      ? h("span", {}, subscriptionNote(endpoint(st.endpointId), st.event))
      : h("span", {}, "Add one: ", h("a", { href: href("endpoints", { add: st.provider }) }, `add ${p.title || p.name} endpoint`), "."));
    els.sendBtn.disabled = !st.endpointId;
    els.pairBtn.disabled = !st.endpointId;
    els.pairBtn.hidden = !(v.events.some((e) => e.name === "order.completed") && v.events.some((e) => e.name === "esim.activated"));
    els.onboard.hidden = store.endpoints.length > 0;
    // The first run shows one form; the payloads can be previewed on request.
    els.form.hidden = !store.endpoints.length && !st.preview;
    // Only a shown Send view asks for its sample: another view opened
    // first makes no request for this one.
    if (!byId("view-send").hidden) loadSample(false);
  }

  async function loadSample(force) {
    const key = `${st.provider}|${st.variant}|${st.event}|${st.seed}|${st.start}`;
    if (!force && key === st.sampleKey) return;
    st.sampleKey = key;
    try {
      const q = query({ seed: st.seed ?? "", start: st.start ?? "" });
      const { data, text } = await apiText(`/api/providers/${seg(st.provider)}/variants/${seg(st.variant)}/events/${seg(st.event)}/sample${q}`);
      if (key !== st.sampleKey) return;
      st.seed = data.seed;
      st.start = data.start;
      st.sampleKey = `${st.provider}|${st.variant}|${st.event}|${st.seed}|${st.start}`;
      els.seedIn.value = String(data.seed);
      const spans = locate(text);
      const s = spans.get("/payload");
      st.generated = reindent(s ? text.slice(s.start, s.end) : JSON.stringify(data.payload));
      els.editor.setValue(st.generated);
      // The sample comes checked: no second request for it.
      const shown = els.editor.value();
      if (data.validation) showValidation(shown, locate(shown), data.validation);
      else validate();
    } catch (err) {
      showStatus("bad", err instanceof ApiError ? `No sample: ${err.describe()}` : String(err));
    }
  }

  function newOrder() {
    st.seed = null;
    st.start = null;
    loadSample(true);
  }

  /** Checks the payload's syntax here and its schema on the server; marks lines. */
  async function validate() {
    const text = els.editor.value();
    let spans;
    try {
      spans = locate(text);
    } catch (err) {
      const line = err.line || lineCol(text, text.length).line;
      els.editor.mark([{ line, where: "", message: err.message }]);
      showStatus("bad", "Not valid JSON");
      st.validated = { text, valid: false, syntax: true };
      return st.validated;
    }
    const reqBody = `{"provider":${JSON.stringify(st.provider)},"variant":${JSON.stringify(st.variant)},"event":${JSON.stringify(st.event)},"payload":${text}}`;
    try {
      const r = await api("POST", "/api/validate", reqBody);
      if (text !== els.editor.value()) return st.validated;
      showValidation(text, spans, r);
    } catch (err) {
      showStatus("bad", err instanceof ApiError ? err.describe() : String(err));
      st.validated = { text, valid: false };
    }
    return st.validated;
  }

  /** Marks the lines of a ValidateResult r of text (whose spans locate found). */
  function showValidation(text, spans, r) {
    const list = (r.violations || []).map((v) => ({ line: lineOfPointer(text, spans, v.pointer), where: v.pointer || "/", message: v.message }));
    list.sort((a, b) => a.line - b.line);
    els.editor.mark(list);
    if (!r.checked) showStatus("neutral", "This event has no schema: not checked.");
    else if (r.valid) showStatus("ok", `Valid against the ${st.event} schema`);
    else showStatus("bad", `${list.length} schema problem${list.length > 1 ? "s" : ""}: see the marked lines`);
    st.validated = { text, valid: r.valid };
  }

  function showStatus(kind, msg) {
    els.status.className = `validity validity-${kind}`;
    els.status.textContent = msg;
  }

  /** Triggers the event for the chosen endpoint; force skips the schema stop. */
  async function send(force, extra = {}) {
    els.formError.hidden = true;
    els.anyway.hidden = true;
    if (!st.endpointId) return showError("Choose an endpoint to send to (or add one).");
    if (!chaos.check()) return showError("Fix the chaos fields.");
    const text = els.editor.value();
    const edited = text !== st.generated;
    const v = st.validated?.text === text ? st.validated : await validate();
    if (v.syntax) return showError("The payload is not valid JSON; fix the marked line.");
    if (!v.valid && !force && !extra.event) {
      els.anyway.hidden = false;
      return showError("The payload breaks the event's schema. Send it anyway to test how your app rejects it, or fix the marked lines.");
    }
    const c = extra.chaos !== undefined ? extra.chaos : chaos.value();
    const event = extra.event || st.event;
    const parts = [`"provider":${JSON.stringify(st.provider)}`, `"variant":${JSON.stringify(st.variant)}`,
      `"event":${JSON.stringify(event)}`, `"endpoint_ids":${JSON.stringify([st.endpointId])}`];
    if (st.seed !== null) parts.push(`"seed":${st.seed}`);
    if (st.start) parts.push(`"start":${JSON.stringify(st.start)}`);
    if (edited && !extra.event) parts.push(`"payload":${text}`);
    if (c) parts.push(`"chaos":${JSON.stringify(c)}`);
    if (variant(st.provider, st.variant)?.events.find((e) => e.name === event)?.reserved) parts.push(`"force":true`);
    els.sendBtn.disabled = true;
    try {
      const res = await api("POST", "/api/triggers", `{${parts.join(",")}}`);
      answer.add(res, { chaos: describeChaos(c), edited: edited && !extra.event });
      return res;
    } catch (err) {
      showError(err instanceof ApiError ? err.describe() : String(err));
      return null;
    } finally {
      els.sendBtn.disabled = !st.endpointId;
    }
  }

  /**
   * The out-of-order pair for one order: esim.activated, then, once the
   * app has seen it (its first attempt is in), order.completed. Waiting
   * for the attempt rather than a delay keeps the order whatever the
   * server's time scale.
   */
  async function sendPair() {
    els.pairBtn.disabled = true;
    try {
      const first = await send(true, { event: "esim.activated", chaos: null });
      const id = first?.deliveries?.[0]?.id;
      if (!id) return;
      toast("esim.activated sent; order.completed follows once your app has seen it.");
      await firstAttempt(id, 30000);
      await send(true, { event: "order.completed", chaos: null });
    } finally {
      els.pairBtn.disabled = !st.endpointId;
    }
  }

  function showError(msg) {
    els.formError.textContent = msg;
    els.formError.hidden = false;
  }

  /** Renders the first-run card when there is no endpoint yet. */
  function renderOnboard() {
    if (store.endpoints.length) {
      els.onboard.hidden = true;
      return;
    }
    const f = endpointForm({
      compact: true, idPrefix: "onboard",
      onDone: (ep, secret) => {
        st.provider = ep.provider;
        st.variant = "";
        st.endpointId = ep.id;
        showSecret(ep, secret);
        fill();
        els.sendBtn.focus();
      },
    });
    replace(els.onboard,
      h("section", { class: "card onboard", "aria-labelledby": "onboard-title" },
        h("h2", { id: "onboard-title", class: "onboard-title" }, "Add your app's webhook URL"),
        h("p", { class: "lead" }, "esimhooks sends signed webhooks to it exactly as the provider would. Then pick an event and press Send."),
        f.form,
        h("p", { class: "hint onboard-more" }, "Just looking? ",
          h("button", { type: "button", class: "linklike", id: "onboard-preview", onclick: () => {
            st.preview = true;
            els.form.hidden = false;
            els.form.querySelector("select")?.focus();
          } }, "Preview the events and payloads first"), ".")));
    els.onboard.hidden = false;
  }

  function showSecret(ep, secret) {
    replace(els.secretSlot, secretNotice(ep, secret, () => replace(els.secretSlot)));
  }

  on("catalogue", () => fill());
  on("endpoints", () => {
    renderOnboard();
    fill();
  });

  return {
    /** Applies #/send?provider=&variant=&event=&endpoint= and shows the secret of a just-added endpoint. */
    show(params) {
      if (params.endpoint && endpoint(params.endpoint)) {
        const ep = endpoint(params.endpoint);
        st.provider = ep.provider;
        st.variant = variant(ep.provider, ep.variant)?.name || "";
        st.endpointId = ep.id;
      }
      if (params.provider && provider(params.provider)) st.provider = params.provider;
      if (params.variant) st.variant = params.variant;
      if (params.event) st.event = params.event;
      if (store.catalogue.providers.length) fill();
    },
    showSecret,
  };
}

/** Resolves once delivery id has an attempt (or after ms). */
function firstAttempt(id, ms) {
  return new Promise((resolve) => {
    if (attemptsOf(id).length) return resolve();
    const off = on("attempt", (a) => {
      if (a.delivery_id !== id) return;
      off();
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      resolve();
    }, ms);
  });
}

/** Says whether the endpoint is subscribed to the event. */
function subscriptionNote(ep, event) {
  if (!ep) return "";
  if (!ep.events?.length || ep.events.includes(event)) return `Signed with this endpoint's secret.`;
  return `Not subscribed to ${event}: sent anyway because it is named.`;
}
