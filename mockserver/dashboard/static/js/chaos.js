// The chaos fields (duplicates, delay, reorder, …) shared by the send form
// and the endpoint form.

import { h, uid } from "./dom.js";

const durationRe = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

const fields = [
  { key: "duplicates", label: "Duplicates", kind: "int", max: 100, hint: "Extra byte-identical copies." },
  { key: "delay", label: "Delay", kind: "dur", hint: "Hold before the first attempt, e.g. 5s." },
  { key: "reorder_window", label: "Reorder window", kind: "dur", hint: "Shuffle what arrives within it, e.g. 2s." },
  { key: "duplicate_spacing", label: "Duplicate spacing", kind: "dur", hint: "Gap between copies; empty sends them together." },
  { key: "jitter", label: "Jitter", kind: "dur", hint: "Random extra delay, up to this." },
  { key: "cut_after_body", label: "Lost acks", kind: "int", max: 100, hint: "Cut the first N attempts after the body: your app processes, the provider retries." },
];

/**
 * Builds the chaos fieldset. Returns { el, value, setValue, check }:
 * value() is the Chaos object (only set fields) or null when empty;
 * check() marks invalid fields and returns whether all are valid.
 */
export function chaosFields({ legend = "Chaos" } = {}) {
  const inputs = new Map();
  const grid = h("div", { class: "chaos-grid" });
  for (const f of fields) {
    const id = uid("chaos");
    const input = h("input", {
      id, name: f.key, class: "input",
      type: f.kind === "int" ? "number" : "text",
      inputmode: f.kind === "int" ? "numeric" : "text",
      min: f.kind === "int" ? "0" : undefined, max: f.max, step: f.kind === "int" ? "1" : undefined,
      placeholder: f.kind === "int" ? "0" : "0s", autocomplete: "off",
      "aria-describedby": `${id}-hint`,
    });
    const err = h("p", { class: "field-error", id: `${id}-err`, hidden: true });
    inputs.set(f.key, { input, err, f });
    grid.append(h("div", { class: "field" }, h("label", { for: id, text: f.label }), input,
      h("p", { class: "hint", id: `${id}-hint`, text: f.hint }), err));
  }
  const el = h("fieldset", { class: "chaos" }, h("legend", { class: "sr-only", text: legend }), grid);

  const check = () => {
    let ok = true;
    for (const { input, err, f } of inputs.values()) {
      const v = input.value.trim();
      let msg = "";
      if (v && f.kind === "int" && !(/^[0-9]+$/.test(v) && Number(v) <= f.max)) msg = `A whole number from 0 to ${f.max}.`;
      if (v && f.kind === "dur" && !durationRe.test(v) && !/^[0-9]+$/.test(v)) msg = 'A duration such as "250ms", "5s" or "1m30s".';
      err.textContent = msg;
      err.hidden = !msg;
      input.setAttribute("aria-invalid", msg ? "true" : "false");
      if (msg) {
        input.setAttribute("aria-describedby", `${err.id} ${input.id}-hint`);
        ok = false;
      }
    }
    return ok;
  };

  const value = () => {
    const out = {};
    for (const [k, { input, f }] of inputs) {
      const v = input.value.trim();
      if (!v) continue;
      if (f.kind === "int") {
        if (Number(v) > 0) out[k] = Number(v);
      } else if (/^[0-9]+$/.test(v)) {
        if (Number(v) > 0) out[k] = Number(v);
      } else {
        out[k] = v;
      }
    }
    return Object.keys(out).length ? out : null;
  };

  const setValue = (c = {}) => {
    for (const [k, { input }] of inputs) {
      const v = c?.[k];
      input.value = v === undefined || v === null || v === 0 || v === "0s" ? "" : String(v);
    }
  };

  /** Sets one field (e.g. set("delay", "5s")). */
  const set = (k, v) => {
    inputs.get(k).input.value = v;
  };

  return { el, value, setValue, set, check };
}

/** Describes a Chaos object in a few words ("2 duplicates, delay 5s"). */
export function describeChaos(c) {
  if (!c) return "";
  const parts = [];
  if (c.duplicates) parts.push(`${c.duplicates} duplicate${c.duplicates > 1 ? "s" : ""}`);
  if (c.delay) parts.push(`delay ${fmtDur(c.delay)}`);
  if (c.reorder_window) parts.push(`reorder ${fmtDur(c.reorder_window)}`);
  if (c.jitter) parts.push(`jitter ${fmtDur(c.jitter)}`);
  if (c.cut_after_body) parts.push(`${c.cut_after_body} lost ack${c.cut_after_body > 1 ? "s" : ""}`);
  return parts.join(", ");
}

function fmtDur(d) {
  return typeof d === "number" ? `${d}ms` : d;
}
