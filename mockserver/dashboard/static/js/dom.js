// DOM helpers shared by the views: element construction, formatting,
// clipboard and screen-reader announcements.

/**
 * Creates an element. attrs: class, text, html is not supported (no inner
 * HTML anywhere, so no injection); on<event> functions become listeners;
 * booleans set or omit attributes; other values become attributes.
 * Children may be nodes, strings, arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "value") el.value = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Returns the element with the given id (throws when it is missing). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** Formats a latency in milliseconds for a table cell. */
export function fmtMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Formats a date-time as local time of day, with the date when not today. */
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

/** Returns "in 3 s" / "3 s ago" for an instant. */
export function fmtRelative(iso) {
  if (!iso) return "";
  const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(s);
  const span = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return s >= 0 ? `in ${span}` : `${span} ago`;
}

/** Returns a percentage like "98.5 %" for a rate in [0, 1], or "—". */
export function fmtRate(r) {
  if (r === null || r === undefined) return "—";
  const p = r * 100;
  return `${p === 100 || p === 0 ? p.toFixed(0) : p.toFixed(1)} %`;
}

/** The CSS modifier for a delivery state or attempt outcome. */
export function stateClass(state) {
  return { delivered: "ok", pending: "wait", failed: "bad", exhausted: "bad", quarantined: "bad" }[state] || "neutral";
}

/** A badge for a delivery state. */
export function stateBadge(state) {
  return h("span", { class: `badge badge-${stateClass(state)}`, text: state || "queued" });
}

/** A badge for an HTTP status (0: no answer, with the error kind). */
export function statusBadge(status, errorKind, success) {
  if (!status) return h("span", { class: "badge badge-bad", text: errorKind || "no answer" });
  const cls = success === undefined ? (status < 300 ? "ok" : "bad") : success ? "ok" : "bad";
  return h("span", { class: `badge badge-${cls} mono`, text: String(status) });
}

/**
 * Copies text to the clipboard and briefly relabels button "Copied".
 * Falls back to a hidden textarea where the Clipboard API is unavailable.
 */
export async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const ta = h("textarea", { class: "sr-only", "aria-hidden": "true" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    ta.remove();
  }
  if (button) {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => {
      button.textContent = label;
    }, 1600);
  }
  announce(ok ? "Copied to the clipboard" : "Copying failed: select the text and copy it by hand");
  return ok;
}

let announcer;

/** Speaks msg to screen readers through the page's polite live region. */
export function announce(msg) {
  announcer ??= document.getElementById("announcer");
  if (!announcer) return;
  announcer.textContent = "";
  // A new text node after clearing makes screen readers repeat equal text.
  requestAnimationFrame(() => {
    announcer.textContent = msg;
  });
}

/** Shows a short notice at the bottom of the page. */
export function toast(msg, kind = "info") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

/** Decodes base64 to a string of bytes shown as hex, for non-UTF-8 bodies. */
export function base64ToHex(b64) {
  try {
    const bin = atob(b64 || "");
    let out = "";
    for (let i = 0; i < bin.length; i++) {
      out += bin.charCodeAt(i).toString(16).padStart(2, "0") + (i % 16 === 15 ? "\n" : " ");
    }
    return out.trim();
  } catch {
    return "";
  }
}

/** Debounces fn by ms. */
export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

let idSeq = 0;

/** Returns a fresh id for label/aria wiring. */
export function uid(prefix = "f") {
  idSeq++;
  return `${prefix}-${idSeq}`;
}

/** A labelled form field: returns { wrap, input }. */
export function field(label, input, hint) {
  const id = input.id || uid();
  input.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute("aria-describedby", hintEl.id);
  const wrap = h("div", { class: "field" }, h("label", { for: id, text: label }), input, hintEl);
  return { wrap, input };
}

/** Fills a select with options [{value, label, group?}] keeping value when possible. */
export function setOptions(select, options, value) {
  const old = value ?? select.value;
  // Rebuilding an unchanged list would close an open dropdown: skip it.
  const sig = JSON.stringify(options);
  if (select.dataset.sig === sig) {
    if (options.some((o) => o.value === old)) select.value = old;
    return select.value;
  }
  select.dataset.sig = sig;
  select.replaceChildren();
  const groups = new Map();
  for (const o of options) {
    const opt = h("option", { value: o.value, disabled: o.disabled }, o.label ?? o.value);
    if (o.group) {
      if (!groups.has(o.group)) {
        const g = h("optgroup", { label: o.group });
        groups.set(o.group, g);
        select.append(g);
      }
      groups.get(o.group).append(opt);
    } else {
      select.append(opt);
    }
  }
  if (options.some((o) => o.value === old)) select.value = old;
  return select.value;
}
