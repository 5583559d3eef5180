package jsonv

// Compact returns v as compact JSON: no white space, object keys in
// insertion order, number literals copied verbatim, and strings escaped
// minimally as JSON.stringify does (\" \\ \b \f \n \r \t, \u00xx for other
// control characters, \udxxx for lone surrogates, all else literal). For a
// parsed document this is the original text without its white space and
// with redundant escapes such as \/ or \u00e9 written out, and
// Parse(Compact(v)) equals v. It fails with ErrNotEncodable for values that
// are not valid Values or nest deeper than MaxDepth.
func Compact(v Value) ([]byte, error) {
	e := styleEncoder{buf: make([]byte, 0, encodeBuf), maxDepth: MaxDepth, str: appendJSString,
		num: func(lit string) (string, error) { return lit, nil }}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}
