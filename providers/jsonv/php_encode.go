package jsonv

import (
	"strconv"
)

// PHPMaxDepth is the deepest nesting of arrays and objects that PHP's
// json_decode accepts with its default $depth = 512: the decoder counts one
// level more than the containers, so 511 nested arrays decode and 512 fail
// with JSON_ERROR_DEPTH (checked with PHP 8.2). EncodePHP fails on deeper
// values too.
const PHPMaxDepth = 511

// EncodePHP returns the exact bytes PHP's json_encode($x) produces with
// default flags, where $x = json_decode($json, true) of v's JSON text, on
// PHP >= 7.1 with the default serialize_precision = -1. The rules follow
// php-src ext/json/json_scanner.re, ext/json/json_encoder.c and zend_gcvt
// (main/snprintf.c, Zend/zend_strtod.c), checked against PHP 8.2:
//
//   - A number literal without fraction or exponent that fits a 64-bit
//     zend_long decodes to an int and prints in decimal ("-0" prints "0").
//     Every other literal, including integers that overflow, decodes to the
//     nearest double (zend_strtod) and prints by zend_gcvt with precision
//     17 in mode 0: shortest round-trip digits d1d2… with value =
//     0.d1d2… × 10^decpt, in exponent form "d1.d2…e±x" ("d1.0e±x" for a
//     single digit) when decpt < −3 or decpt > 17, else in plain notation
//     without a trailing ".0" (JSON_PRESERVE_ZERO_FRACTION is off):
//     "5.50" → 5.5, "5.0" → 5, "0.0001" → 0.0001, "1e-5" → 1.0e-5,
//     "1e16" → 10000000000000000, "1e17" → 1.0e+17,
//     "10000000000000000000" → 1.0e+19, "-0.0" → -0 (the sign is kept).
//     A literal that overflows to INF makes json_encode fail
//     (JSON_ERROR_INF_OR_NAN).
//   - Strings are escaped by php_json_escape_string: \" \\ \/ \b \f \n \r
//     \t, other bytes below 0x20 as \u00xx, every non-ASCII character as
//     \uxxxx (a surrogate pair above U+FFFF), all hex lowercase; 0x7f and
//     "<>&'" stay literal. A lone surrogate fails, because json_decode
//     rejects it (JSON_ERROR_UTF16).
//   - Objects decode to PHP arrays: an empty object prints "[]"; an object
//     whose keys are exactly "0", "1", … "n-1" in that order is a list and
//     prints as a JSON array; any other object prints as an object in
//     insertion order, integer-like keys still quoted. Duplicate keys were
//     already merged by Parse the way zend_symtable_update merges them.
//   - Nesting deeper than PHPMaxDepth fails (JSON_ERROR_DEPTH).
//   - There is no white space.
//
// Failures wrap ErrNotEncodable.
func EncodePHP(v Value) ([]byte, error) {
	e := styleEncoder{buf: make([]byte, 0, encodeBuf), maxDepth: PHPMaxDepth, str: appendPHPString, num: phpNumberText, asList: phpIsList}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// PHPRoundTrip returns json_encode(json_decode($body, true)) as PHP
// computes it: EncodePHP of Parse(body), with the extra failures below. A
// body is safe for a
// verifier that signs the re-serialised body exactly when PHPRoundTrip(body)
// equals body. PHP's own round trip is not quite idempotent: "-0.0"
// becomes "-0", which then decodes as int 0 and prints "0".
//
// It also fails when json_decode would fail
// on a part of the body that Parse drops, the value of a duplicate key that
// a later one replaced: a lone surrogate escape or nesting deeper than
// PHPMaxDepth there still makes PHP's json_decode fail.
func PHPRoundTrip(body []byte) ([]byte, error) {
	v, p, err := parse(body)
	if err != nil {
		return nil, err
	}
	if p.lone {
		return nil, notEncodable("PHP json_decode rejects lone surrogate escapes (JSON_ERROR_UTF16)")
	}
	if p.maxDepth > PHPMaxDepth {
		return nil, notEncodable("PHP json_decode rejects nesting deeper than %d (JSON_ERROR_DEPTH)", PHPMaxDepth)
	}
	return EncodePHP(v)
}

// phpIsList reports whether o's keys are exactly "0", "1", … in order, so
// that the PHP array json_decode builds from it is a list
// (zend_array_is_list). An empty object is a list too.
func phpIsList(o *Object) bool {
	if o == nil {
		return true
	}
	for i, k := range o.keys {
		if k != strconv.Itoa(i) {
			return false
		}
	}
	return true
}

// phpNumberText is phpNumber for styleEncoder: INF makes json_encode fail.
func phpNumberText(lit string) (string, error) {
	text, ok := phpNumber(lit)
	if !ok {
		return "", notEncodable("PHP json_encode fails on INF (number %s)", lit)
	}
	return text, nil
}

// appendPHPString appends s quoted as php_json_escape_string does with
// default flags (see EncodePHP).
func appendPHPString(buf []byte, s string) ([]byte, error) {
	return appendQuoted(buf, s, quoting{slash: true, asciiOnly: true,
		lone: "PHP json_decode rejects (JSON_ERROR_UTF16) the lone surrogate"})
}
