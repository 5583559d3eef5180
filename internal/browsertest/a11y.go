package browsertest

import (
	"context"
	"testing"
)

// contrastJS measures, for every visible element holding text of its own,
// the contrast ratio of its text colour on its effective background
// (translucent layers blended down to the white canvas), as WCAG 2.x
// defines it; AA wants 4.5:1, 3:1 for large text (24 px, or 18.66 px
// bold). It returns how many elements it measured and those below AA.
const contrastJS = `(() => {
	const parse = (c) => {
		const m = c.match(/rgba?\(([^)]+)\)/);
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
		return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
	};
	const blend = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
	const lum = (c) => {
		const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
	};
	const background = (el) => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = parse(getComputedStyle(e).backgroundColor);
			if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
		}
		let bg = {r: 255, g: 255, b: 255, a: 1};
		for (const l of layers.reverse()) bg = blend(l, bg);
		return bg;
	};
	let checked = 0;
	const failures = [];
	for (const el of document.querySelectorAll("body *")) {
		if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
		const cs = getComputedStyle(el);
		const box = el.getBoundingClientRect();
		if (cs.display === "none" || cs.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
		const bg = background(el);
		const fg = blend(parse(cs.color), bg);
		const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
		const ratio = (hi + 0.05) / (lo + 0.05);
		const size = parseFloat(cs.fontSize);
		const need = size >= 24 || (size >= 18.66 && parseInt(cs.fontWeight, 10) >= 700) ? 3 : 4.5;
		checked++;
		if (ratio < need) failures.push(el.tagName.toLowerCase() + "." + el.className + " " + JSON.stringify(el.textContent.trim().slice(0, 40)) + ": " + ratio.toFixed(2) + " < " + need);
	}
	return {checked, failures};
})()`

// Contrast fails the test for every text element of the page below WCAG
// AA contrast, and when it measured none (the check proved nothing).
func Contrast(t testing.TB, ctx context.Context, where string) {
	t.Helper()
	res := Eval[struct {
		Checked  int
		Failures []string
	}](t, ctx, contrastJS)
	if res.Checked == 0 {
		t.Errorf("%s: no text element measured for contrast", where)
	}
	for _, f := range res.Failures {
		t.Errorf("%s: contrast below WCAG AA: %s", where, f)
	}
}

// structureJS lists what breaks the page's structure for assistive
// technology: not exactly one h1, a heading level skipped, not exactly one
// main, banner and contentinfo landmark, a table without a header cell, a
// header cell without a scope, an image without alternative text.
const structureJS = `(() => {
	const bad = [];
	const hs = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => +h.tagName[1]);
	if (hs.filter((l) => l === 1).length !== 1) bad.push("want exactly one h1, got " + hs.filter((l) => l === 1).length);
	if (hs[0] !== 1) bad.push("the first heading is h" + hs[0]);
	hs.forEach((l, i) => { if (i > 0 && l > hs[i - 1] + 1) bad.push("heading level skipped: h" + hs[i - 1] + " then h" + l); });
	const count = (css) => document.querySelectorAll(css).length;
	if (count("main, [role=main]") !== 1) bad.push("want one main landmark, got " + count("main, [role=main]"));
	if (count("body > header, [role=banner]") !== 1) bad.push("want one banner landmark");
	if (count("body > footer, [role=contentinfo]") !== 1) bad.push("want one contentinfo landmark");
	for (const table of document.querySelectorAll("table")) {
		if (!table.querySelector("th")) bad.push("a table without header cells");
		if (!table.querySelector("caption") && !table.getAttribute("aria-label")) bad.push("a table without a caption");
	}
	for (const th of document.querySelectorAll("th")) if (!["col", "row"].includes(th.getAttribute("scope"))) bad.push("a th without scope: " + th.textContent.trim());
	for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) bad.push("an image without alt");
	if (!document.documentElement.lang) bad.push("no lang on html");
	return bad;
})()`

// Structure fails the test for each structural accessibility problem of
// the page (structureJS).
func Structure(t testing.TB, ctx context.Context, where string) {
	t.Helper()
	for _, p := range Eval[[]string](t, ctx, structureJS) {
		t.Errorf("%s: %s", where, p)
	}
}

// NoHorizontalScroll fails the test when the page is wider than the
// viewport, naming the widest element that sticks out.
func NoHorizontalScroll(t testing.TB, ctx context.Context, where string) {
	t.Helper()
	res := Eval[struct {
		Scroll, Viewport int
		Widest           string
	}](t, ctx, `(() => {
		const vw = document.documentElement.clientWidth;
		let widest = "", right = vw;
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect().right;
			if (r > right + 0.5) { right = r; widest = el.tagName.toLowerCase() + "." + el.className + " (right edge " + Math.round(r) + " px)"; }
		}
		return {scroll: document.documentElement.scrollWidth, viewport: vw, widest};
	})()`)
	if res.Scroll > res.Viewport || res.Widest != "" {
		t.Errorf("%s: the page scrolls horizontally: %d px wide in a %d px viewport; %s", where, res.Scroll, res.Viewport, res.Widest)
	}
}
