// Package dashboard serves the web page of esimhooks serve: a framework-free
// page (plain HTML, CSS and ES modules, embedded in the binary, no build
// step) that shows the live delivery log, triggers events, manages
// endpoints and runs scenarios through the control API under /api/.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows only the page's own scripts, styles and
// images and API calls to its own origin: no inline script or style, no
// framing, no plugins.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// contentTypes maps the extensions of the embedded files to their media
// types, so that serving does not depend on the host's MIME database.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

// asset is one embedded file ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler returns the dashboard: the page at "/" (and "/index.html") and
// its assets at their paths under static/. Anything else, directories
// included, is 404; only GET and HEAD are allowed. Every answer carries a
// strict Content-Security-Policy and the other security headers.
func Handler() http.Handler {
	assets, err := load()
	if err != nil {
		// The files are embedded at build time, so this cannot happen in
		// a binary that compiled.
		panic("dashboard: " + err.Error())
	}
	return &handler{assets: assets}
}

// load reads every embedded file into memory with its media type and ETag.
func load() (map[string]*asset, error) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	assets := map[string]*asset{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		assets["/"+p] = &asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	return assets, err
}

type handler struct {
	assets map[string]*asset
}

// ServeHTTP answers GET and HEAD for the page and its assets.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/" {
		p = "/index.html"
	}
	a, ok := h.assets[p]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	hd.Set("Content-Type", a.contentType)
	hd.Set("ETag", a.etag)
	// The page and its modules change with the binary: revalidate every
	// time (cheap, thanks to the ETag) so an upgrade never mixes versions.
	hd.Set("Cache-Control", "no-cache")
	// ServeContent handles If-None-Match, HEAD and ranges; a zero modtime
	// leaves Last-Modified out.
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(a.body))
}
