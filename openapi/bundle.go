package openapi

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/esimhooks/esimhooks/schemas"
)

// componentName names the component a schema of package schemas becomes:
// its path without ".schema.json", "/" as ".", then each token of the
// fragment but "$defs" (so "esimfly/common.schema.json#/$defs/orderedEsim"
// is "esimfly.common.orderedEsim"). LoadBundled and Generate name them
// alike.
func componentName(file, fragment string) string {
	name := strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(file, ".json"), ".schema"), "/", ".")
	for _, tok := range strings.Split(fragment, "/") {
		if tok != "" && tok != "$defs" {
			name += "." + tok
		}
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
}

// bundler copies shipped schemas into a document's components, so that
// the document stands alone: every schema it needs (an event's, and the
// shared definitions that one references, transitively) becomes a
// component named by componentName, each $defs entry its own component,
// with $id and $schema dropped and every $ref rewritten to
// "#/components/schemas/<name>". Tools that cannot follow a file
// reference, or that resolve a schema's relative references against its
// $id (as redocly's example validation does), then read the document as
// kin-openapi and the schemas package do.
type bundler struct {
	files map[string]*yaml.Node // parsed schema files, by path in schemas.FS
	comps map[string]*yaml.Node // components made so far
}

func newBundler() *bundler {
	return &bundler{files: map[string]*yaml.Node{}, comps: map[string]*yaml.Node{}}
}

// ref returns the document reference of file#fragment (a path in
// schemas.FS and a JSON pointer), making the components it needs.
func (b *bundler) ref(file, fragment string) (string, error) {
	def, rest := "", fragment
	if toks := strings.SplitN(strings.TrimPrefix(fragment, "/"), "/", 3); len(toks) >= 2 && toks[0] == "$defs" {
		def, rest = toks[1], ""
		if len(toks) == 3 {
			rest = "/" + toks[2]
		}
	}
	name := componentName(file, "/$defs/"+def)
	if def == "" {
		name = componentName(file, "")
	}
	if _, done := b.comps[name]; !done {
		b.comps[name] = nil // taken: a reference cycle ends here
		n, err := b.schema(file, def)
		if err != nil {
			return "", err
		}
		if err := b.rewrite(file, n); err != nil {
			return "", err
		}
		blockStyle(n)
		b.comps[name] = n
	}
	return "#/components/schemas/" + name + rest, nil
}

// schema returns a copy of file's schema without $id, $schema and $defs
// (def == ""), or of its definition def.
func (b *bundler) schema(file, def string) (*yaml.Node, error) {
	root, ok := b.files[file]
	if !ok {
		data, err := fs.ReadFile(schemas.FS, file)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", file, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			return nil, fmt.Errorf("schema %s: not a JSON object (%v)", file, err)
		}
		root = doc.Content[0]
		b.files[file] = root
	}
	if def != "" {
		defs := lookup(root, "$defs")
		if n := lookup(defs, def); n != nil {
			return copyNode(n), nil
		}
		return nil, fmt.Errorf("schema %s has no $defs/%s", file, def)
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "$id", "$schema", "$defs":
			continue
		}
		out.Content = append(out.Content, copyNode(root.Content[i]), copyNode(root.Content[i+1]))
	}
	return out, nil
}

// rewrite points every $ref under n (a schema of file) at a component.
// Values that are data, not schemas (examples, const, enum, default), are
// left alone.
func (b *bundler) rewrite(file string, n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if err := b.rewrite(file, c); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			switch k {
			case "examples", "example", "const", "enum", "default":
				continue
			case "$ref":
				target, frag, _ := strings.Cut(v.Value, "#")
				if strings.Contains(target, ":") {
					return fmt.Errorf("schema %s: $ref %q leaves package schemas", file, v.Value)
				}
				if target == "" {
					target = file
				} else {
					target = path.Join(path.Dir(file), target)
				}
				ref, err := b.ref(target, frag)
				if err != nil {
					return err
				}
				v.Value, v.Style = ref, 0
				continue
			}
			if err := b.rewrite(file, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// components returns the components made, sorted by name.
func (b *bundler) components() *yaml.Node {
	out := mapping()
	for _, name := range slices.Sorted(maps.Keys(b.comps)) {
		add(out, name, b.comps[name])
	}
	return out
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func copyNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = copyNode(x)
	}
	return &c
}
