// The endpoint form (add and edit) and the one-time secret notice.

import { api, ApiError, seg } from "./api.js";
import { chaosFields } from "./chaos.js";
import { copyText, field, h, setOptions, uid } from "./dom.js";
import { loadEndpoints, provider, store, variant } from "./store.js";

/** The provider a first endpoint most likely wants: one with order.completed. */
export function defaultProvider() {
  const ps = store.catalogue.providers;
  const has = (p) => p.variants.some((v) => v.events.some((e) => e.name === "order.completed"));
  return (ps.find(has) || ps[0])?.name || "";
}

/**
 * Builds the endpoint form. With endpoint set it edits that endpoint
 * (PATCH), otherwise it adds one (POST). compact shows only URL and
 * provider (the first-run form). onDone(endpoint, secret) runs after
 * success; onCancel, when given, adds a Cancel button.
 */
export function endpointForm({ endpoint, compact = false, onDone, onCancel, idPrefix = "ep" }) {
  const editing = !!endpoint;
  const url = h("input", {
    id: `${idPrefix}-url`, name: "url", class: "input mono", type: "url", required: true, autocomplete: "url",
    placeholder: "e.g. http://localhost:3000/webhooks/esimfly", value: endpoint?.url || "",
  });
  const prov = h("select", { id: `${idPrefix}-provider`, name: "provider", class: "input", disabled: editing });
  const vari = h("select", { id: `${idPrefix}-variant`, name: "variant", class: "input" });
  const desc = h("input", { id: `${idPrefix}-desc`, class: "input", type: "text", maxlength: "500", value: endpoint?.description || "" });
  const secret = h("input", { id: `${idPrefix}-secret`, class: "input mono", type: "text", maxlength: "512", autocomplete: "off", placeholder: "generated in the provider's format" });
  const disabled = h("input", { id: `${idPrefix}-disabled`, type: "checkbox", checked: !!endpoint?.disabled });
  const eventsBox = h("div", { class: "checks" });
  const eventsSummary = h("summary", {}, "Events: all");
  const chaos = chaosFields({ legend: "Chaos for every delivery to this endpoint" });
  if (endpoint) chaos.setValue(endpoint.chaos);
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: compact ? "btn btn-primary btn-lg" : "btn btn-primary" },
    editing ? "Save changes" : compact ? "Add endpoint" : "Add endpoint");

  const fillProviders = () => {
    setOptions(prov, store.catalogue.providers.map((p) => ({ value: p.name, label: p.title || p.name })),
      endpoint?.provider || prov.value || defaultProvider());
  };
  const fillVariants = () => {
    const p = provider(prov.value);
    const vs = p?.variants || [];
    setOptions(vari, vs.map((v) => ({ value: v.default ? "" : v.name, label: v.default ? `${v.name} (default)` : v.name })),
      endpoint ? (variant(endpoint.provider, endpoint.variant)?.default ? "" : endpoint.variant) : "");
    fillEvents();
  };
  const fillEvents = () => {
    const v = variant(prov.value, vari.value);
    const chosen = new Set(endpoint?.events || []);
    eventsBox.replaceChildren(...(v?.events || []).filter((e) => !e.internal).map((e) => {
      const id = uid("ev");
      return h("div", { class: "check" },
        h("input", { type: "checkbox", id, value: e.name, checked: chosen.has(e.name), onchange: summarise }),
        h("label", { for: id, class: "mono", text: e.name }));
    }));
    summarise();
  };
  const summarise = () => {
    const n = eventsBox.querySelectorAll("input:checked").length;
    eventsSummary.textContent = n ? `Events: ${n} chosen` : "Events: all";
  };
  prov.addEventListener("change", fillVariants);
  vari.addEventListener("change", fillEvents);
  fillProviders();
  fillVariants();

  const more = h("details", { class: "more", open: editing }, h("summary", {}, editing ? "Variant, description, events, chaos" : "More options: variant, events, secret, chaos"),
    h("div", { class: "form-grid" },
      field("Variant", vari).wrap,
      field("Description", desc, "For you; shown in lists.").wrap,
      editing ? null : field("Secret", secret, "Leave empty to get one in the provider's format.").wrap,
      editing ? h("div", { class: "check" }, disabled, h("label", { for: disabled.id, text: "Paused (receives nothing)" })) : null),
    h("details", { class: "more inner" }, eventsSummary, h("p", { class: "hint", text: "None checked means every public event." }), eventsBox),
    h("details", { class: "more inner" }, h("summary", {}, "Chaos for every delivery"), chaos.el));

  const main = h("div", { class: compact ? "form-row onboard-row" : "form-grid" },
    field("Your app's webhook URL", url, compact ? null : "http or https; loopback is fine.").wrap,
    field("Provider", prov).wrap);

  const form = h("form", { class: "endpoint-form", novalidate: true },
    main, compact ? null : more, error,
    h("div", { class: "actions" }, submit,
      onCancel ? h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel") : null));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    url.setAttribute("aria-invalid", "false");
    if (!/^https?:\/\/[^\s/?#]+/i.test(url.value.trim())) {
      return showError("Enter an http:// or https:// URL, e.g. http://localhost:3000/webhooks.", url);
    }
    if (!chaos.check()) return showError("Fix the chaos fields.");
    const events = [...eventsBox.querySelectorAll("input:checked")].map((i) => i.value);
    const body = { url: url.value.trim() };
    if (!editing) body.provider = prov.value;
    if (vari.value || editing) body.variant = vari.value || variant(prov.value, "")?.name;
    if (!editing || (endpoint.events || []).join() !== events.join()) body.events = events;
    if (desc.value.trim() || editing) body.description = desc.value.trim();
    if (!editing && secret.value.trim()) body.secret = secret.value.trim();
    if (editing) body.disabled = disabled.checked;
    const c = chaos.value();
    if (c || editing) body.chaos = c || {};
    submit.disabled = true;
    try {
      const res = editing
        ? await api("PATCH", `/api/endpoints/${seg(endpoint.id)}`, body)
        : await api("POST", "/api/endpoints", body);
      await loadEndpoints();
      onDone?.(res, res.secret);
    } catch (err) {
      const target = err instanceof ApiError && err.problem.errors?.some((x) => x.pointer === "/url") ? url : null;
      showError(err instanceof ApiError ? err.describe() : String(err), target);
    } finally {
      submit.disabled = false;
    }
  });

  function showError(msg, input) {
    error.textContent = msg;
    error.hidden = false;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }

  return { form, focus: () => url.focus(), refresh: () => { fillProviders(); fillVariants(); } };
}

/**
 * The one-time secret notice for an endpoint just added or rotated:
 * the secret, a copy button and the header the app checks it against.
 */
export function secretNotice(ep, secret, onDismiss) {
  const v = variant(ep.provider, ep.variant);
  const sig = v?.signature;
  const code = h("code", { class: "secret mono", id: uid("secret"), tabindex: "0" }, secret);
  const copy = h("button", { type: "button", class: "btn btn-primary", onclick: (e) => copyText(secret, e.currentTarget) }, "Copy secret");
  return h("div", { class: "notice notice-secret", role: "region", "aria-label": "Signing secret" },
    h("h3", {}, "Signing secret: shown only now"),
    h("p", {}, "Copy it into your app's configuration. ",
      sig?.header ? ["Your app checks every delivery's ", h("code", { text: sig.header }), " header with it", sig.scheme ? ` (${sig.scheme})` : "", "."] : ""),
    h("div", { class: "secret-row" }, code, copy),
    h("p", { class: "hint" }, "Lost it? Rotate the secret on the Endpoints page to get a new one."),
    onDismiss ? h("button", { type: "button", class: "btn btn-small", onclick: onDismiss }, "I've saved it") : null);
}
