package jsonv

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseValues(t *testing.T) {
	v, err := Parse([]byte(` {"b":1, "a":[true,false,null,"s",-1.50e+3,{}], "b":2, "c":{"d":"\u00e9\n"}} `))
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*Object)
	if got := strings.Join(o.Keys(), ","); got != "b,a,c" {
		t.Errorf("keys = %s, want b,a,c (duplicate keeps its first position)", got)
	}
	if b, _ := o.Get("b"); b != Number("2") {
		t.Errorf("b = %#v, want the last value 2", b)
	}
	a, _ := o.Get("a")
	want := []Value{true, false, nil, "s", Number("-1.50e+3"), NewObject()}
	if !Equal(a, want) {
		t.Errorf("a = %#v", a)
	}
	if n := a.([]Value)[4]; n != Number("-1.50e+3") {
		t.Errorf("number literal = %#v, want the text kept verbatim", n)
	}
	if d, _ := Get(v, []string{"c", "d"}); d != "é\n" {
		t.Errorf("c.d = %q", d)
	}
	for in, want := range map[string]Value{
		`"x"`:              "x",
		`0`:                Number("0"),
		`-0`:               Number("-0"),
		`1E400`:            Number("1E400"),
		`null`:             nil,
		"\t[]\r\n":         []Value{},
		`"\ud83d\ude00"`:   "😀",
		`"\ud800"`:         "\xed\xa0\x80",
		`"\udbff\udfff"`:   "\U0010ffff",
		`"\ud800\ud800"`:   "\xed\xa0\x80\xed\xa0\x80",
		`"\udc00\ud800"`:   "\xed\xb0\x80\xed\xa0\x80",
		`"\ud800\n"`:       "\xed\xa0\x80\n",
		`"\/\b\f\r\t"`:     "/\b\f\r\t",
		`"a\u0000b"`:       "a\x00b",
		`"é😀\u2028"`:       "é😀\u2028",
		`"\uFFFD"`:         "\ufffd",
		"\"\xef\xbf\xbd\"": "\ufffd",
	} {
		got, err := Parse([]byte(in))
		if err != nil {
			t.Errorf("Parse(%s): %v", in, err)
			continue
		}
		if !Equal(got, want) {
			t.Errorf("Parse(%s) = %#v, want %#v", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		offset int
	}{
		{``, 0},
		{`   `, 3},
		{"\xef\xbb\xbf{}", 0},
		{`{"a":1}x`, 7},
		{`{"a":1} {}`, 8},
		{`[1,]`, 3},
		{`[1 2]`, 3},
		{`{"a":1,}`, 7},
		{`{"a" 1}`, 5},
		{`{a:1}`, 1},
		{`{"a":}`, 5},
		{`[01]`, 2},
		{`[-]`, 2},
		{`[-a]`, 2},
		{`[1.]`, 3},
		{`[1.e5]`, 3},
		{`[.5]`, 1},
		{`[1e]`, 3},
		{`[1e+]`, 4},
		{`[+1]`, 1},
		{`[NaN]`, 1},
		{`tru`, 3},
		{`nulL`, 3},
		{`"abc`, 4},
		{"\"a\tb\"", 2},
		{"\"a\x00b\"", 2},
		{`"\x"`, 2},
		{`"\u12G4"`, 5},
		{`"\u12"`, 5},
		{`"\`, 2},
		{"\"a\xffb\"", 2},
		{"\"\xed\xa0\x80\"", 1}, // raw surrogate bytes are not UTF-8
		{"\"\xc0\xaf\"", 1},     // overlong encoding
		{"[\xff]", 1},
		{`{"a":1`, 6},
		{`[1`, 2},
		{`{"a"`, 4},
	} {
		_, err := Parse([]byte(c.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError wrapping ErrSyntax", c.in, err)
			continue
		}
		if se.Offset != c.offset {
			t.Errorf("Parse(%q) offset = %d, want %d (%v)", c.in, se.Offset, c.offset, err)
		}
		if prefix := "jsonv: offset "; !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("Parse(%q) error %q lacks prefix %q", c.in, err, prefix)
		}
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"iccid": "8944", x}`))
	if got, want := err.Error(), `jsonv: offset 18: unexpected character 'x', want an object key`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestParseDepthLimit(t *testing.T) {
	if _, err := Parse([]byte(nestedArray(MaxDepth))); err != nil {
		t.Errorf("Parse at MaxDepth: %v", err)
	}
	if _, err := Parse([]byte(nestedObject(MaxDepth))); err != nil {
		t.Errorf("Parse of objects at MaxDepth: %v", err)
	}
	_, err := Parse([]byte(nestedArray(MaxDepth + 1)))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != MaxDepth {
		t.Errorf("Parse past MaxDepth: %v, want a syntax error at offset %d", err, MaxDepth)
	}
	// Hostile input far deeper than the limit fails fast without
	// exhausting the stack.
	if _, err := Parse([]byte(strings.Repeat("[", 5_000_000))); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse of 5e6 '[': %v", err)
	}
}

// TestParseAgreesWithEncodingJSON checks acceptance and values against
// encoding/json on the generated corpus: both accept every document, and
// ToAny of the parsed value equals what encoding/json decodes with
// UseNumber (lone surrogates aside, which encoding/json replaces).
func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for i, doc := range corpus(99, 300, false, true) {
		v, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("doc %d: %v\n%s", i, err, doc)
		}
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("doc %d: encoding/json: %v", i, err)
		}
		if !Equal(v, FromAny(want)) {
			t.Errorf("doc %d: Parse and encoding/json disagree\n%s", i, doc)
		}
	}
	for _, doc := range invalidDocs {
		if json.Valid([]byte(doc)) {
			t.Errorf("invalidDocs holds %q, which encoding/json accepts", doc)
		}
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse accepts %q", doc)
		}
	}
}
