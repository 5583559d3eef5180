package jsonv

import (
	"strconv"
	"unicode/utf8"
)

// styleEncoder writes compact JSON, "{}" for an empty object, printing
// strings and (validated) number literals with the given functions, object
// keys in the order keys gives (insertion order when nil). Compact,
// EncodeJS, EncodeAiralo and EncodePython are built on it.
type styleEncoder struct {
	buf  []byte
	str  func(buf []byte, s string) ([]byte, error)
	num  func(lit string) (string, error)
	keys func(o *Object) []string
	// asList, when set and true for an object, writes its values as a
	// JSON array (PHP's json_decode makes an object keyed "0".."n-1" or
	// an empty one a list).
	asList func(o *Object) bool
	// maxDepth bounds nesting (MaxDepth).
	maxDepth int
}

func (e *styleEncoder) value(v Value, depth int) error {
	var err error
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		e.buf, err = e.str(e.buf, x)
	case Number:
		if !isNumberLiteral(string(x)) {
			return notEncodable("invalid number literal %q", string(x))
		}
		text, err := e.num(string(x))
		if err != nil {
			return err
		}
		e.buf = append(e.buf, text...)
	case []Value:
		if depth >= e.maxDepth {
			return notEncodable("nesting deeper than %d", e.maxDepth)
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
		if depth >= e.maxDepth {
			return notEncodable("nesting deeper than %d", e.maxDepth)
		}
		if e.asList != nil && e.asList(x) {
			vals := make([]Value, 0, x.Len())
			if x != nil {
				for _, k := range x.keys {
					vals = append(vals, x.vals[k])
				}
			}
			return e.value(vals, depth)
		}
		var keys []string
		if x != nil {
			keys = x.keys
			if e.keys != nil {
				keys = e.keys(x)
			}
		}
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if e.buf, err = e.str(e.buf, k); err != nil {
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

// appendEscapedControl appends the JSON escape of an ASCII byte that every
// encoder here escapes the same way: \" \\ \b \f \n \r \t and \u00xx
// (lowercase hex) for the other bytes below 0x20.
func appendEscapedControl(buf []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(buf, '\\', c)
	case '\b':
		return append(buf, '\\', 'b')
	case '\f':
		return append(buf, '\\', 'f')
	case '\n':
		return append(buf, '\\', 'n')
	case '\r':
		return append(buf, '\\', 'r')
	case '\t':
		return append(buf, '\\', 't')
	}
	return appendU4(buf, rune(c))
}

// quoting selects how appendQuoted writes a string beyond the escapes
// every encoder shares (appendEscapedControl).
type quoting struct {
	// slash writes "/" as "\/".
	slash bool
	// asciiOnly writes non-ASCII characters as \uxxxx escapes (a
	// surrogate pair above U+FFFF) instead of literally.
	asciiOnly bool
	// lone, when set, makes a lone surrogate an error with this text;
	// otherwise it is written as a \udxxx escape.
	lone string
}

// appendQuoted appends s quoted: control characters as
// appendEscapedControl does, "/" per q.slash, lone surrogates per q.lone,
// other non-ASCII characters per q.asciiOnly; "<", ">", "&", "'" and 0x7f
// stay literal, U+2028 and U+2029 too unless asciiOnly; all hex is
// lowercase. A high and a low surrogate next to each other (both in WTF-8
// form) form one code point, as in a JavaScript or Python string.
func appendQuoted(buf []byte, s string, q quoting) ([]byte, error) {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (c != '/' || !q.slash) {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			if c == '/' {
				buf = append(buf, '\\', '/')
			} else {
				buf = appendEscapedControl(buf, c)
			}
			i++
			start = i
			continue
		}
		r, size := nextChar(s[i:])
		switch {
		case size == 0:
			return nil, notEncodable("invalid UTF-8 at byte %d of string %q", i, s)
		case isSurrogate(r) && q.lone != "":
			return nil, notEncodable("%s \\u%04x", q.lone, r)
		case isSurrogate(r):
			buf = append(buf, s[start:i]...)
			buf = appendU4(buf, r)
			start = i + size
		case q.asciiOnly:
			buf = append(buf, s[start:i]...)
			if r >= 0x10000 {
				r -= 0x10000
				buf = appendU4(buf, 0xD800|r>>10)
				buf = appendU4(buf, 0xDC00|r&0x3FF)
			} else {
				buf = appendU4(buf, r)
			}
			start = i + size
		case size == 6:
			buf = append(buf, s[start:i]...)
			buf = utf8.AppendRune(buf, r)
			start = i + size
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"'), nil
}
