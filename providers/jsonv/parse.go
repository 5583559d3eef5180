package jsonv

import (
	"errors"
	"fmt"
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
