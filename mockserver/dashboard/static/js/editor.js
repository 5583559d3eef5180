// The payload editor: a plain textarea with line numbers and error marks.
// Lines with a problem get a red number and band; messages are listed
// under the editor, each a button that selects its line.

import { h } from "./dom.js";

/**
 * Creates an editor. opts.label names it, opts.onInput is called after
 * every edit. Returns { el, textarea, value, setValue, mark, focusLine }.
 */
export function createEditor({ id, label, onInput }) {
  const textarea = h("textarea", {
    id, class: "code-input", spellcheck: "false", autocomplete: "off", autocapitalize: "off",
    wrap: "off", "aria-describedby": `${id}-problems`,
  });
  const gutter = h("div", { class: "code-gutter", "aria-hidden": "true" });
  const bands = h("div", { class: "code-bands", "aria-hidden": "true" });
  const frame = h("div", { class: "code-frame" }, gutter, h("div", { class: "code-area" }, bands, textarea));
  const problems = h("ul", { class: "code-problems", id: `${id}-problems`, "aria-live": "polite" });
  const keys = h("p", { class: "hint", id: `${id}-keys` }, "Tab indents; press Esc, then Tab, to leave the editor.");
  textarea.setAttribute("aria-describedby", `${id}-problems ${id}-keys`);
  const el = h("div", { class: "code-editor" },
    h("div", { class: "code-label" }, h("label", { for: id, class: "label", text: label }), keys), frame, problems);

  let marks = new Map(); // line → messages

  const renderLines = () => {
    const n = textarea.value.split("\n").length;
    if (gutter.childElementCount !== n) {
      gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h("div", { text: String(i + 1) })));
      bands.replaceChildren(...Array.from({ length: n }, () => h("div")));
    }
    [...gutter.children].forEach((d, i) => d.classList.toggle("bad", marks.has(i + 1)));
    [...bands.children].forEach((d, i) => d.classList.toggle("bad", marks.has(i + 1)));
    sync();
  };
  const sync = () => {
    gutter.scrollTop = textarea.scrollTop;
    bands.style.transform = `translate(${-textarea.scrollLeft}px, ${-textarea.scrollTop}px)`;
  };
  textarea.addEventListener("scroll", sync);
  textarea.addEventListener("input", () => {
    renderLines();
    onInput?.();
  });
  textarea.addEventListener("keydown", (e) => {
    // Tab indents inside the editor; Escape then Tab leaves it (keyboard trap
    // avoided: Escape blurs the textarea's tab handling for one press).
    if (e.key === "Escape") {
      textarea.dataset.tabOut = "1";
      return;
    }
    if (e.key === "Tab" && !e.shiftKey && !textarea.dataset.tabOut && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      document.execCommand("insertText", false, "  ");
    }
    if (e.key !== "Escape") delete textarea.dataset.tabOut;
  });

  /** Selects line n and scrolls to it. */
  const focusLine = (n) => {
    const lines = textarea.value.split("\n");
    let start = 0;
    for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
    const end = start + (lines[n - 1] ?? "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    const lh = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (n - 3) * lh);
    sync();
  };

  /**
   * Marks problems: a list of { line, where, message }. An empty list
   * clears every mark.
   */
  const mark = (list) => {
    marks = new Map();
    for (const p of list) {
      if (!marks.has(p.line)) marks.set(p.line, []);
      marks.get(p.line).push(p.message);
    }
    problems.replaceChildren(
      ...list.map((p) =>
        h("li", {},
          h("button", { type: "button", class: "linklike", onclick: () => focusLine(p.line) }, `Line ${p.line}`),
          p.where ? h("code", { text: p.where }) : null,
          h("span", { text: p.message })),
      ),
    );
    textarea.setAttribute("aria-invalid", list.length ? "true" : "false");
    renderLines();
  };

  const setValue = (v) => {
    textarea.value = v;
    textarea.scrollTop = 0;
    renderLines();
  };

  renderLines();
  return { el, textarea, value: () => textarea.value, setValue, mark, focusLine };
}
