package jsonv

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrAmbiguousFlatten is wrapped by Flatten's error when two different
// paths flatten to the same key, such as "a_b" and {"a":{"b":…}}.
var ErrAmbiguousFlatten = errors.New("jsonv: ambiguous flattened key")

// flatPair is one key=value member of the flattened form, with the JSON
// pointer it came from for error messages.
type flatPair struct {
	key, val, from string
}

// Flatten returns SimplifyTrip's canonical signing string for the object v.
// The documented part of SimplifyTrip's scheme is: flatten the whole
// payload to one level with underscore-joined key paths, sort the keys, and
// join them as "k1=v1&k2=v2". The rest is our assumption:
//
//   - Nested object keys are joined with "_"; array elements use their
//     zero-based index as a path segment ("items_0_sku").
//   - Strings are printed raw: no quoting, escaping or URL-encoding.
//   - Numbers are printed as JavaScript prints them (as in EncodeJS, so
//     "5.50" prints 5.5 and 1e21 prints 1e+21); a number that overflows to
//     Infinity fails with ErrNotEncodable, since the scheme gives no form.
//   - Booleans print "true" or "false"; null prints an empty value ("k=").
//   - Empty objects and empty arrays are omitted.
//   - Keys are sorted by byte-wise comparison of the full flattened key.
//   - A top-level value that is not an object fails with ErrNotEncodable;
//     an empty object gives an empty string.
//   - Two paths that flatten to the same key fail with
//     ErrAmbiguousFlatten.
//   - Strings and flattened keys must be UTF-8: a lone surrogate in one
//     that is printed fails with ErrNotEncodable. A "&" or "=" inside a key or value is printed as
//     it is, which can make the string ambiguous; senders should avoid it.
func Flatten(v Value) ([]byte, error) {
	pairs, err := flattenPairs(v)
	if err != nil {
		return nil, err
	}
	var b []byte
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.val...)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// FlattenBody returns Flatten of Parse(body).
func FlattenBody(body []byte) ([]byte, error) {
	v, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return Flatten(v)
}

// flattenPairs returns the flattened members of v sorted by key.
func flattenPairs(v Value) ([]flatPair, error) {
	o, ok := v.(*Object)
	if !ok {
		return nil, notEncodable("Flatten needs an object at the top level, got %s", kindOf(v))
	}
	f := flattener{}
	if err := f.members(o, 0); err != nil {
		return nil, err
	}
	sort.Slice(f.pairs, func(i, j int) bool { return f.pairs[i].key < f.pairs[j].key })
	for i := 1; i < len(f.pairs); i++ {
		if a, b := f.pairs[i-1], f.pairs[i]; a.key == b.key {
			return nil, fmt.Errorf("%w: %q comes from both %s and %s", ErrAmbiguousFlatten, a.key, a.from, b.from)
		}
	}
	return f.pairs, nil
}

// flattener collects pairs while walking; key and from hold the flattened
// key and the JSON pointer of the value being visited.
type flattener struct {
	pairs     []flatPair
	key, from []byte
}

// members visits the members of an object or array at the current path.
func (f *flattener) members(v Value, depth int) error {
	if depth >= MaxDepth {
		return notEncodable("nesting deeper than %d", MaxDepth)
	}
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return nil
		}
		for _, k := range x.keys {
			if err := f.member(k, EscapePointer(k), x.vals[k], depth); err != nil {
				return err
			}
		}
	case []Value:
		for i, el := range x {
			s := strconv.Itoa(i)
			if err := f.member(s, s, el, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// member visits one member named seg (token in the JSON pointer).
func (f *flattener) member(seg, token string, v Value, depth int) error {
	keyLen, fromLen := len(f.key), len(f.from)
	defer func() { f.key, f.from = f.key[:keyLen], f.from[:fromLen] }()
	if depth > 0 {
		f.key = append(f.key, '_')
	}
	f.key = append(f.key, seg...)
	f.from = append(append(f.from, '/'), token...)
	var val string
	switch x := v.(type) {
	case *Object, []Value:
		return f.members(v, depth+1)
	case nil:
		val = ""
	case bool:
		val = strconv.FormatBool(x)
	case string:
		if !validUTF8(x) {
			return notEncodable("string at %s is not UTF-8", f.from)
		}
		val = x
	case Number:
		if !isNumberLiteral(string(x)) {
			return notEncodable("invalid number literal %q at %s", string(x), f.from)
		}
		fl := float64Of(string(x))
		if math.IsInf(fl, 0) {
			return notEncodable("number %s at %s overflows to Infinity", string(x), f.from)
		}
		val = formatJS(fl)
	default:
		return notEncodable("unsupported type %T at %s", v, f.from)
	}
	if !utf8.Valid(f.key) {
		return notEncodable("flattened key %q of %s is not UTF-8", f.key, f.from)
	}
	f.pairs = append(f.pairs, flatPair{key: string(f.key), val: val, from: string(f.from)})
	return nil
}

// validUTF8 reports whether s is UTF-8 without surrogates.
func validUTF8(s string) bool { return utf8.ValidString(s) }

// kindOf names the JSON kind of v for error messages.
func kindOf(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case Number:
		return "a number"
	case []Value:
		return "an array"
	case *Object:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// EscapePointer escapes a key as an RFC 6901 reference token ("~" as
// "~0", "/" as "~1"), for a JSON pointer built one member at a time. It is
// the project's one copy: validation problems, YAML and scenario errors
// all point with it.
func EscapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
