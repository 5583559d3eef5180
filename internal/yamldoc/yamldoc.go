// Package yamldoc reads YAML (or JSON) documents into order-preserving JSON
// values and remembers where each value came from, so that a validation error
// found later can be reported with the file's line and column.
package yamldoc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/esimhooks/esimhooks/internal/jsonlimit"
	"gopkg.in/yaml.v3"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// ErrSyntax is wrapped by every error Parse returns for input that is not
// well-formed YAML or uses a YAML feature that has no JSON equivalent.
var ErrSyntax = errors.New("yamldoc: syntax error")

// Doc is a parsed document: its JSON value and the source position of every
// node, addressed by JSON pointer.
type Doc struct {
	// Name is the file name used in error messages.
	Name  string
	Value jsonv.Value
	pos   map[string]Pos
	// values counts the values converted so far (aliases expanded).
	values int
}

// Pos is a position in the source file; both fields count from 1.
type Pos struct{ Line, Column int }

// Parse parses data, a single YAML or JSON document. Anchors and aliases are
// resolved; tags other than the core schema's are rejected. name is used in
// error messages only.
func Parse(name string, data []byte) (*Doc, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: the document has %d bytes; the limit is %d", name, ErrSyntax, len(data), MaxFileBytes)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrSyntax, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	d := &Doc{Name: name, pos: map[string]Pos{}}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: %w: the document is empty", name, ErrSyntax)
	}
	v, err := d.convert(root.Content[0], "", 0)
	if err != nil {
		return nil, err
	}
	d.Value = v
	return d, nil
}

// MaxFileBytes bounds the size of a document (profile, scenario).
const MaxFileBytes = 4 << 20

// ReadFile reads the file at path, refusing one larger than MaxFileBytes
// without reading it all.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: the file is larger than %d bytes", path, MaxFileBytes)
	}
	return data, nil
}

// Limits of a document, the same as every JSON input's (package
// jsonlimit): nesting of mappings and sequences, and values once aliases
// are expanded, so that an alias bomb (a few lines whose aliases expand to
// millions of values) is refused rather than built. yaml.v3 itself refuses
// nesting beyond 10,000 levels while it parses.
const (
	maxDepth  = jsonlimit.MaxDepth
	maxValues = jsonlimit.MaxValues
)

// convert converts n, at pointer ptr, nested in depth mappings and
// sequences.
func (d *Doc) convert(n *yaml.Node, ptr string, depth int) (jsonv.Value, error) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		depth++
		if depth > maxDepth {
			return nil, d.errorf(n, "nesting deeper than %d levels of mappings and sequences", maxDepth)
		}
	}
	if n.Kind != yaml.AliasNode && n.Kind != yaml.DocumentNode {
		if d.values++; d.values > maxValues {
			return nil, d.errorf(n, "more than %d values (aliases expanded)", maxValues)
		}
	}
	d.pos[ptr] = Pos{n.Line, n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		return d.convert(n.Alias, ptr, depth)
	case yaml.DocumentNode:
		return d.convert(n.Content[0], ptr, depth)
	case yaml.MappingNode:
		obj := jsonv.NewObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, d.errorf(k, "a mapping key must be a scalar")
			}
			if k.Tag == "!!merge" {
				return nil, d.errorf(k, "merge keys (<<) are not supported")
			}
			if _, dup := obj.Get(k.Value); dup {
				return nil, d.errorf(k, "duplicate key %q", k.Value)
			}
			child, err := d.convert(v, ptr+"/"+jsonv.EscapePointer(k.Value), depth)
			if err != nil {
				return nil, err
			}
			obj.Set(k.Value, child)
		}
		return obj, nil
	case yaml.SequenceNode:
		arr := make([]jsonv.Value, 0, len(n.Content))
		for i, c := range n.Content {
			child, err := d.convert(c, ptr+"/"+strconv.Itoa(i), depth)
			if err != nil {
				return nil, err
			}
			arr = append(arr, child)
		}
		return arr, nil
	case yaml.ScalarNode:
		return d.scalar(n)
	}
	return nil, d.errorf(n, "unsupported YAML node")
}

func (d *Doc) scalar(n *yaml.Node) (jsonv.Value, error) {
	switch n.ShortTag() {
	case "!!str", "!!binary", "!!timestamp":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, d.errorf(n, "%v", err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return nil, d.errorf(n, "integer %q out of range", n.Value)
		}
		return jsonv.Number(strconv.FormatInt(i, 10)), nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, d.errorf(n, "%v", err)
		}
		if strings.ContainsAny(n.Value, "nN") || strings.Contains(strings.ToLower(n.Value), "inf") {
			return nil, d.errorf(n, "%q has no JSON equivalent", n.Value)
		}
		if _, err := jsonv.Parse([]byte(n.Value)); err == nil {
			return jsonv.Number(n.Value), nil
		}
		return jsonv.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return nil, d.errorf(n, "unsupported tag %s", n.Tag)
}

func (d *Doc) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %w: %s", d.Name, n.Line, n.Column, ErrSyntax, fmt.Sprintf(format, args...))
}

// Where returns "file:line:col" for the value at the JSON pointer ptr, or for
// its nearest ancestor that exists in the source (a missing required member
// is reported at the object that lacks it).
func (d *Doc) Where(ptr string) string {
	for {
		if p, ok := d.pos[ptr]; ok {
			return fmt.Sprintf("%s:%d:%d", d.Name, p.Line, p.Column)
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return d.Name
		}
		ptr = ptr[:i]
	}
}
