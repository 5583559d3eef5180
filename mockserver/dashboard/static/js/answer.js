// "Your app's answer": what was just sent and, live, every attempt of it
// with the status, latency and body the app answered.

import { announce, fmtMs, fmtRelative, h, replace, stateBadge, statusBadge } from "./dom.js";
import { prettyRaw } from "./jsonpos.js";
import { href } from "./route.js";
import { attemptsOf, endpointLabel, loadAttempts, on, putDelivery, store } from "./store.js";

const keep = 6;

/** Builds the panel; add(triggerResult, info) shows a send. */
export function answerPanel() {
  const list = h("ol", { class: "answers", id: "answers" });
  const empty = h("div", { class: "empty", id: "answers-empty" },
    h("p", { class: "empty-title" }, "Nothing sent yet"),
    h("ol", { class: "steps" },
      h("li", {}, "Add your app's webhook URL."),
      h("li", {}, "Pick an event, press ", h("strong", {}, "Send"), "."),
      h("li", {}, "Your app's answer shows up here: status, latency, body.")));
  const el = h("aside", { class: "card answer-panel", "aria-labelledby": "answer-title" },
    h("h2", { id: "answer-title", class: "card-title" }, "Your app's answer"), empty, list);

  /** Sends shown, newest first: { res, info, at }. */
  const sends = [];
  const tracked = new Set();
  const fetching = new Map();

  const refresh = (id) => {
    // One attempts request at a time per delivery; a change meanwhile
    // asks for one more.
    if (fetching.has(id)) {
      fetching.set(id, true);
      return;
    }
    fetching.set(id, false);
    loadAttempts(id).catch(() => {}).finally(() => {
      const again = fetching.get(id);
      fetching.delete(id);
      if (again) refresh(id);
      else render();
    });
  };

  const render = () => {
    empty.hidden = sends.length > 0;
    replace(list, ...sends.map((s) => item(s)));
  };

  on("attempt", (a) => {
    if (!tracked.has(a.delivery_id)) return;
    refresh(a.delivery_id);
    announce(`${a.event}, attempt ${a.n}: ${a.status ? `your app answered ${a.status}` : `no answer (${a.error_kind || "error"})`} in ${fmtMs(a.latency_ms)}, ${a.outcome}.`);
  });
  on("log", () => {
    if (sends.length) renderSoon();
  });
  let pending = false;
  const renderSoon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  };

  return {
    el,
    add(res, info) {
      for (const d of res.deliveries) {
        tracked.add(d.id);
        putDelivery({ id: d.id, endpoint_id: d.endpoint_id, state: d.state, provider: res.provider, variant: res.variant,
          event: res.event, event_id: res.event_id, wire_id: d.wire_id, attempts: 0, created_at: new Date().toISOString() });
      }
      sends.unshift({ res, info, at: new Date().toISOString() });
      sends.length = Math.min(sends.length, keep);
      render();
      for (const d of res.deliveries) refresh(d.id);
    },
  };
}

/** One send: the event and a card per delivery. */
function item(s) {
  const { res, info } = s;
  const sub = [res.provider, res.variant, info.edited ? "edited payload" : "generated payload", info.chaos].filter(Boolean).join(" · ");
  return h("li", { class: "answer" },
    h("div", { class: "answer-head" },
      h("span", { class: "event-name mono", text: res.event }),
      h("span", { class: "muted small", text: sub })),
    res.deliveries.length
      ? res.deliveries.map((d) => delivery(d.id))
      : h("p", { class: "muted" }, "No endpoint receives this event: nothing was queued."));
}

/** A delivery's attempts and the latest answer. */
function delivery(id) {
  const d = store.deliveries.get(id) || { id };
  const attempts = attemptsOf(id);
  const last = attempts[attempts.length - 1];
  const waiting = !last;
  const rows = attempts.map((a) =>
    h("li", { class: "attempt-line" },
      h("span", { class: "muted", text: `#${a.n}` }),
      statusBadge(a.status, a.error_kind, a.success),
      h("span", { class: "mono", text: fmtMs(a.latency_ms) }),
      a.error ? h("span", { class: "muted small clip", text: a.error }) : null));
  const body = last?.response_body;
  const pretty = body ? prettyRaw(body) ?? body : null;
  const link = h("a", { class: "btn btn-small", href: href("log", {}, id) }, "Request & response");
  return h("div", { class: "delivery-card", "data-delivery": id },
    h("div", { class: "delivery-card-head" },
      h("span", { class: "mono clip", title: endpointLabel(d.endpoint_id), text: endpointLabel(d.endpoint_id) }),
      stateBadge(waiting && d.state === "pending" ? "pending" : d.state)),
    waiting
      ? h("p", { class: "muted waiting" }, d.next_attempt_at ? `Queued: first attempt ${fmtRelative(d.next_attempt_at)}` : "Sending…")
      : h("ol", { class: "attempt-lines" }, rows),
    last && !last.success && d.state === "pending" && last.next_retry_at
      ? h("p", { class: "muted small" }, `Retry ${fmtRelative(last.next_retry_at)}, as the provider would.`)
      : null,
    last
      ? h("div", { class: "response" },
        h("div", { class: "response-label muted small" }, last.status ? `Your app answered ${last.status}` : `No answer: ${last.error_kind || "error"}`,
          last.response_truncated ? " (first 4 KiB)" : ""),
        pretty ? h("pre", { class: "code small-code", tabindex: "0", text: pretty }) : last.status ? h("p", { class: "muted small" }, "Empty body.") : null)
      : null,
    h("div", { class: "delivery-card-foot" }, link));
}
