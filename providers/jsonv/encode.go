package jsonv

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// ErrNotEncodable is the sentinel wrapped by encoder errors: the value has
// no encoding in the target runtime, or is not a valid Value (an unknown Go
// type, a Number that is not a JSON number literal, a string that is not
// UTF-8, or nesting deeper than the limit).
var ErrNotEncodable = errors.New("jsonv: value cannot be encoded")

func notEncodable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotEncodable, fmt.Sprintf(format, args...))
}

const hexDigits = "0123456789abcdef"

// appendU4 appends a \uxxxx escape with lowercase hex digits.
func appendU4(buf []byte, r rune) []byte {
	return append(buf, '\\', 'u',
		hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// appendJSString appends s quoted the way JavaScript's well-formed
// JSON.stringify quotes a string (ECMA-262 QuoteJSONString): \" \\ \b \f
// \n \r \t, other code units below U+0020 as \u00xx in lowercase hex, lone
// surrogates as \udxxx in lowercase hex, everything else literal — no
// escaping of "/", "<", ">", "&", U+2028, U+2029 or non-ASCII. A high and a
// low surrogate next to each other (both in WTF-8 form) form one code point
// and are written as its UTF-8, as a JavaScript string would hold them.
func appendJSString(buf []byte, s string) ([]byte, error) {
	return appendQuoted(buf, s, quoting{})
}

// arrayIndex reports whether key is an ECMAScript array index: the
// canonical decimal form of an integer from 0 to 2^32−2. JavaScript lists
// such keys of an ordinary object first, in ascending numeric order, before
// the other keys in insertion order (OrdinaryOwnPropertyKeys).
func arrayIndex(key string) (uint64, bool) {
	if key == "" || len(key) > 10 || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(key); i++ {
		if !isDigit(key[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(key, 10, 64)
	if err != nil || n > 1<<32-2 {
		return 0, false
	}
	return n, true
}

// jsKeyOrder returns o's keys in the order JavaScript enumerates the
// properties of the object JSON.parse built: array indices ascending, then
// the other keys in insertion order.
func jsKeyOrder(o *Object) []string {
	type idx struct {
		n   uint64
		key string
	}
	var indices []idx
	for _, k := range o.keys {
		if n, ok := arrayIndex(k); ok {
			indices = append(indices, idx{n, k})
		}
	}
	if len(indices) == 0 {
		return o.keys
	}
	sort.Slice(indices, func(i, j int) bool { return indices[i].n < indices[j].n })
	keys := make([]string, 0, len(o.keys))
	for _, ix := range indices {
		keys = append(keys, ix.key)
	}
	for _, k := range o.keys {
		if _, ok := arrayIndex(k); !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// encodeBuf is the encoders' starting buffer: most webhook bodies fit, so
// encoding one allocates once instead of growing from nothing.
const encodeBuf = 512
