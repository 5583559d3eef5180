// Package attack builds the hostile documents of issue 11, for the tests
// that keep esimhooks' input limits proven.
package attack

import "strings"

// NestedArrays returns n nested JSON (and YAML flow) arrays: 2n bytes.
func NestedArrays(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// AliasBomb returns a YAML mapping whose seven keys (a to g) expand,
// through aliases, to 9^7 (4.8 million) values: a "billion laughs" in
// seven lines.
func AliasBomb() string {
	s := "a: &a [x,x,x,x,x,x,x,x,x]\n"
	for i, c := range "bcdefg" {
		prev := string("abcdefg"[i])
		s += string(c) + ": &" + string(c) + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ",") + "]\n"
	}
	return s
}
