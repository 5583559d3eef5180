package jsonv

// EncodeJS returns the exact bytes JavaScript's JSON.stringify(value) (no
// replacer, no indent) produces for the value JSON.parse would build from
// v's JSON text (ECMA-262 JSON.stringify, checked against Node 20):
//
//   - Numbers are JavaScript Numbers: each literal becomes the nearest
//     float64 (so 8944000000000000001 prints 8944000000000000000) and
//     prints by Number::toString: shortest round-trip digits, plain
//     notation for 1e-6 <= |x| < 1e21 and exponent form such as "1e+21" or
//     "1.5e-7" otherwise; -0 prints "0"; a literal that overflows to
//     ±Infinity (1e400) prints "null", as JSON.stringify prints every
//     non-finite number.
//   - Strings are quoted as QuoteJSONString does: \" \\ \b \f \n \r \t,
//     other characters below U+0020 as \u00xx and lone surrogates as \udxxx
//     (lowercase hex, the well-formed JSON.stringify of ES2019); everything
//     else is literal, including "/", "<", ">", "&", U+2028, U+2029 and all
//     other non-ASCII characters. A high and a low surrogate stored next to
//     each other (WTF-8) make one character, as in a JavaScript string.
//   - Object members come in JavaScript property order: keys that are
//     array indices ("0" … "4294967294" in canonical form) first in
//     ascending numeric order, then the other keys in insertion order, so
//     {"b":1,"1":2} prints {"1":2,"b":1}.
//   - There is no white space.
//
// It fails with ErrNotEncodable for values that are not valid Values or
// nest deeper than MaxDepth. (Node's JSON.stringify itself throws a
// RangeError past a few thousand levels, depending on its stack size; that
// limit is not modelled.)
func EncodeJS(v Value) ([]byte, error) {
	e := styleEncoder{buf: make([]byte, 0, encodeBuf), maxDepth: MaxDepth, str: appendJSString,
		num: func(lit string) (string, error) { return jsNumber(lit), nil }, keys: jsKeyOrder}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// StringifyJS returns JSON.stringify(JSON.parse(body)) as JavaScript
// computes it, that is EncodeJS of Parse(body). A body is safe for a
// verifier that signs the re-serialised body exactly when
// StringifyJS(body) equals body.
func StringifyJS(body []byte) ([]byte, error) {
	v, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return EncodeJS(v)
}
