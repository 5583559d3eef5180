// Package jsonlimit bounds the nesting depth and the number of values of a
// JSON document before anything decodes it. Decoders and validators build a
// tree of the whole document, and a small body of deeply nested arrays costs
// them far more than its size: issue 11 measured 20 KB of 9,999 nested
// arrays at 5.5 s of CPU and 1.1 GB in the control API's validator. Check
// scans the bytes once, without allocating, and refuses such a document
// before it is decoded.
//
// Check does not validate JSON: a malformed document within the limits
// passes, and the decoder that follows reports its syntax.
package jsonlimit

import (
	"bytes"
	"fmt"
)

// The limits every JSON and YAML input of esimhooks is held to (control
// API bodies, profiles, scenarios); README "Limits and guarantees" lists
// them.
const (
	// MaxDepth is the deepest nesting of arrays and objects (the top-level
	// value is depth 1 when it is an array or object).
	MaxDepth = 64
	// MaxValues bounds the number of values in a document: every string
	// (object keys included), number, literal, array and object.
	MaxValues = 100_000
)

// Error is a document beyond a limit: Limit is "depth" or "values", Max
// its bound, Offset the byte offset where the scan crossed it.
type Error struct {
	Limit  string
	Max    int
	Offset int
}

func (e *Error) Error() string {
	switch e.Limit {
	case "depth":
		return fmt.Sprintf("the document nests arrays and objects deeper than %d levels (at byte %d)", e.Max, e.Offset)
	default:
		return fmt.Sprintf("the document has more than %d values (strings, numbers, literals, arrays and objects; at byte %d)", e.Max, e.Offset)
	}
}

// Check returns an *Error when data nests deeper than MaxDepth or holds
// more than MaxValues values, and nil otherwise.
func Check(data []byte) error { return CheckLimits(data, MaxDepth, MaxValues) }

// CheckLimits is Check with the given limits.
func CheckLimits(data []byte, maxDepth, maxValues int) error {
	depth, values := 0, 0
	inString, inScalar := false, false
	quote := -1 // the offset of the next '"' at or after i, once searched
	for i := 0; i < len(data); i++ {
		if inString {
			// Skip to the string's next quote or escape. The quote's
			// offset is kept, so that a string of many escapes is still
			// scanned once.
			if quote < i {
				j := bytes.IndexByte(data[i:], '"')
				if j < 0 {
					return nil // unterminated: the decoder will say so
				}
				quote = i + j
			}
			j := quote - i
			if k := bytes.IndexByte(data[i:quote], '\\'); k >= 0 {
				j = k
			}
			i += j
			if data[i] == '\\' {
				i++ // the escaped byte
			} else {
				inString = false
			}
			continue
		}
		c := data[i]
		switch c {
		case '"':
			inString, inScalar = true, false
			values++
		case '[', '{':
			inScalar = false
			values++
			depth++
			if depth > maxDepth {
				return &Error{Limit: "depth", Max: maxDepth, Offset: i}
			}
		case ']', '}':
			inScalar = false
			depth--
		case ',', ':', ' ', '\t', '\n', '\r':
			inScalar = false
		default:
			// The first byte of a number or literal.
			if !inScalar {
				inScalar = true
				values++
			}
		}
		if values > maxValues {
			return &Error{Limit: "values", Max: maxValues, Offset: i}
		}
	}
	return nil
}
