package yamldoc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/attack"
	"github.com/esimhooks/esimhooks/internal/yamldoc"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

func TestParseKeepsOrderTypesAndPositions(t *testing.T) {
	src := "b: 1\na:\n  - x: true\n    y: null\n  - 2.50\nc: &anchor \"s\"\nd: *anchor\n"
	d, err := yamldoc.Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := jsonv.Compact(d.Value)
	if string(got) != `{"b":1,"a":[{"x":true,"y":null},2.50],"c":"s","d":"s"}` {
		t.Errorf("value %s", got)
	}
	for ptr, want := range map[string]string{
		"/a/0/y":   "f.yaml:4:8",
		"/a/1":     "f.yaml:5:5",
		"/a/0/zzz": "f.yaml:3:5", // a missing member is reported at its object
		"/nope":    "f.yaml:1:1",
	} {
		if w := d.Where(ptr); w != want {
			t.Errorf("Where(%s) = %s, want %s", ptr, w, want)
		}
	}
}

func TestParseRejectsWhatJSONCannotHold(t *testing.T) {
	for src, want := range map[string]string{
		"a: 1\na: 2\n":    `f.yaml:2:1: yamldoc: syntax error: duplicate key "a"`,
		"a: .nan\n":       "no JSON equivalent",
		"a: [1, 2\n":      "syntax error",
		"":                "empty",
		"? [a, b]\n: 1\n": "mapping key must be a scalar",
	} {
		_, err := yamldoc.Parse("f.yaml", []byte(src))
		if err == nil || !errors.Is(err, yamldoc.ErrSyntax) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an ErrSyntax containing %q", src, err, want)
		}
	}
}

// TestParseLimits: nesting and alias bombs are refused with an error
// naming the limit, before they are built.
func TestParseLimits(t *testing.T) {
	nested, laughs := attack.NestedArrays, attack.AliasBomb()
	for _, tc := range []struct {
		name, src, want string // want "" when the document is accepted
	}{
		{"64 levels", nested(64), ""},
		{"65 levels", nested(65), "nesting deeper than 64"},
		{"9,999 levels", nested(9999), "nesting deeper than 64"},
		{"25,000 levels", nested(25000), "exceeded max depth"},
		{"alias bomb (9^7 values)", laughs, "more than 100000 values"},
	} {
		_, err := yamldoc.Parse("f.yaml", []byte(tc.src))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, yamldoc.ErrSyntax)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
