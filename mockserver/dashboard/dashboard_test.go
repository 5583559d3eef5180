package dashboard

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// get serves one request through Handler and returns the recorded answer.
func get(t *testing.T, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesThePageAndAssets(t *testing.T) {
	cases := []struct{ path, contentType, contains string }{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/js/main.js"></script>`},
		{"/index.html", "text/html; charset=utf-8", "<title>esimhooks</title>"},
		{"/js/main.js", "text/javascript; charset=utf-8", "import"},
		{"/css/base.css", "text/css; charset=utf-8", ":root"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, c := range cases {
		res := get(t, http.MethodGet, c.path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", c.path, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != c.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.contentType)
		}
		if b := body(t, res); !strings.Contains(b, c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
	}
}

func TestHandlerSecurityHeaders(t *testing.T) {
	for _, p := range []string{"/", "/js/main.js", "/nope"} {
		res := get(t, http.MethodGet, p, nil)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", p, csp, want)
			}
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("GET %s: CSP %q allows %q", p, csp, bad)
			}
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", p, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q, want no-referrer (a ?token= must not leak)", p, got)
		}
		if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q, want DENY", p, got)
		}
	}
}

func TestHandlerRefusesDirectoriesAndUnknownPaths(t *testing.T) {
	for _, p := range []string{"/js/", "/js", "/css/", "/static/index.html", "/static/", "/nope", "/js/../index.html", "/.git/config", "/dashboard.go"} {
		res := get(t, http.MethodGet, p, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
		if b := body(t, res); strings.Contains(b, "<pre>") || strings.Contains(b, "main.js") {
			t.Errorf("GET %s: looks like a directory listing: %q", p, b)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	res := get(t, http.MethodPost, "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status %d Allow %q, want 405 with Allow: GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
	res = get(t, http.MethodHead, "/", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD /: status %d, want 200 without a body", res.StatusCode)
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	res := get(t, http.MethodGet, "/js/main.js", nil)
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q Cache-Control %q, want an ETag and no-cache", etag, res.Header.Get("Cache-Control"))
	}
	res = get(t, http.MethodGet, "/js/main.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
}

// TestPageHasNoInlineCode checks what the CSP relies on: no inline script,
// style or event handler in the page, and no HTML injection sinks or eval
// in the modules (they build the DOM with createElement and textContent).
func TestPageHasNoInlineCode(t *testing.T) {
	index, err := fs.ReadFile(static, "static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(index)
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(m, "src=") {
			t.Errorf("inline script in index.html: %s", m)
		}
	}
	for _, re := range []string{`<style`, `\sstyle=`, `\son[a-z]+=`, `javascript:`} {
		if regexp.MustCompile(re).MatchString(html) {
			t.Errorf("index.html matches %s (blocked by the CSP)", re)
		}
	}
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\("style"`)
	err = fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		if m := sinks.FindString(string(b)); m != "" {
			t.Errorf("%s uses %s", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReferencesResolve checks that every asset the page links and every
// module a module imports is served.
func TestReferencesResolve(t *testing.T) {
	index := body(t, get(t, http.MethodGet, "/", nil))
	refs := regexp.MustCompile(`(?:src|href)="(/[^"#?]*)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("index.html links %d assets, want the modules, styles and icon", len(refs))
	}
	for _, r := range refs {
		if res := get(t, http.MethodGet, r[1], nil); res.StatusCode != http.StatusOK {
			t.Errorf("index.html links %s: status %d", r[1], res.StatusCode)
		}
	}
	imp := regexp.MustCompile(`from "(\./[^"]+)"`)
	err := fs.WalkDir(static, "static/js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			target := path.Join("/js", m[1])
			if res := get(t, http.MethodGet, target, nil); res.StatusCode != http.StatusOK {
				t.Errorf("%s imports %s: status %d", p, target, res.StatusCode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryModuleIsPreloaded: the page names every module in a
// modulepreload link or a script of its own, so the browser fetches them
// at once rather than import after import before the first request to the
// API (a module added without its link would bring the waterfall back).
func TestEveryModuleIsPreloaded(t *testing.T) {
	index := body(t, get(t, http.MethodGet, "/", nil))
	preloaded := map[string]bool{}
	for _, m := range regexp.MustCompile(`<(?:link rel="modulepreload" href|script type="module" src)="/js/([^"]+)"`).FindAllStringSubmatch(index, -1) {
		preloaded[m[1]] = true
	}
	mods, err := fs.ReadDir(static, "static/js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if n := m.Name(); path.Ext(n) == ".js" && !preloaded[n] {
			t.Errorf("index.html has no modulepreload link for /js/%s", n)
		}
		delete(preloaded, m.Name())
	}
	for n := range preloaded {
		t.Errorf("index.html preloads /js/%s, which is not a module of the page", n)
	}
}
