// Package schemas embeds the JSON Schemas (draft 2020-12) of every provider
// event, plus the shared definitions and the project's own document schemas
// (provider profiles, scenarios), and validates JSON values against them.
//
// Schemas are addressed by their path inside this directory, e.g.
// "esimfly/2025-01/order.completed.schema.json"; each file's $id is
// BaseURL + that path, and $ref between files are relative URIs, so the
// compiler resolves them from the embedded tree: no network, no disk.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FS holds every *.json file of this directory tree (up to three levels:
// <file>, <provider>/<file>, <provider>/<variant>/<file>).
//
//go:embed *.json */*.json */*/*.json
var FS embed.FS

// BaseURL is the prefix of every schema's $id; the rest is the schema's path
// in FS.
const BaseURL = "https://esimhooks.dev/schemas/"

var (
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled = map[string]*jsonschema.Schema{}

	rawMu sync.Mutex
	raw   = map[string]any{} // parsed schema documents, for error messages
)

func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = loadURL
	return c
}

// loadURL serves BaseURL/... from FS and refuses everything else, so a
// schema can never make the compiler reach the network or the disk. The
// draft meta-schemas are built into jsonschema and never loaded.
func loadURL(s string) (io.ReadCloser, error) {
	p, err := pathOf(s)
	if err != nil {
		return nil, err
	}
	data, err := FS.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", s, err)
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// pathOf maps a schema URL (fragment ignored) to its path in FS.
func pathOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("schemas: bad schema URL %q: %w", s, err)
	}
	u.Fragment = ""
	u.RawFragment = ""
	rest, ok := strings.CutPrefix(u.String(), BaseURL)
	if !ok {
		return "", fmt.Errorf("schemas: refusing to load %q: only %s... is served, from the embedded files", s, BaseURL)
	}
	if !fs.ValidPath(rest) {
		return "", fmt.Errorf("schemas: bad schema path %q", rest)
	}
	return rest, nil
}

func cleanPath(p string) (string, error) {
	p = strings.TrimPrefix(p, BaseURL)
	p = strings.TrimPrefix(p, "/")
	if p == "" || !fs.ValidPath(p) || path.Clean(p) != p {
		return "", fmt.Errorf("schemas: bad schema path %q", p)
	}
	if _, err := fs.Stat(FS, p); err != nil {
		return "", fmt.Errorf("schemas: no schema %q: %w", p, err)
	}
	return p, nil
}

// Compile returns the compiled schema at path (e.g.
// "esimfly/2025-01/order.completed.schema.json"; a full BaseURL URL is
// accepted too). Results are cached; Compile is safe for concurrent use and
// so is the returned schema.
func Compile(p string) (*jsonschema.Schema, error) {
	p, err := cleanPath(p)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := compiled[p]; ok {
		return s, nil
	}
	if compiler == nil {
		compiler = newCompiler()
	}
	s, err := compiler.Compile(BaseURL + p)
	if err != nil {
		// A failed compilation may leave half-registered resources behind:
		// start the next one from a fresh compiler.
		compiler = nil
		return nil, fmt.Errorf("schemas: compile %s: %w", p, err)
	}
	compiled[p] = s
	return s, nil
}

// Validate validates v against the schema at path. v is a JSON value as
// encoding/json produces it with UseNumber (map[string]any, []any,
// json.Number, string, bool, nil); float64 numbers are accepted too, and any
// other Go value is first converted through encoding/json. An invalid value
// yields a *ValidationError.
func Validate(p string, v any) error {
	s, err := Compile(p)
	if err != nil {
		return err
	}
	err = s.Validate(v)
	var typeErr jsonschema.InvalidJSONTypeError
	if errors.As(err, &typeErr) {
		data, merr := json.Marshal(v)
		if merr != nil {
			return fmt.Errorf("schemas: %w", merr)
		}
		return ValidateJSON(p, data)
	}
	return convert(p, err)
}

// ValidateJSON parses data (numbers kept as json.Number) and validates it
// against the schema at path. Malformed JSON is reported as a plain error,
// an invalid document as a *ValidationError.
func ValidateJSON(p string, data []byte) error {
	v, err := decode(data)
	if err != nil {
		return fmt.Errorf("schemas: invalid JSON: %w", err)
	}
	s, err := Compile(p)
	if err != nil {
		return err
	}
	return convert(p, s.Validate(v))
}

func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// Violation is one broken rule.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value in the
	// instance, "" for the root. For "required" it is the object that lacks
	// the property, as in JSON Schema's own output.
	Pointer string
	// Keyword is the schema keyword that failed: "required", "type", "enum",
	// "pattern", "const", "format", "minimum", ...
	Keyword string
	// Message says what is wrong, e.g. `does not match "^[0-9]{17,20}$"`.
	Message string
	// SchemaLocation is the absolute location of the failing keyword, e.g.
	// "https://esimhooks.dev/schemas/common.schema.json#/$defs/iccid/pattern".
	SchemaLocation string
}

// String formats v as "<pointer>: <keyword>: <message>", with "(root)" for
// the empty pointer.
func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "(root)"
	}
	return p + ": " + v.Keyword + ": " + v.Message
}

// ValidationError reports why a document does not validate: the leaf
// violations of the validator's error tree, sorted by pointer, keyword and
// message so that reports are stable.
type ValidationError struct {
	Schema     string // path of the schema validated against
	Violations []Violation
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		lines[i] = v.String()
	}
	return strings.Join(lines, "\n")
}

func convert(p string, err error) error {
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("schemas: validate against %s: %w", p, err)
	}
	out := &ValidationError{Schema: p}
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		out.Violations = append(out.Violations, violation(e))
	}
	walk(ve)
	sort.SliceStable(out.Violations, func(i, j int) bool {
		a, b := out.Violations[i], out.Violations[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Keyword != b.Keyword {
			return a.Keyword < b.Keyword
		}
		return a.Message < b.Message
	})
	return out
}

func violation(e *jsonschema.ValidationError) Violation {
	kw := e.KeywordLocation
	if i := strings.LastIndexByte(kw, '/'); i >= 0 {
		kw = kw[i+1:]
	}
	kw = strings.ReplaceAll(strings.ReplaceAll(kw, "~1", "/"), "~0", "~")
	v := Violation{
		Pointer:        e.InstanceLocation,
		Keyword:        kw,
		Message:        e.Message,
		SchemaLocation: e.AbsoluteKeywordLocation,
	}
	switch kw {
	case "pattern":
		if pat, ok := keywordValue(e.AbsoluteKeywordLocation).(string); ok {
			v.Message = `does not match "` + pat + `"`
		}
	case "const":
		if c := keywordValue(e.AbsoluteKeywordLocation); c != nil {
			if b, err := json.Marshal(c); err == nil {
				v.Message = "must be " + string(b)
			}
		}
	case "enum":
		if vals, ok := keywordValue(e.AbsoluteKeywordLocation).([]any); ok {
			parts := make([]string, 0, len(vals))
			for _, x := range vals {
				if b, err := json.Marshal(x); err == nil {
					parts = append(parts, string(b))
				}
			}
			v.Message = "must be one of " + strings.Join(parts, ", ")
		}
	}
	return v
}

// keywordValue looks up the value of the keyword at an absolute keyword
// location (schema URL + "#" + JSON pointer) in the raw schema document, or
// returns nil.
func keywordValue(loc string) any {
	doc, frag, ok := strings.Cut(loc, "#")
	if !ok {
		return nil
	}
	p, err := pathOf(doc)
	if err != nil {
		return nil
	}
	rawMu.Lock()
	root, ok := raw[p]
	if !ok {
		if data, err := FS.ReadFile(p); err == nil {
			root, _ = decode(data)
		}
		raw[p] = root
	}
	rawMu.Unlock()
	node := root
	if frag == "" {
		return node
	}
	if frag[0] != '/' {
		return nil
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		if t, err := url.PathUnescape(tok); err == nil {
			tok = t
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	return node
}

// Paths lists every schema file in FS, sorted.
func Paths() []string {
	var out []string
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// EventPath returns the path of the schema of an event:
// "<provider>/<variant>/<event with / replaced by .>.schema.json".
func EventPath(provider, variant, event string) string {
	return provider + "/" + variant + "/" + strings.ReplaceAll(event, "/", ".") + ".schema.json"
}
