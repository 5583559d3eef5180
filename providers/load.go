package providers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/internal/yamldoc"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// ProfileSchema is the path, inside package schemas, of the JSON Schema every
// profile is validated against.
const ProfileSchema = "profile.schema.json"

// ErrInvalidProfile is wrapped by every error about a profile file.
var ErrInvalidProfile = errors.New("invalid profile")

// LoadFile reads and validates a profile file (YAML or JSON). Event schemas
// named in the file are resolved relative to its directory unless they name
// a shipped schema.
func LoadFile(file string) (*Profile, error) {
	data, err := yamldoc.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProfile, err)
	}
	return Parse(file, data, os.DirFS(filepath.Dir(file)))
}

// LoadPath loads the profile file path, or every profile of directory path
// (LoadDir): what --profile-file takes.
func LoadPath(path string) ([]*Profile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return LoadDir(path)
	}
	p, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return []*Profile{p}, nil
}

// LoadDir loads every profile in dir: each *.yaml and *.yml file directly
// in it (not in subdirectories), in name order. A profile directory has
// the layout of the shipped profiles: an event whose profile names no
// schema uses <dir>/<provider>/<variant>/<event>.schema.json when that file
// exists (SchemaPath), so a provider written for the built-in catalogue
// (providers/profiles/<name>.yaml plus schemas/<name>/...) loads from a
// directory as it is. JSON profiles are loaded with LoadFile. It fails on
// the first invalid profile, and when dir holds no profile.
func LoadDir(dir string) ([]*Profile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProfile, err)
	}
	var out []*Profile
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		p, err := LoadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s holds no *.yaml or *.yml profile", ErrInvalidProfile, dir)
	}
	return out, nil
}

// Parse parses and validates a profile. name is used in error messages;
// dir, if not nil, resolves event schemas that are not shipped ones.
// Every error names the file, line and column, and what is wrong.
func Parse(name string, data []byte, dir fsReader) (*Profile, error) {
	var p Profile
	doc, err := yamldoc.Load(name, data, ProfileSchema, &p, false)
	if err != nil {
		return nil, located(doc, err)
	}
	p.File = name
	if err := p.link(doc, dir); err != nil {
		return nil, err
	}
	return &p, nil
}

// located turns schema violations into "file:line:col: /pointer: rule: msg".
func located(doc *yamldoc.Doc, err error) error {
	lines, ok := yamldoc.Locate(doc, err, nil)
	if !ok {
		return fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	return fmt.Errorf("%w:\n  %s", ErrInvalidProfile, strings.Join(lines, "\n  "))
}

// link fills back-pointers and checks what the schema cannot: one default
// variant, unique names, working signature specs and templates.
func (p *Profile) link(doc *yamldoc.Doc, dir fsReader) error {
	fail := func(ptr, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidProfile, doc.Where(ptr), fmt.Sprintf(format, args...))
	}
	defaults := 0
	seenV := map[string]bool{}
	for i, v := range p.Variants {
		vptr := "/variants/" + strconv.Itoa(i)
		if seenV[v.Name] {
			return fail(vptr+"/name", "duplicate variant %q", v.Name)
		}
		seenV[v.Name] = true
		if v.Default {
			defaults++
		}
		v.Provider = p
		v.byName = map[string]*Event{}
		if _, err := signing.New(v.signingSpec(), "esimhooks-profile-check"); err != nil && v.Signature.Scheme != "standard-webhooks" {
			return fail(vptr+"/signature", "%v", err)
		}
		for j, e := range v.Events {
			eptr := fmt.Sprintf("%s/events/%d", vptr, j)
			if v.byName[e.Name] != nil {
				return fail(eptr+"/name", "duplicate event %q in variant %q", e.Name, v.Name)
			}
			v.byName[e.Name] = e
			e.Variant = v
			tmpl, _ := jsonv.Get(doc.Value, mustPath(eptr+"/payload"))
			e.Payload = tmpl
			if e.Schema == "" {
				conventional := SchemaPath(p.Name, v.Name, e.Name)
				if strings.HasPrefix(p.File, "builtin:") {
					e.Schema = conventional
				} else if dir != nil {
					if _, err := fs.Stat(dir, conventional); err == nil {
						e.Schema = conventional // a profile directory laid out like the shipped ones
					}
				}
			}
			if err := e.bindSchema(dir); err != nil {
				return fail(eptr+"/schema", "%v", err)
			}
			w := payload.NewWorld(1, payload.Epoch)
			pl, err := e.Generate(w)
			if err != nil {
				var te *payload.TemplateError
				if errors.As(err, &te) {
					return fail(eptr+"/payload"+te.Path, "%v", err)
				}
				return fail(eptr+"/payload", "%v", err)
			}
			if _, err := v.Encode(pl); err != nil {
				return fail(eptr+"/payload", "%v", err)
			}
			if _, err := v.renderHeaders(e, "id", time.Unix(0, 0), func() (string, error) { return eventTimeOf(e, pl) }); err != nil {
				return fail(vptr+"/headers", "%v", err)
			}
		}
	}
	if defaults > 1 {
		return fail("/variants", "%d variants are marked default; at most one may be", defaults)
	}
	if defaults == 0 {
		p.Variants[0].Default = true
	}
	return nil
}

// SchemaPath is where a shipped event's JSON Schema lives inside package
// schemas: <provider>/<variant>/<event>.schema.json, with "/" in event names
// (Roamify's category/type) written as ".".
func SchemaPath(provider, variant, event string) string {
	return provider + "/" + variant + "/" + strings.ReplaceAll(event, "/", ".") + ".schema.json"
}

func mustPath(ptr string) []string {
	p, err := jsonv.ParsePath(ptr)
	if err != nil {
		panic(err)
	}
	return p
}
