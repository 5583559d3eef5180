package jsonv

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects that Parse accepts,
// so that hostile input cannot exhaust memory through recursion.
const MaxDepth = 10000

// ErrSyntax is the sentinel that every error from Parse wraps.
var ErrSyntax = errors.New("jsonv: syntax error")

// SyntaxError is the error Parse returns. Offset is the zero-based byte
// offset of the first byte that could not be accepted. It matches ErrSyntax
// under errors.Is.
type SyntaxError struct {
	Offset int
	Msg    string
}

// Error returns the message in the form "jsonv: offset 17: ...".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonv: offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Parse parses one JSON text strictly by RFC 8259 and returns its Value.
//
//   - Insignificant white space is space, tab, line feed and carriage return
//     only; anything after the value other than white space is an error, and
//     so is a leading byte order mark (JSON texts must not begin with one).
//   - Object keys keep their order. A duplicate key behaves as in
//     JavaScript's JSON.parse and PHP's json_decode: the last value wins and
//     the key stays at the position of its first occurrence.
//   - Numbers are kept as their literal text (Number), unrounded.
//   - Raw bytes inside strings must be valid UTF-8; invalid UTF-8 is a
//     syntax error. Neither target runtime can keep such bytes (Node's body
//     parser replaces them with U+FFFD and PHP's json_decode fails with
//     JSON_ERROR_UTF8), so no such body can be a fixed point of either.
//   - A \u escape of a surrogate pair becomes the UTF-8 of the pair's code
//     point; an unpaired surrogate escape is kept in WTF-8 form (see the
//     package documentation) rather than lost.
//   - Nesting deeper than MaxDepth is an error.
//
// Every error is a *SyntaxError naming the byte offset, wrapping ErrSyntax.
func Parse(data []byte) (Value, error) {
	v, _, err := parse(data)
	return v, err
}

// parse is Parse that also returns what the parser saw on the way,
// including in values that a later duplicate key replaced.
func parse(data []byte) (Value, *parser, error) {
	p := &parser{data: data}
	v, err := p.document()
	if err != nil {
		return nil, p, err
	}
	return v, p, nil
}

func (p *parser) document() (Value, error) {
	data := p.data
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		return nil, p.errf(0, "byte order mark is not allowed")
	}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errf(p.pos, "unexpected %s after top-level value", p.describe(p.pos))
	}
	return v, nil
}

type parser struct {
	data []byte
	pos  int
	buf  []byte
	// maxDepth is the deepest nesting of arrays and objects seen.
	maxDepth int
	// lone is set when a \u escape of an unpaired surrogate was seen.
	lone bool
}

func (p *parser) errf(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// describe names the byte at off for an error message.
func (p *parser) describe(off int) string {
	if off >= len(p.data) {
		return "end of input"
	}
	c := p.data[off]
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("character %q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.pos >= len(p.data) {
		return nil, p.errf(p.pos, "unexpected end of input, want a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.errf(p.pos, "unexpected %s, want a value", p.describe(p.pos))
	}
}

func (p *parser) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if p.pos+i >= len(p.data) || p.data[p.pos+i] != word[i] {
			return p.errf(p.pos+i, "unexpected %s in literal %s", p.describe(p.pos+i), word)
		}
	}
	p.pos += len(word)
	return nil
}

func (p *parser) object(depth int) (Value, error) {
	if depth > MaxDepth {
		return nil, p.errf(p.pos, "nesting deeper than %d", MaxDepth)
	}
	p.maxDepth = max(p.maxDepth, depth)
	p.pos++ // '{'
	obj := NewObject()
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errf(p.pos, "unexpected %s, want an object key", p.describe(p.pos))
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errf(p.pos, "unexpected %s, want ':'", p.describe(p.pos))
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		obj.Set(key, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errf(p.pos, "unexpected end of input, want ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.errf(p.pos, "unexpected %s, want ',' or '}'", p.describe(p.pos))
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	if depth > MaxDepth {
		return nil, p.errf(p.pos, "nesting deeper than %d", MaxDepth)
	}
	p.maxDepth = max(p.maxDepth, depth)
	p.pos++ // '['
	arr := []Value{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errf(p.pos, "unexpected end of input, want ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.errf(p.pos, "unexpected %s, want ',' or ']'", p.describe(p.pos))
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and keeps
// the literal text.
func (p *parser) number() (Value, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return nil, p.errf(i, "unexpected %s in number, want a digit", p.describe(i))
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return nil, p.errf(i, "unexpected %s after decimal point, want a digit", p.describe(i))
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return nil, p.errf(i, "unexpected %s in exponent, want a digit", p.describe(i))
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	p.pos = i
	return Number(d[start:i]), nil
}

// str scans a string starting at the opening quote and returns its value.
func (p *parser) str() (string, error) {
	d := p.data
	p.pos++ // opening quote
	start := p.pos
	// Fast path: printable ASCII without escapes.
	for i := start; i < len(d); i++ {
		c := d[i]
		if c == '"' {
			p.pos = i + 1
			return string(d[start:i]), nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	buf := p.buf[:0]
	i := start
	for {
		if i >= len(d) {
			return "", p.errf(i, "unexpected end of input in string")
		}
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.buf = buf
			return string(buf), nil
		case c == '\\':
			var err error
			buf, i, err = p.escape(buf, i)
			if err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.errf(i, "control character 0x%02x in string must be escaped", c)
		case c < 0x80:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errf(i, "invalid UTF-8 byte 0x%02x in string", c)
			}
			buf = append(buf, d[i:i+size]...)
			i += size
		}
	}
}

// escape decodes the escape sequence at d[i] == '\\' and returns the new
// buffer and the offset after the sequence.
func (p *parser) escape(buf []byte, i int) ([]byte, int, error) {
	d := p.data
	if i+1 >= len(d) {
		return nil, 0, p.errf(i+1, "unexpected end of input in escape sequence")
	}
	switch d[i+1] {
	case '"', '\\', '/':
		return append(buf, d[i+1]), i + 2, nil
	case 'b':
		return append(buf, '\b'), i + 2, nil
	case 'f':
		return append(buf, '\f'), i + 2, nil
	case 'n':
		return append(buf, '\n'), i + 2, nil
	case 'r':
		return append(buf, '\r'), i + 2, nil
	case 't':
		return append(buf, '\t'), i + 2, nil
	case 'u':
		r, err := p.hex4(i + 2)
		if err != nil {
			return nil, 0, err
		}
		i += 6
		if r >= 0xD800 && r < 0xDC00 && i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
			if r2, err := p.hex4(i + 2); err == nil && r2 >= 0xDC00 && r2 < 0xE000 {
				r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				i += 6
			}
			// Otherwise the next escape is decoded (or reported) on its own.
		}
		if isSurrogate(r) {
			p.lone = true
		}
		return appendWTF8(buf, r), i, nil
	default:
		return nil, 0, p.errf(i+1, "invalid escape %s", p.describe(i+1))
	}
}

func (p *parser) hex4(at int) (rune, error) {
	d := p.data
	var r rune
	for j := at; j < at+4; j++ {
		if j >= len(d) {
			return 0, p.errf(j, "unexpected end of input in \\u escape")
		}
		c := d[j]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, p.errf(j, "unexpected %s in \\u escape, want a hex digit", p.describe(j))
		}
	}
	return r, nil
}
