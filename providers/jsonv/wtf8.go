package jsonv

import "unicode/utf8"

// isSurrogate reports whether r is a UTF-16 surrogate code unit.
func isSurrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

// appendWTF8 appends r as UTF-8, or a surrogate in the generalized UTF-8
// three-byte form that utf8.AppendRune refuses to write.
func appendWTF8(buf []byte, r rune) []byte {
	if isSurrogate(r) {
		return append(buf, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return utf8.AppendRune(buf, r)
}

// decodeWTF8 decodes the character at the start of s. It returns a
// surrogate rune for the generalized UTF-8 form of a surrogate, and size 0
// when s starts with bytes that are neither UTF-8 nor such a form.
func decodeWTF8(s string) (r rune, size int) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	r, size = utf8.DecodeRuneInString(s)
	if r != utf8.RuneError || size != 1 {
		return r, size
	}
	if len(s) >= 3 && s[0] == 0xED && s[1] >= 0xA0 && s[1] <= 0xBF && s[2] >= 0x80 && s[2] <= 0xBF {
		return 0xD000 | rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.RuneError, 0
}

// nextChar decodes the character at the start of s the way a JavaScript
// string would see it after concatenating UTF-16 units: a high surrogate
// directly followed by a low surrogate (both in WTF-8 form) make one code
// point. It returns size 0 for invalid bytes.
func nextChar(s string) (r rune, size int) {
	r, size = decodeWTF8(s)
	if size == 3 && r >= 0xD800 && r < 0xDC00 && len(s) >= 6 {
		if r2, n2 := decodeWTF8(s[3:]); n2 == 3 && r2 >= 0xDC00 && r2 < 0xE000 {
			return 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00), 6
		}
	}
	return r, size
}
