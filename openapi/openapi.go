// Package openapi embeds the OpenAPI 3.1 descriptions of the providers'
// webhooks (one document per provider, under `webhooks`) and loads them with
// kin-openapi.
//
// The provider documents are generated from the provider profiles and
// their schemas (Generate; `go generate ./openapi` rewrites them, and
// TestCommittedDocumentsAreCurrent fails when one is stale), so a provider
// is a profile and its schemas, nothing written here by hand.
//
// Each provider document carries the payload schemas it needs as
// components (bundled by Generate from package schemas, named like
// "esimfly.2025-01.order.completed" and "common.iccid"), so it stands alone
// for any tool. A document that references ../schemas/<path> (the mock
// server's and the probe's may) is resolved from schemas.FS, so loading
// works from the installed binary: no disk, no network.
package openapi

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	catalogue "github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/schemas"
)

//go:generate go run ./gen -out .

// FS holds the OpenAPI documents of this directory.
//
//go:embed *.yaml
var FS embed.FS

// Providers returns the names of the shipped providers (the catalogue of
// package providers), sorted; each has a webhooks document, which
// Load(name + ".yaml") loads. FS holds other documents too (the mock
// server's and the probe's own APIs).
func Providers() []string {
	return catalogue.MustBuiltin().Names()
}

// Load loads the embedded document name (e.g. "esimfly.yaml"; the ".yaml"
// may be omitted), resolves its references (those into ../schemas/ from
// schemas.FS) and validates it. Each call returns a fresh document.
func Load(name string) (*openapi3.T, error) {
	return LoadContext(context.Background(), name)
}

// LoadContext is Load with a context for the loader and the validation.
func LoadContext(ctx context.Context, name string) (*openapi3.T, error) {
	if !strings.HasSuffix(name, ".yaml") {
		name += ".yaml"
	}
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		return nil, fmt.Errorf("openapi: bad document name %q", name)
	}
	data, err := FS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return LoadData(ctx, name, data)
}

// LoadData loads document data (for example Generate's output) as if it
// were the embedded document name: references into ../schemas/ resolve
// from schemas.FS. It validates the document.
func LoadData(ctx context.Context, name string, data []byte) (*openapi3.T, error) {
	loader := NewLoader(ctx)
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: "openapi/" + name})
	if err != nil {
		return nil, fmt.Errorf("openapi: load %s: %w", name, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: validate %s: %w", name, err)
	}
	return doc, nil
}

// LoadBundled is Load followed by InternalizeRefs: every reference into
// ../schemas/ or another document becomes a component (a schema is named
// after its path, e.g. "esimfly.2025-01.order.completed", "common.iccid",
// as Generate names them), so the document is self-contained. Use it with kin-openapi's validators (Schema.VisitJSON,
// openapi3filter): on a document whose schemas are external references,
// kin-openapi cannot compile them with its JSON Schema 2020-12 validator and
// silently falls back to its OpenAPI 3.0 validator, which ignores const,
// if/then/else and other 2020-12 keywords; on the bundled document it uses
// the 2020-12 validator.
func LoadBundled(name string) (*openapi3.T, error) {
	ctx := context.Background()
	doc, err := LoadContext(ctx, name)
	if err != nil {
		return nil, err
	}
	doc.InternalizeRefs(ctx, refName)
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi: validate bundled %s: %w", name, err)
	}
	return doc, nil
}

// refName names the component a reference into schemas/ is internalized as:
// the schema path without ".schema.json", "/" as ".", then the $defs name.
func refName(doc *openapi3.T, ref openapi3.ComponentRef) string {
	u := ref.RefPath()
	if u == nil {
		return openapi3.DefaultRefNameResolver(doc, ref)
	}
	rest, ok := strings.CutPrefix(path.Clean(u.Path), "schemas/")
	if !ok {
		return openapi3.DefaultRefNameResolver(doc, ref)
	}
	return componentName(rest, u.Fragment)
}

// NewLoader returns a kin-openapi loader that reads "openapi/<file>" from FS
// and "schemas/<path>" from schemas.FS, and nothing else. Documents loaded
// with it must be given a location under "openapi/", as Load does, so that
// their "../schemas/..." references land in "schemas/".
func NewLoader(ctx context.Context) *openapi3.Loader {
	loader := openapi3.NewLoader()
	if ctx != nil {
		loader.Context = ctx
	}
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = readFromURI
	return loader
}

func readFromURI(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
	if u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return nil, fmt.Errorf("openapi: refusing to read %q: only embedded documents are served", u)
	}
	p := path.Clean(u.Path)
	var (
		fsys fs.FS
		rest string
		ok   bool
	)
	if rest, ok = strings.CutPrefix(p, "schemas/"); ok {
		fsys = schemas.FS
	} else if rest, ok = strings.CutPrefix(p, "openapi/"); ok {
		fsys = FS
	} else {
		return nil, fmt.Errorf("openapi: refusing to read %q: not under openapi/ or schemas/", u)
	}
	if !fs.ValidPath(rest) {
		return nil, fmt.Errorf("openapi: bad path %q", u)
	}
	data, err := fs.ReadFile(fsys, rest)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return data, nil
}
