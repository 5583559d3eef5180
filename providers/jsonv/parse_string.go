package jsonv

import "unicode/utf8"

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
