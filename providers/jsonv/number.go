package jsonv

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// isNumberLiteral reports whether s is a JSON number literal:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumberLiteral(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

// float64Of returns the float64 nearest to a valid number literal, rounding
// half to even as JavaScript's JSON.parse and PHP's zend_strtod do; a
// literal too large for float64 gives ±Inf.
func float64Of(lit string) float64 {
	f, _ := strconv.ParseFloat(lit, 64) // ±Inf with ErrRange on overflow
	return f
}

// shortestDigits returns the shortest decimal digits that round-trip to the
// finite, non-zero |f|, and the decimal point position decpt, so that
// |f| ≈ 0.DIGITS × 10^decpt. This is zend_dtoa mode 0 and the n of
// ECMAScript Number::toString; both pick the digits closest to f.
func shortestDigits(f float64) (digits string, decpt int) {
	s := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±XX
	e := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[e+1:])
	digits = strings.Replace(s[:e], ".", "", 1)
	return digits, exp + 1
}

// formatJS formats a finite f as ECMAScript Number::toString(f) does
// (ECMA-262 §6.1.6.1.20): with k digits and decimal exponent n,
// k ≤ n ≤ 21 gives the digits and n−k zeros; 0 < n ≤ 21 puts the point after
// n digits; −6 < n ≤ 0 gives "0." and −n zeros before the digits; otherwise
// exponent form "d.ddde±x" ("de±x" for one digit). Both zeros print "0".
func formatJS(f float64) string {
	if f == 0 {
		return "0"
	}
	digits, n := shortestDigits(f)
	k := len(digits)
	var b strings.Builder
	if f < 0 {
		b.WriteByte('-')
	}
	switch {
	case k <= n && n <= 21:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		b.WriteString(digits[:n])
		b.WriteByte('.')
		b.WriteString(digits[n:])
	case -6 < n && n <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if k > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		writeExponent(&b, n-1, 1)
	}
	return b.String()
}

// writeExponent writes "e+X" or "e-X", X padded with zeros to at least
// minDigits digits (1 for JavaScript and PHP, 2 for Python's "1e-05").
func writeExponent(b *strings.Builder, e, minDigits int) {
	b.WriteByte('e')
	if e < 0 {
		b.WriteByte('-')
		e = -e
	} else {
		b.WriteByte('+')
	}
	x := strconv.Itoa(e)
	for i := len(x); i < minDigits; i++ {
		b.WriteByte('0')
	}
	b.WriteString(x)
}

// jsNumber returns the text JSON.stringify(JSON.parse(lit)) gives for a
// valid number literal: the literal becomes the nearest float64, which
// prints by Number::toString, and a literal that overflows to ±Infinity
// prints "null" as JSON.stringify prints every non-finite number.
func jsNumber(lit string) string {
	f := float64Of(lit)
	if math.IsInf(f, 0) {
		return "null"
	}
	return formatJS(f)
}

// phpLongDigits is LONG_MIN_DIGITS from ext/json/json_scanner.re: the
// magnitude of PHP_INT_MIN, the one 19-digit magnitude that decides whether
// a 19-digit integer literal still fits zend_long.
const phpLongDigits = "9223372036854775808"

// phpIsLong reports whether json_decode makes lit a PHP int. Following the
// scanner in ext/json/json_scanner.re, a literal without fraction or
// exponent is an int when its magnitude has fewer than 19 digits, or 19
// digits below 9223372036854775808 (or equal to it when negative); every
// other literal is a double (JSON_BIGINT_AS_STRING is off by default).
func phpIsLong(lit string) bool {
	if strings.ContainsAny(lit, ".eE") {
		return false
	}
	mag := strings.TrimPrefix(lit, "-")
	switch {
	case len(mag) < len(phpLongDigits):
		return true
	case len(mag) > len(phpLongDigits):
		return false
	}
	cmp := strings.Compare(mag, phpLongDigits)
	return cmp < 0 || (cmp == 0 && mag != lit)
}

// phpNumber returns the text json_encode(json_decode(lit, true)) gives for
// a valid number literal, and false when json_encode fails because the
// literal overflowed to INF (JSON_ERROR_INF_OR_NAN). Ints print in decimal,
// so "-0" prints "0"; doubles print by formatPHPDouble.
func phpNumber(lit string) (string, bool) {
	if phpIsLong(lit) {
		if lit == "-0" {
			return "0", true
		}
		return lit, true
	}
	f := float64Of(lit)
	if math.IsInf(f, 0) {
		return "", false
	}
	return formatPHPDouble(f), true
}

// formatPHPDouble formats a finite f as json_encode does with
// serialize_precision = -1: zend_gcvt(f, 17, '.', 'e') in main/snprintf.c
// over zend_dtoa(f, mode 0) shortest digits. With value = 0.DIGITS ×
// 10^decpt, it uses exponent form "d.ddde±x" (one digit gives "d.0e±x")
// when decpt < −3 or decpt > 17, "0." and −decpt zeros before the digits
// when −3 ≤ decpt < 0, and plain digits otherwise, padded with zeros to
// decpt integer digits and with no ".0" for whole numbers because
// JSON_PRESERVE_ZERO_FRACTION is off. Zero prints "0" and negative zero
// "-0", since zend_gcvt keeps the sign.
func formatPHPDouble(f float64) string {
	var b strings.Builder
	if math.Signbit(f) {
		b.WriteByte('-')
	}
	if f == 0 {
		b.WriteByte('0')
		return b.String()
	}
	digits, decpt := shortestDigits(f)
	switch {
	case decpt < -3 || decpt > 17:
		b.WriteByte(digits[0])
		b.WriteByte('.')
		if len(digits) > 1 {
			b.WriteString(digits[1:])
		} else {
			b.WriteByte('0')
		}
		writeExponent(&b, decpt-1, 1)
	case decpt < 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	default:
		if decpt >= len(digits) {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
		} else {
			if decpt == 0 {
				b.WriteByte('0')
			} else {
				b.WriteString(digits[:decpt])
			}
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
	}
	return b.String()
}

// decimal is a number literal's exact value: zero, or ±0.DIGITS × 10^exp
// with digits free of leading and trailing zeros.
type decimal struct {
	neg    bool
	digits string
	exp    big.Int
}

// parseDecimal returns the exact value of a valid number literal.
func parseDecimal(lit string) decimal {
	var d decimal
	s := lit
	if strings.HasPrefix(s, "-") {
		d.neg = true
		s = s[1:]
	}
	mant, expText := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	all := intPart + frac
	point := len(intPart)
	trimmed := strings.TrimLeft(all, "0")
	point -= len(all) - len(trimmed)
	d.digits = strings.TrimRight(trimmed, "0")
	if d.digits == "" {
		d.neg = false
		return d
	}
	if expText != "" {
		d.exp.SetString(strings.TrimPrefix(expText, "+"), 10)
	}
	d.exp.Add(&d.exp, big.NewInt(int64(point)))
	return d
}

// numbersEqual reports whether two number literals have the same exact
// value (so "5.50" equals "5.5e0" and "-0" equals "0"); literals that are
// not valid JSON numbers are equal only when their texts are.
func numbersEqual(a, b Number) bool {
	if a == b {
		return true
	}
	if !isNumberLiteral(string(a)) || !isNumberLiteral(string(b)) {
		return false
	}
	x, y := parseDecimal(string(a)), parseDecimal(string(b))
	return x.neg == y.neg && x.digits == y.digits && x.exp.Cmp(&y.exp) == 0
}
