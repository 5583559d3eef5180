package jsonv

import (
	"math"
	"strconv"
	"strings"
)

// MaxSafeInteger is 2^53−1, the largest integer every Airalo SDK runtime
// (JavaScript's Number among them) holds exactly.
const MaxSafeInteger = 1<<53 - 1

// EncodeAiralo returns v in the form Airalo bodies are sent in: bytes that
// each official Airalo SDK's re-serialisation reproduces, so that an HMAC of
// the raw body and each SDK's checkSignature agree (providers.md, airalo,
// "So the mock sends Airalo bodies whose bytes are the signed string"):
//
//   - compact, object keys in insertion order;
//   - "/" written "\/"; "<", ">", "&", "'" and 0x7f literal; \" \\ \b \f
//     \n \r \t and \u00xx for other control characters, hex lowercase;
//   - non-ASCII text as \uxxxx escapes (a surrogate pair above U+FFFF) when
//     utf8 is false — the form PHP's json_encode writes, which only the PHP
//     SDK reproduces — or as literal UTF-8 when utf8 is true, which only the
//     Node and Python SDKs reproduce. Which one Airalo sends is not
//     documented: the choice is the variant's encoding (php or php-utf8,
//     assumed);
//   - integers as plain digits ("-0" and "-0.0" as 0, "20.00" and "1e5" as
//     20 and 100000, as PHP and Node print them and Python then reads them
//     back as ints);
//   - other numbers as the nearest double in shortest round-trip form, in
//     plain notation when 1e-4 <= |x| (every non-integral double is below
//     1e16): "5.50" as 5.5, "0.1e1" as 1.
//
// Values the rule cannot express are still written, in the form closest to
// the SDK the option targets, and some SDK will then reject the body:
// integers beyond ±(2^53−1) keep their digits (Node rounds them; PHP reads
// those beyond 64 bits as doubles); integral doubles beyond 2^53 and
// non-integral ones below 1e-4 print as PHP prints them (utf8 false) or as
// JavaScript does (utf8 true); a literal that overflows a double is copied;
// "{}" stays "{}" (PHP's json_decode turns it into [], so omit such a field
// or send null); integer-like keys keep their order (Node lists them first,
// and PHP turns "0","1",… into a list); lone surrogates are written as
// \udxxx escapes (PHP rejects them, Python cannot hash them). Package
// signing's Airalo SDK checks say which SDK rejects a given body and why.
//
// It fails with ErrNotEncodable for values that are not valid Values or
// nest deeper than MaxDepth.
func EncodeAiralo(v Value, utf8 bool) ([]byte, error) {
	e := styleEncoder{
		buf:      make([]byte, 0, encodeBuf),
		maxDepth: MaxDepth,
		str: func(buf []byte, s string) ([]byte, error) {
			return appendQuoted(buf, s, quoting{slash: true, asciiOnly: !utf8})
		},
		num: func(lit string) (string, error) { return airaloNumber(lit, utf8), nil },
	}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// isIntLiteral reports whether a valid number literal has neither fraction
// nor exponent.
func isIntLiteral(lit string) bool { return !strings.ContainsAny(lit, ".eE") }

// airaloNumber is EncodeAiralo's number form (see there).
func airaloNumber(lit string, utf8 bool) string {
	if isIntLiteral(lit) {
		if lit == "-0" {
			return "0"
		}
		return lit
	}
	f := float64Of(lit)
	switch {
	case math.IsInf(f, 0):
		return lit
	case f == 0:
		return "0"
	case f == math.Trunc(f) && math.Abs(f) <= MaxSafeInteger:
		return strconv.FormatFloat(f, 'f', -1, 64)
	case f != math.Trunc(f) && math.Abs(f) >= 1e-4:
		return strconv.FormatFloat(f, 'f', -1, 64)
	case utf8:
		return formatJS(f)
	}
	return formatPHPDouble(f)
}
