package payload

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// ICCID returns an ICCID of 19 or 20 digits: the telecom prefix 89, a
// country code, an issuer id and an account number, ending in a Luhn check
// digit as ITU-T E.118 requires.
func ICCID(r *rand.Rand) string {
	countries := []string{"44", "49", "33", "34", "39", "31", "65", "852", "1", "86"}
	var b strings.Builder
	b.WriteString("89")
	b.WriteString(countries[r.IntN(len(countries))])
	n := 18 + r.IntN(2) // digits before the check digit
	for b.Len() < n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	s := b.String()
	return s + string(rune('0'+LuhnDigit(s)))
}

// LuhnDigit returns the Luhn check digit for the decimal string s.
func LuhnDigit(s string) int {
	sum := 0
	double := true
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// LuhnValid reports whether the decimal string s ends in a valid Luhn check
// digit.
func LuhnValid(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return LuhnDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// UUID returns a random (version 4, variant 10) UUID drawn from r.
func UUID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const (
	digits   = "0123456789"
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	hexChars = "0123456789abcdef"
	nanoid   = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// Pattern fills a pattern: '#' is a digit, 'A' an upper-case letter, 'a' a
// lower-case letter, 'x' a lower-case hex digit, '*' an upper-case letter or
// digit, '?' a nanoid character ([A-Za-z0-9_-]); '\' makes the next character
// literal; anything else is copied.
func Pattern(r *rand.Rand, p string) string {
	var b strings.Builder
	escaped := false
	for _, c := range p {
		if escaped {
			b.WriteRune(c)
			escaped = false
			continue
		}
		switch c {
		case '\\':
			escaped = true
		case '#':
			b.WriteByte(digits[r.IntN(len(digits))])
		case 'A':
			b.WriteByte(upper[r.IntN(len(upper))])
		case 'a':
			b.WriteByte(lower[r.IntN(len(lower))])
		case 'x':
			b.WriteByte(hexChars[r.IntN(len(hexChars))])
		case '*':
			set := upper + digits
			b.WriteByte(set[r.IntN(len(set))])
		case '?':
			b.WriteByte(nanoid[r.IntN(len(nanoid))])
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
