package htmlreport_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/conformance/htmlreport"
	bt "github.com/esimhooks/esimhooks/internal/browsertest"
)

// writeFile writes r's page to a temporary file and returns its file: URL.
func writeFile(t *testing.T, r *htmlreport.Report) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Write(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// notInjected fails the test when the hostile evidence became markup or
// ran: the title changed, an element of its own exists, or its text is not
// shown as text.
func notInjected(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	res := bt.Eval[struct {
		Title    string
		Elements int
		Shown    bool
	}](t, ctx, `({title: document.title,
		elements: document.querySelectorAll("script, img, #injected, iframe, object, embed, link").length,
		shown: document.body.innerText.includes('<script>document.title="pwned"</script>')})`)
	if res.Title == "pwned" || res.Elements != 0 || !res.Shown {
		t.Errorf("%s: hostile evidence: title %q, %d foreign elements, shown as text %v", where, res.Title, res.Elements, res.Shown)
	}
}

// printView checks the page as printed: no content hidden (only the skip
// link is), every requirement laid out, failures before the rest.
func printView(t *testing.T, ctx context.Context, want int) {
	t.Helper()
	bt.Do(t, ctx, "emulating print", bt.EmulateMedia("print"))
	defer bt.Do(t, ctx, "ending print emulation", bt.EmulateMedia(""))
	res := bt.Eval[struct {
		Print    bool
		Hidden   []string
		Shown    int
		Outcomes []string
	}](t, ctx, `(() => {
		const hidden = [...document.querySelectorAll("body *")]
			.filter((el) => !el.classList.contains("skip-link") && (getComputedStyle(el).display === "none" || getComputedStyle(el).visibility === "hidden"))
			.map((el) => el.tagName.toLowerCase() + "." + el.className);
		const reqs = [...document.querySelectorAll("article.req")];
		return {print: matchMedia("print").matches, hidden,
			shown: reqs.filter((el) => el.getBoundingClientRect().height > 0 && el.innerText.includes(el.id.slice(4))).length,
			outcomes: reqs.map((el) => el.dataset.outcome)};
	})()`)
	if !res.Print {
		t.Fatal("print media not emulated")
	}
	if len(res.Hidden) > 0 {
		t.Errorf("print: hidden content %v", res.Hidden)
	}
	if res.Shown != want {
		t.Errorf("print: %d requirements laid out, want %d", res.Shown, want)
	}
	rank := map[string]int{htmlreport.Failed: 0, htmlreport.NotRun: 0, htmlreport.Blocked: 1}
	last := 0
	for _, o := range res.Outcomes {
		r, ok := rank[o]
		if !ok {
			r = 2
		}
		if r < last {
			t.Errorf("print: a %s requirement comes after one that did not fail: %v", o, res.Outcomes)
			break
		}
		last = r
	}
	bt.Contrast(t, ctx, "print")
}

// TestReportPageInBrowser loads the page of a failed run with every
// outcome, hostile evidence and an unbreakable 300-character token, at a
// phone's 390 px and a desktop's 1280 px and in print: no horizontal
// scroll, WCAG AA contrast for every text element, one h1 and no skipped
// heading level, landmarks, table headers with scope, nothing injected,
// every requirement printed with failures first.
func TestReportPageInBrowser(t *testing.T) {
	ctx := bt.Start(t)
	r := sample()
	url := writeFile(t, r)
	for _, width := range []int64{390, 1280} {
		where := map[int64]string{390: "390 px", 1280: "1280 px"}[width]
		bt.Do(t, ctx, "opening the report at "+where, chromedp.EmulateViewport(width, 844), chromedp.Navigate(url))
		bt.NoHorizontalScroll(t, ctx, where)
		bt.Contrast(t, ctx, where)
		bt.Structure(t, ctx, where)
		notInjected(t, ctx, where)
	}
	printView(t, ctx, len(r.Requirements))

	// Every verdict's badge keeps its contrast.
	for _, v := range []string{"passed", "nothing tested", "dry run"} {
		r := sample()
		r.Verdict = v
		bt.Do(t, ctx, "opening a "+v+" report", chromedp.EmulateViewport(390, 844), chromedp.Navigate(writeFile(t, r)))
		bt.Contrast(t, ctx, v)
		bt.NoHorizontalScroll(t, ctx, v)
	}
}
