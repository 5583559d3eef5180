package yamldoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/schemas"
)

// Load is how profiles and scenarios are read: data is parsed within the
// package's limits (Parse), validated against the JSON Schema at
// schemaPath (schemas.Validate), and decoded into v, refusing fields v
// does not have when strict. It returns the document for the positions of
// later errors. An error is Parse's (the Doc is then nil), the schema's
// *schemas.ValidationError (see Locate), or the decoder's prefixed with
// the file name.
func Load(name string, data []byte, schemaPath string, v any, strict bool) (*Doc, error) {
	doc, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	if err := schemas.Validate(schemaPath, jsonv.ToAny(doc.Value)); err != nil {
		return doc, err
	}
	raw, err := jsonv.Compact(doc.Value)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if strict {
			dec.DisallowUnknownFields()
		}
		err = dec.Decode(v)
	}
	if err != nil {
		return doc, fmt.Errorf("%s: %v", name, err)
	}
	return doc, nil
}

// Locate returns the lines of a schema violation error found in doc, one
// a violation, "file:line:col: /pointer: keyword: message" (the root shown
// as "/"), repeated lines dropped; rewrite, when not nil, gives each
// violation's pointer and message first. ok is false when err holds no
// *schemas.ValidationError.
func Locate(doc *Doc, err error, rewrite func(schemas.Violation) (ptr, msg string)) (lines []string, ok bool) {
	var ve *schemas.ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	seen := map[string]bool{}
	for _, v := range ve.Violations {
		ptr, msg := v.Pointer, v.Message
		if rewrite != nil {
			ptr, msg = rewrite(v)
		}
		shown := ptr
		if shown == "" {
			shown = "/"
		}
		line := fmt.Sprintf("%s: %s: %s: %s", doc.Where(ptr), shown, v.Keyword, msg)
		if !seen[line] {
			seen[line] = true
			lines = append(lines, line)
		}
	}
	return lines, true
}
