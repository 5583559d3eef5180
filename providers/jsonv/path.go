package jsonv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrPath is wrapped by errors from ParsePath and Set.
var ErrPath = errors.New("jsonv: bad path")

// ParsePath splits a path that addresses a value into its segments. A path
// starting with "/" is an RFC 6901 JSON pointer ("/data/iccid"), whose
// segments may be empty and use the escapes ~1 for "/" and ~0 for "~"; any
// other "~" is an error. Any other path is dotted ("data.iccid",
// "data.esims.0.iccid"), split at every ".", with no escapes and no empty
// segments (use a pointer for keys holding "." or ""). The empty string
// addresses the root and gives an empty, non-nil slice. Array elements are
// addressed by canonical decimal indices in both forms.
func ParsePath(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	if s[0] == '/' {
		segs := strings.Split(s[1:], "/")
		for i, seg := range segs {
			if !strings.Contains(seg, "~") {
				continue
			}
			var b strings.Builder
			for j := 0; j < len(seg); j++ {
				if seg[j] != '~' {
					b.WriteByte(seg[j])
					continue
				}
				if j+1 < len(seg) && (seg[j+1] == '0' || seg[j+1] == '1') {
					b.WriteByte("~/"[seg[j+1]-'0'])
					j++
					continue
				}
				return nil, fmt.Errorf("%w: %q: segment %d (%q): \"~\" must be followed by 0 or 1", ErrPath, s, i, seg)
			}
			segs[i] = b.String()
		}
		return segs, nil
	}
	segs := strings.Split(s, ".")
	for i, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("%w: %q: segment %d is empty", ErrPath, s, i)
		}
	}
	return segs, nil
}

// Pointer formats path as an RFC 6901 JSON pointer, the inverse of
// ParsePath for pointers; the empty path gives "".
func Pointer(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		b.WriteString(EscapePointer(seg))
	}
	return b.String()
}

// index parses an array index segment: "0" or a decimal without leading
// zeros, below n.
func index(seg string, n int) (int, bool) {
	if seg == "" || (len(seg) > 1 && seg[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(seg); i++ {
		if !isDigit(seg[i]) {
			return 0, false
		}
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i >= n {
		return 0, false
	}
	return i, true
}

// Get returns the value at path inside v and whether it exists. Object
// segments are keys; array segments are indices.
func Get(v Value, path []string) (Value, bool) {
	for _, seg := range path {
		switch x := v.(type) {
		case *Object:
			var ok bool
			if v, ok = x.Get(seg); !ok {
				return nil, false
			}
		case []Value:
			i, ok := index(seg, len(x))
			if !ok {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// Set stores nv at path inside root and returns the root to use from then
// on: objects are modified in place, but a nil root, or an append to a
// top-level array, gives a new root. Missing object members along the path
// are created as empty objects, and so are members holding null (and a nil
// root). An array segment must be an existing index, which is replaced,
// or "-" or the array's length, which appends. The empty path returns nv.
// Errors wrap ErrPath and name the failing segment; root is then left as
// it was.
func Set(root Value, path []string, nv Value) (Value, error) {
	return setAt(root, path, 0, nv)
}

func setAt(cur Value, path []string, i int, nv Value) (Value, error) {
	if i == len(path) {
		return nv, nil
	}
	seg := path[i]
	switch x := cur.(type) {
	case nil:
		return setAt(NewObject(), path, i, nv)
	case *Object:
		if x == nil {
			return setAt(NewObject(), path, i, nv)
		}
		child, _ := x.Get(seg)
		child, err := setAt(child, path, i+1, nv)
		if err != nil {
			return nil, err
		}
		x.Set(seg, child)
		return x, nil
	case []Value:
		if seg == "-" || seg == strconv.Itoa(len(x)) {
			child, err := setAt(nil, path, i+1, nv)
			if err != nil {
				return nil, err
			}
			return append(x, child), nil
		}
		j, ok := index(seg, len(x))
		if !ok {
			return nil, fmt.Errorf("%w: %s: segment %d (%q): not an index of an array of length %d", ErrPath, Pointer(path), i, seg, len(x))
		}
		child, err := setAt(x[j], path, i+1, nv)
		if err != nil {
			return nil, err
		}
		x[j] = child
		return x, nil
	default:
		return nil, fmt.Errorf("%w: %s: segment %d (%q): cannot set a member of %s", ErrPath, Pointer(path), i, seg, kindOf(cur))
	}
}

// Walk calls fn for every value in v whose path matches pattern, in
// document order (object members in key order, array elements by index).
// A pattern segment "*" matches every member of an object and every
// element of an array; any other segment matches that key or index only.
// Paths that do not exist are skipped, and the empty pattern matches v
// itself. fn gets a fresh path slice each call; it may replace values but
// must not add or remove members of the containers being walked.
func Walk(v Value, pattern []string, fn func(path []string, val Value)) {
	walk(v, pattern, make([]string, 0, len(pattern)), fn)
}

func walk(v Value, pattern, prefix []string, fn func([]string, Value)) {
	if len(pattern) == 0 {
		fn(append([]string(nil), prefix...), v)
		return
	}
	seg, rest := pattern[0], pattern[1:]
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return
		}
		if seg == "*" {
			for _, k := range x.Keys() {
				if el, ok := x.Get(k); ok {
					walk(el, rest, append(prefix, k), fn)
				}
			}
		} else if el, ok := x.Get(seg); ok {
			walk(el, rest, append(prefix, seg), fn)
		}
	case []Value:
		if seg == "*" {
			for i, el := range x {
				walk(el, rest, append(prefix, strconv.Itoa(i)), fn)
			}
		} else if i, ok := index(seg, len(x)); ok {
			walk(x[i], rest, append(prefix, seg), fn)
		}
	}
}
