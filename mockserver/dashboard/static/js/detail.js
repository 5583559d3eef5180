// One delivery: its facts, every attempt's exact request (headers with the
// signature, body pretty-printed and raw) and response, and the Resend and
// Retry now actions.

import { api, ApiError, seg } from "./api.js";
import { describeChaos } from "./chaos.js";
import { base64ToHex, copyText, fmtMs, fmtRelative, fmtTime, h, replace, stateBadge, statusBadge, toast } from "./dom.js";
import { prettyRaw } from "./jsonpos.js";
import { absolute, go, href } from "./route.js";
import { attemptsOf, endpoint, endpointLabel, loadAttempts, on, putDelivery, variant } from "./store.js";

let root;
let cur = { id: "", n: 0, filters: {}, delivery: null, error: null, bodyMode: "pretty" };
let loading = 0;

/** Sets up the detail panel in el; it follows live attempts of the open delivery. */
export function initDetail(el) {
  root = el;
  on("attempt", (a) => {
    if (a.delivery_id === cur.id) load(false);
  });
}

/** Opens delivery id (attempt n, 0 for the latest) keeping the log's filters for links. */
export function showDetail(id, n, filters) {
  const same = id === cur.id;
  cur = { ...cur, id, n, filters };
  if (!id) return;
  if (same && cur.delivery) render();
  load(!same);
}

async function load(fresh) {
  const id = cur.id;
  const seq = ++loading;
  if (fresh) {
    cur.delivery = null;
    cur.error = null;
    replace(root, h("article", { class: "card detail", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading the delivery…")));
  }
  try {
    const [d] = await Promise.all([api("GET", `/api/deliveries/${seg(id)}`), loadAttempts(id)]);
    if (seq !== loading || id !== cur.id) return;
    putDelivery(d);
    cur.delivery = d;
    cur.error = null;
  } catch (err) {
    if (seq !== loading) return;
    cur.error = err;
  }
  render();
}

function render() {
  if (!root || !cur.id) return;
  const close = h("button", { type: "button", class: "btn btn-quiet btn-icon", id: "detail-close", "aria-label": "Close the delivery", onclick: () => go(href("log", cur.filters)) }, "×");
  if (cur.error) {
    const msg = cur.error instanceof ApiError && cur.error.status === 404 ? "This delivery is not in the log (the server may have been restarted with a memory store)." : cur.error.message;
    replace(root, h("article", { class: "card detail", "aria-labelledby": "detail-title" },
      h("div", { class: "detail-head" }, h("h2", { id: "detail-title", class: "card-title" }, "Delivery not found"), close),
      h("p", {}, msg)));
    return;
  }
  if (!cur.delivery) return;
  const d = cur.delivery;
  const attempts = attemptsOf(d.id);
  const a = attempts.find((x) => x.n === cur.n) || attempts[attempts.length - 1];
  const v = variant(d.provider, d.variant);
  const ep = endpoint(d.endpoint_id);

  const resend = h("button", { type: "button", class: "btn btn-primary", id: "detail-resend", onclick: () => doResend(d) }, "Resend");
  const retry = d.state === "pending"
    ? h("button", { type: "button", class: "btn", id: "detail-retry", onclick: () => doRetry(d) }, "Retry now")
    : null;
  const link = h("button", { type: "button", class: "btn", id: "detail-copy-link", onclick: (e) => copyText(absolute(href("log", {}, d.id)), e.currentTarget) }, "Copy link");
  const curl = a ? h("button", { type: "button", class: "btn", onclick: (e) => copyText(curlOf(a, d), e.currentTarget) }, "Copy as cURL") : null;

  const facts = [
    ["Delivery", d.id], ["Wire id", d.wire_id], ["Idempotency key", d.key], ["Event id", d.event_id],
    ["Created", `${fmtTime(d.created_at)}`], ["Attempts", String(d.attempts)],
    d.state === "pending" && d.next_attempt_at ? ["Next attempt", `${fmtTime(d.next_attempt_at)} (${fmtRelative(d.next_attempt_at)})`] : null,
    d.resend_of ? ["Resend of", h("a", { href: href("log", cur.filters, d.resend_of), class: "mono" }, d.resend_of)] : null,
    d.copy_of ? ["Duplicate of", h("a", { href: href("log", cur.filters, d.copy_of), class: "mono" }, d.copy_of)] : null,
    describeChaos(d.chaos) ? ["Chaos", describeChaos(d.chaos)] : null,
  ].filter((f) => f && f[1]);

  replace(root, h("article", { class: "card detail", "aria-labelledby": "detail-title" },
    h("div", { class: "detail-head" },
      h("div", { class: "detail-title-wrap" },
        h("h2", { id: "detail-title", class: "card-title mono" }, d.event),
        h("p", { class: "muted small" }, `${d.provider} ${d.variant || ""} → `, h("span", { class: "mono" }, ep ? ep.url : endpointLabel(d.endpoint_id)))),
      stateBadge(d.state), close),
    h("div", { class: "actions detail-actions" }, resend, retry, link, curl),
    h("dl", { class: "facts" }, facts.map(([k, val]) => [h("dt", { text: k }), h("dd", { class: typeof val === "string" ? "mono" : "" }, val)])),
    attempts.length > 1 ? attemptTabs(attempts, a) : null,
    a ? request(a, d, v) : h("section", { class: "pane" }, h("h3", {}, "Request"), h("p", { class: "muted" }, "Not sent yet."), bodyBlock(d)),
    a ? response(a) : null));
}

/** Buttons to switch between attempts, as a tab list. */
function attemptTabs(attempts, a) {
  const tabs = attempts.map((x) => h("button", {
    type: "button", role: "tab", class: "tab", id: `attempt-tab-${x.n}`, "aria-selected": x.n === a.n ? "true" : "false",
    tabindex: x.n === a.n ? "0" : "-1", "aria-controls": "attempt-panel",
    onclick: () => go(href("log", { ...cur.filters, attempt: x.n }, cur.id), true),
  }, `#${x.n} `, statusBadge(x.status, x.error_kind, x.success)));
  const list = h("div", { role: "tablist", class: "tabs", "aria-label": "Attempts" }, tabs);
  list.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const j = e.key === "ArrowRight" ? (i + 1) % tabs.length : e.key === "ArrowLeft" ? (i - 1 + tabs.length) % tabs.length : -1;
    if (j >= 0) {
      e.preventDefault();
      tabs[j].focus();
      tabs[j].click();
    }
  });
  return list;
}

function request(a, d, v) {
  const sigHeader = (v?.signature?.header || "").toLowerCase();
  return h("section", { class: "pane", id: "attempt-panel", role: attemptsOf(d.id).length > 1 ? "tabpanel" : undefined, "aria-labelledby": "req-title" },
    h("h3", { id: "req-title" }, `Request · attempt ${a.n}`, h("span", { class: "muted small" }, ` ${fmtTime(a.started_at)}`)),
    h("p", { class: "request-line mono" }, h("strong", {}, "POST "), a.url),
    headersTable(a.request_headers, (name) => name.toLowerCase() === sigHeader || /signature/i.test(name), "request-headers"),
    bodyBlock(d));
}

function response(a) {
  const body = a.response_body;
  const pretty = body ? prettyRaw(body) : null;
  return h("section", { class: "pane", "aria-labelledby": "res-title" },
    h("h3", { id: "res-title" }, "Response"),
    h("p", { class: "response-line" }, statusBadge(a.status, a.error_kind, a.success), " ",
      h("span", { class: "mono" }, fmtMs(a.latency_ms)), h("span", { class: "muted" }, "· outcome"), stateBadge(a.outcome),
      a.next_retry_at ? h("span", { class: "muted" }, ` · retry ${fmtRelative(a.next_retry_at)}`) : null),
    a.error ? h("p", { class: "error-text" }, h("strong", {}, `${a.error_kind || "error"}: `), a.error) : null,
    a.response_headers ? headersTable(a.response_headers, () => false, "response-headers") : null,
    body === null && a.response_body_base64
      ? h("pre", { class: "code", tabindex: "0", id: "response-body" }, base64ToHex(a.response_body_base64))
      : body ? h("pre", { class: "code", tabindex: "0", id: "response-body" }, pretty ?? body) : a.status ? h("p", { class: "muted" }, "Empty body.") : null,
    a.response_truncated ? h("p", { class: "hint" }, "Only the first 4 KiB of the answer are kept.") : null);
}

function headersTable(headers, highlight, id) {
  const names = Object.keys(headers || {}).sort();
  if (!names.length) return null;
  return h("table", { class: "headers", id },
    h("caption", { class: "sr-only" }, id === "request-headers" ? "Request headers" : "Response headers"),
    h("tbody", {}, names.flatMap((n) => headers[n].map((val) => h("tr", { class: highlight(n) ? "sig" : "" },
      h("th", { scope: "row", class: "mono" }, n, highlight(n) ? h("span", { class: "badge badge-info" }, "signature") : null),
      h("td", { class: "mono" }, val))))));
}

/** The delivery's body with Pretty and Raw views. */
function bodyBlock(d) {
  const raw = d.body ?? null;
  const pretty = raw ? prettyRaw(raw) : null;
  const mode = pretty ? cur.bodyMode : "raw";
  const pre = h("pre", { class: mode === "raw" ? "code wrap" : "code", tabindex: "0", id: "request-body" },
    raw === null ? base64ToHex(d.body_base64) : mode === "pretty" ? pretty : raw);
  const btn = (m, label) => h("button", { type: "button", class: "seg", "aria-pressed": mode === m ? "true" : "false", disabled: !pretty && m === "pretty",
    onclick: () => {
      cur.bodyMode = m;
      render();
    } }, label);
  return h("div", { class: "body-block" },
    h("div", { class: "body-head" }, h("h4", {}, "Body"),
      h("div", { class: "segmented", role: "group", "aria-label": "Body view" }, btn("pretty", "Pretty"), btn("raw", "Raw bytes")),
      h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: (e) => copyText(raw ?? "", e.currentTarget) }, "Copy body")),
    mode === "raw" && raw !== null ? h("p", { class: "hint" }, "Exactly the bytes sent; the signature covers these.") : null,
    pre);
}

function curlOf(a, d) {
  const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
  const hs = Object.entries(a.request_headers || {}).flatMap(([k, vs]) => vs.map((v) => `  -H ${q(`${k}: ${v}`)}`));
  return [`curl -X POST ${q(a.url)}`, ...hs, `  --data-binary ${q(d.body ?? "")}`].join(" \\\n");
}

async function doResend(d) {
  try {
    const nd = await api("POST", `/api/deliveries/${seg(d.id)}/resend`);
    putDelivery(nd);
    toast(`Resent as ${nd.id}: same body and wire id, fresh signature.`);
    go(href("log", cur.filters, nd.id));
  } catch (err) {
    toast(err instanceof ApiError ? err.describe() : String(err), "error");
  }
}

async function doRetry(d) {
  try {
    const nd = await api("POST", `/api/deliveries/${seg(d.id)}/retry`);
    putDelivery(nd);
    cur.delivery = { ...cur.delivery, ...nd };
    toast("The next attempt is due now.");
    render();
  } catch (err) {
    toast(err instanceof ApiError ? err.describe() : String(err), "error");
  }
}
