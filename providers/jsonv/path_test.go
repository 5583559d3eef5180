package jsonv

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for in, want := range map[string][]string{
		"":                   {},
		"/":                  {""},
		"/data/iccid":        {"data", "iccid"},
		"/a~1b/c~0d/~01":     {"a/b", "c~d", "~1"},
		"/a//b":              {"a", "", "b"},
		"/esims/0/iccid":     {"esims", "0", "iccid"},
		"data.iccid":         {"data", "iccid"},
		"data.esims.0.iccid": {"data", "esims", "0", "iccid"},
		"a~b":                {"a~b"},
		"*":                  {"*"},
	} {
		got, err := ParsePath(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/a~2", "/a~", "a..b", ".a", "a."} {
		if _, err := ParsePath(in); !errors.Is(err, ErrPath) {
			t.Errorf("ParsePath(%q): err = %v, want ErrPath", in, err)
		}
	}
	for _, p := range [][]string{{}, {""}, {"a/b", "~", "0"}} {
		back, err := ParsePath(Pointer(p))
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Errorf("ParsePath(Pointer(%q)) = %q, %v", p, back, err)
		}
	}
}

func TestGet(t *testing.T) {
	v, _ := Parse([]byte(`{"data":{"esims":[{"iccid":"89A"},{"iccid":"89B"}],"n":null},"a/b":1}`))
	for path, want := range map[string]Value{
		"data.esims.1.iccid":  "89B",
		"/data/esims/0/iccid": "89A",
		"/a~1b":               Number("1"),
		"/data/n":             nil,
	} {
		p, _ := ParsePath(path)
		got, ok := Get(v, p)
		if !ok || !Equal(got, want) {
			t.Errorf("Get(%s) = %v, %v; want %v", path, got, ok, want)
		}
	}
	if got, ok := Get(v, nil); !ok || got != v {
		t.Error("Get with the empty path is not the root")
	}
	for _, path := range []string{"data.esims.2", "data.esims.01", "data.esims.-1", "data.esims.x", "data.missing", "data.n.x", "/a~1b/c"} {
		p, _ := ParsePath(path)
		if got, ok := Get(v, p); ok {
			t.Errorf("Get(%s) = %v, want not found", path, got)
		}
	}
}

func TestSet(t *testing.T) {
	v, _ := Parse([]byte(`{"data":{"esims":[{"iccid":"89A"}],"n":null},"z":1}`))
	steps := []struct {
		path string
		val  Value
	}{
		{"data.esims.0.iccid", "89X"}, // replace
		{"/data/esims/-", "appended"}, // append with "-"
		{"data.esims.2", Number("3")}, // append at len
		{"data.esims.3.sku", "new"},   // append then create
		{"data.new.deep.key", true},   // create missing objects
		{"data.n.x", Number("1")},     // null is replaced
		{"z", nil},                    // existing key keeps its place
	}
	for _, s := range steps {
		p, _ := ParsePath(s.path)
		var err error
		if v, err = Set(v, p, s.val); err != nil {
			t.Fatalf("Set(%s): %v", s.path, err)
		}
	}
	got, _ := Compact(v)
	want := `{"data":{"esims":[{"iccid":"89X"},"appended",3,{"sku":"new"}],"n":{"x":1},"new":{"deep":{"key":true}}},"z":null}`
	if string(got) != want {
		t.Errorf("after Set:\n got %s\nwant %s", got, want)
	}

	if r, err := Set(nil, []string{"a", "b"}, "x"); err != nil {
		t.Error(err)
	} else if c, _ := Compact(r); string(c) != `{"a":{"b":"x"}}` {
		t.Errorf("Set on nil root = %s", c)
	}
	if r, _ := Set([]Value{}, []string{"-"}, "x"); !Equal(r, []Value{"x"}) {
		t.Errorf("append at the root = %#v", r)
	}
	if r, _ := Set(v, []string{}, "whole"); r != "whole" {
		t.Errorf("Set with the empty path = %#v", r)
	}
}

func TestSetErrors(t *testing.T) {
	doc := `{"a":[1,2],"s":"str"}`
	for _, c := range []struct {
		path, seg string
	}{
		{"a.5", `segment 1 ("5")`},
		{"a.01", `segment 1 ("01")`},
		{"a.x.y", `segment 1 ("x")`},
		{"s.x", `segment 1 ("x"): cannot set a member of a string`},
		{"a.0.x", `segment 2 ("x"): cannot set a member of a number`},
		{"/a/-1", `segment 1 ("-1"): not an index of an array of length 2`},
	} {
		v, _ := Parse([]byte(doc))
		p, _ := ParsePath(c.path)
		_, err := Set(v, p, "x")
		if !errors.Is(err, ErrPath) || !strings.Contains(err.Error(), c.seg) {
			t.Errorf("Set(%s): err = %v, want ErrPath naming %s", c.path, err, c.seg)
		}
		if got, _ := Compact(v); string(got) != doc {
			t.Errorf("Set(%s) failed but changed the document to %s", c.path, got)
		}
	}
}

func TestWalk(t *testing.T) {
	v, _ := Parse([]byte(`{"data":{"esims":[{"iccid":"89A","x":1},{"iccid":"89B"},{"no":0},7]},"meta":{"b":1,"a":2}}`))
	collect := func(pattern string) []string {
		p, _ := ParsePath(pattern)
		var out []string
		Walk(v, p, func(path []string, val Value) {
			c, _ := Compact(val)
			out = append(out, Pointer(path)+"="+string(c))
		})
		return out
	}
	for pattern, want := range map[string][]string{
		"data.esims.*.iccid": {"/data/esims/0/iccid=\"89A\"", "/data/esims/1/iccid=\"89B\""},
		"meta.*":             {"/meta/b=1", "/meta/a=2"},
		"*.*.1.iccid":        {"/data/esims/1/iccid=\"89B\""},
		"data.esims.3":       {"/data/esims/3=7"},
		"data.esims.3.*":     nil,
		"data.esims.9":       nil,
		"missing.*":          nil,
		"":                   {`=` + func() string { c, _ := Compact(v); return string(c) }()},
	} {
		if got := collect(pattern); !reflect.DeepEqual(got, want) {
			t.Errorf("Walk(%q) = %q, want %q", pattern, got, want)
		}
	}

	// Paths handed to fn are fresh and fn may replace values via Set.
	var kept [][]string
	Walk(v, []string{"data", "esims", "*", "iccid"}, func(path []string, val Value) {
		kept = append(kept, path)
		if _, err := Set(v, path, "masked"); err != nil {
			t.Error(err)
		}
	})
	if len(kept) != 2 || kept[0][2] != "0" || kept[1][2] != "1" {
		t.Errorf("paths were reused: %q", kept)
	}
	if got, _ := Get(v, []string{"data", "esims", "1", "iccid"}); got != "masked" {
		t.Errorf("Set inside Walk did not stick: %v", got)
	}
}

// TestEscapePointer: "~" is escaped before "/", so "/" never becomes "~01".
func TestEscapePointer(t *testing.T) {
	for in, want := range map[string]string{"": "", "iccid": "iccid", "a/b": "a~1b", "c~d": "c~0d", "~1": "~01", "/~/": "~1~0~1"} {
		if got := EscapePointer(in); got != want {
			t.Errorf("EscapePointer(%q) = %q, want %q", in, got, want)
		}
	}
}
