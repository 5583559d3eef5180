package jsonv

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
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
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = appendU4(buf, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := nextChar(s[i:])
		switch {
		case size == 0:
			return nil, notEncodable("invalid UTF-8 at byte %d of string %q", i, s)
		case size == 6:
			buf = append(buf, s[start:i]...)
			buf = utf8.AppendRune(buf, r)
			start = i + size
		case isSurrogate(r):
			buf = append(buf, s[start:i]...)
			buf = appendU4(buf, r)
			start = i + size
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"'), nil
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

// textEncoder writes compact JSON with JavaScript string quoting; js
// selects JavaScript key order and number formatting, otherwise keys keep
// insertion order and number literals are copied verbatim.
type textEncoder struct {
	buf []byte
	js  bool
}

func (e *textEncoder) value(v Value, depth int) error {
	var err error
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		e.buf, err = appendJSString(e.buf, x)
	case Number:
		if !isNumberLiteral(string(x)) {
			return notEncodable("invalid number literal %q", string(x))
		}
		if e.js {
			e.buf = append(e.buf, jsNumber(string(x))...)
		} else {
			e.buf = append(e.buf, x...)
		}
	case []Value:
		if depth >= MaxDepth {
			return notEncodable("nesting deeper than %d", MaxDepth)
		}
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(el, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case *Object:
		if depth >= MaxDepth {
			return notEncodable("nesting deeper than %d", MaxDepth)
		}
		if x == nil {
			e.buf = append(e.buf, "{}"...)
			return nil
		}
		keys := x.keys
		if e.js {
			keys = jsKeyOrder(x)
		}
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if e.buf, err = appendJSString(e.buf, k); err != nil {
				return err
			}
			e.buf = append(e.buf, ':')
			if err := e.value(x.vals[k], depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	default:
		return notEncodable("unsupported type %T", v)
	}
	return err
}
