package jsonv

import (
	"math"
	"strings"
)

// PythonMaxIntDigits is CPython's default int_max_str_digits (3.11+):
// json.loads fails on an integer literal with more digits.
const PythonMaxIntDigits = 4300

// EncodePython returns the UTF-8 bytes of Python's
// json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
// for v's JSON text, as CPython 3.11 computes them (Lib/json/decoder.py,
// encoder.py, float.__repr__):
//
//   - An integer literal (no fraction or exponent) is a Python int and
//     keeps its exact digits ("-0" prints 0); one with more than
//     PythonMaxIntDigits digits makes json.loads fail.
//   - Every other literal is float(literal), printed by repr: shortest
//     round-trip digits, plain notation with at least one fractional digit
//     ("20.0", "100000.0", "5.5") when 1e-4 <= |x| < 1e16, otherwise
//     exponent form with a sign and at least two exponent digits ("1e-05",
//     "1.5e-07", "1e+16"); "-0.0" prints -0.0; a literal that overflows
//     prints Infinity or -Infinity (allow_nan is on by default).
//   - Strings: \" \\ \b \f \n \r \t, \u00xx (lowercase) for other characters
//     below U+0020, everything else literal: "/", 0x7f, non-ASCII, U+2028.
//     A lone surrogate fails: the SDK's hmac needs the string as UTF-8,
//     which str.encode refuses.
//   - Objects are dicts: insertion order, duplicate keys merged as Parse
//     merges them, "{}" for an empty one; no white space.
//
// Python's recursion limit (json.loads fails near 1000 levels) is not
// modelled. Failures wrap ErrNotEncodable.
func EncodePython(v Value) ([]byte, error) {
	e := styleEncoder{buf: make([]byte, 0, encodeBuf), maxDepth: MaxDepth, str: appendPythonString, num: pythonNumber}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// PythonRoundTrip is EncodePython of Parse(body).
func PythonRoundTrip(body []byte) ([]byte, error) {
	v, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return EncodePython(v)
}

func pythonNumber(lit string) (string, error) {
	if isIntLiteral(lit) {
		if len(strings.TrimPrefix(lit, "-")) > PythonMaxIntDigits {
			return "", notEncodable("Python json.loads rejects an integer of more than %d digits", PythonMaxIntDigits)
		}
		if lit == "-0" {
			return "0", nil
		}
		return lit, nil
	}
	return formatPython(float64Of(lit)), nil
}

// formatPython formats f as Python's float.__repr__ and json.dumps do.
func formatPython(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	var b strings.Builder
	if f < 0 {
		b.WriteByte('-')
	}
	digits, decpt := shortestDigits(f)
	switch {
	case decpt < -3 || decpt > 16:
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		writeExponent(&b, decpt-1, 2)
	case decpt <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	case decpt >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", decpt-len(digits)))
		b.WriteString(".0")
	default:
		b.WriteString(digits[:decpt])
		b.WriteByte('.')
		b.WriteString(digits[decpt:])
	}
	return b.String()
}

// appendPythonString appends s quoted as json.dumps(ensure_ascii=False)
// quotes it (see EncodePython).
func appendPythonString(buf []byte, s string) ([]byte, error) {
	return appendQuoted(buf, s, quoting{lone: "Python cannot encode as UTF-8 the lone surrogate"})
}
