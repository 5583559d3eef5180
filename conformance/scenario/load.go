package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/esimhooks/esimhooks/internal/yamldoc"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/scenarios"
	"github.com/esimhooks/esimhooks/schemas"
)

// file is a scenario file as written; see schemas/scenario.schema.json.
type file struct {
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Provider    string     `json:"provider"`
	Variant     string     `json:"variant"`
	Seed        uint64     `json:"seed"`
	Tags        []string   `json:"tags"`
	Steps       []fileStep `json:"steps"`
	// Expect is read from the document (checker.expect).
	Expect json.RawMessage `json:"expect"`
}

// fileStep is one step as written. Set and the final resources are read
// from the document itself, which keeps their order.
type fileStep struct {
	ID           string  `json:"id"`
	Note         string  `json:"note"`
	Event        string  `json:"event"`
	Resend       string  `json:"resend"`
	At           *string `json:"at"`
	Delay        string  `json:"delay"`
	Duplicates   int     `json:"duplicates"`
	Concurrent   bool    `json:"concurrent"`
	CutAfterBody bool    `json:"cut_after_body"`
	Retries      *int    `json:"retries"`
	Expect       struct {
		Ack       string `json:"ack"`
		Exercises string `json:"exercises"`
	} `json:"expect"`
	ExpectApplied *int `json:"expect_applied"`
	// Set is read from the document (checker.overrides).
	Set json.RawMessage `json:"set"`
}

// LoadFile reads and checks the scenario file at path.
func LoadFile(file string, cat *providers.Catalogue) (*Scenario, error) {
	data, err := yamldoc.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return Load(file, data, cat)
}

// Load parses a scenario file's bytes, validates them against the scenario
// schema and checks them against cat: the provider, variant and events must
// exist, step references must name earlier steps, overrides must apply. name
// is used in error messages; every error wraps ErrInvalid and says
// "file:line:col: /pointer: what is wrong".
func Load(name string, data []byte, cat *providers.Catalogue) (*Scenario, error) {
	var f file
	doc, err := yamldoc.Load(name, data, SchemaPath, &f, true)
	if err != nil {
		return nil, located(doc, err)
	}
	c := &checker{doc: doc, cat: cat}
	sc := c.scenario(&f)
	if len(c.errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, joinLines(c.errs))
	}
	sc.File = name
	return sc, nil
}

// Shipped loads the scenario library shipped with esimhooks (package
// scenarios).
func Shipped(cat *providers.Catalogue) ([]*Scenario, error) {
	return library(scenarios.FS, "scenarios/", cat)
}

// LoadDir loads every *.yaml and *.yml file of dir (not its
// subdirectories), as --scenarios DIR does; errors name the files with dir.
func LoadDir(dir string, cat *providers.Catalogue) ([]*Scenario, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory of scenario files", ErrInvalid, dir)
	}
	return library(os.DirFS(dir), filepath.Clean(dir)+string(filepath.Separator), cat)
}

// Library loads every *.yaml and *.yml file at the root of fsys, sorted by
// scenario name. It reports every broken file at once, and fails when two
// files use one name. Errors name the files by their path in fsys.
func Library(fsys fs.FS, cat *providers.Catalogue) ([]*Scenario, error) {
	return library(fsys, "", cat)
}

func library(fsys fs.FS, prefix string, cat *providers.Catalogue) ([]*Scenario, error) {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := fs.Glob(fsys, pat)
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var (
		out  []*Scenario
		errs []error
		seen = map[string]string{}
	)
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrInvalid, err))
			continue
		}
		sc, err := Load(prefix+f, data, cat)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[sc.Name]; dup {
			errs = append(errs, fmt.Errorf("%w: %s: name %q is already used by %s", ErrInvalid, sc.File, sc.Name, other))
			continue
		}
		seen[sc.Name] = sc.File
		out = append(out, sc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// located turns schema violations into "file:line:col: /pointer: rule:
// message" lines, saying unknown fields and bad durations in plain words.
func located(doc *yamldoc.Doc, err error) error {
	lines, ok := yamldoc.Locate(doc, err, func(v schemas.Violation) (string, string) { return explain(doc, v) })
	if !ok {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return fmt.Errorf("%w: %s", ErrInvalid, joinLines(lines))
}

// explain rewrites the messages a reader would not understand at once.
func explain(doc *yamldoc.Doc, v schemas.Violation) (ptr, msg string) {
	ptr, msg = v.Pointer, v.Message
	switch {
	case v.Keyword == "additionalProperties":
		names := quoted(msg)
		if len(names) == 0 {
			return ptr, msg
		}
		valid := strings.Join(propertiesNextTo(v.SchemaLocation), ", ")
		return ptr + "/" + jsonv.EscapePointer(names[0]), fmt.Sprintf("unknown field %q (valid: %s)", names[0], valid)
	case v.Keyword == "pattern" && strings.Contains(v.SchemaLocation, "/$defs/duration/"),
		v.Keyword == "pattern" && strings.Contains(v.SchemaLocation, "/$defs/offset/"):
		val, _ := jsonv.Get(doc.Value, mustPath(ptr))
		return ptr, fmt.Sprintf("%q is not a duration (write it like 500ms, 5s, 2m, 1h or 1d12h)", fmt.Sprint(val))
	case strings.Contains(v.SchemaLocation, "/$defs/step/oneOf"):
		if v.Keyword == "oneOf" {
			return ptr, "a step has event or resend, not both"
		}
		return ptr, "a step needs event (the event to send) or resend (the id of an earlier step to send again)"
	}
	return ptr, msg
}

// quoted returns the 'single-quoted' names in s, as jsonschema writes them.
func quoted(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return out
		}
		out = append(out, s[i+1:i+1+j])
		s = s[i+j+2:]
	}
}

// propertiesNextTo lists the properties declared beside the keyword at an
// absolute keyword location (…#/$defs/step/additionalProperties), sorted.
func propertiesNextTo(loc string) []string {
	_, frag, ok := strings.Cut(loc, "#")
	if !ok {
		return nil
	}
	data, err := schemas.FS.ReadFile(SchemaPath)
	if err != nil {
		return nil
	}
	root, err := jsonv.Parse(data)
	if err != nil {
		return nil
	}
	parent := path.Dir(frag)
	if parent == "/" || parent == "." {
		parent = ""
	}
	props, ok := jsonv.Get(root, mustPath(parent+"/properties"))
	obj, isObj := props.(*jsonv.Object)
	if !ok || !isObj {
		return nil
	}
	names := obj.Keys()
	sort.Strings(names)
	return names
}

func mustPath(ptr string) []string {
	p, err := jsonv.ParsePath(ptr)
	if err != nil {
		return nil
	}
	return p
}

// joinLines puts one error on the same line and several on their own.
func joinLines(lines []string) string {
	if len(lines) == 1 {
		return lines[0]
	}
	return "\n  " + strings.Join(lines, "\n  ")
}

// LibraryWith returns the shipped library plus the scenario files in dir
// (none when dir is empty), as --scenarios DIR extends it.
func LibraryWith(cat *providers.Catalogue, dir string) ([]*Scenario, error) {
	lib, err := Shipped(cat)
	if err != nil || dir == "" {
		return lib, err
	}
	more, err := LoadDir(dir, cat)
	if err != nil {
		return nil, fmt.Errorf("--scenarios: %w", err)
	}
	return append(lib, more...), nil
}
