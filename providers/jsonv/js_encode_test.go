package jsonv

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestStringifyJS(t *testing.T) {
	runEncodeTable(t, "StringifyJS", StringifyJS, stringifyJSCases)
}

// TestStringifyJSTableAgainstNode checks the table's expectations
// themselves against node, when it is installed.
func TestStringifyJSTableAgainstNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not in PATH; the table is not checked against it")
	}
	checkTable(t, "node", stringifyJSCases, runLines(t, node, []string{"-e", nodeStringify}, tableInputs(stringifyJSCases)))
}

var stringifyJSCases = []encodeCase{
	// Numbers: float64 nearest the literal, Number::toString.
	{in: `5.50`, want: `5.5`},
	{in: `1e21`, want: `1e+21`},
	{in: `1E+21`, want: `1e+21`},
	{in: `1e-7`, want: `1e-7`},
	{in: `1.5e-7`, want: `1.5e-7`},
	{in: `0.000001`, want: `0.000001`},
	{in: `0.0000012`, want: `0.0000012`},
	{in: `123456789012345678901`, want: `123456789012345680000`},
	{in: `8944000000000000001`, want: `8944000000000000000`},
	{in: `9007199254740993`, want: `9007199254740992`},
	{in: `1e20`, want: `100000000000000000000`},
	{in: `999999999999999999999`, want: `1e+21`},
	{in: `-0`, want: `0`},
	{in: `-0.0`, want: `0`},
	{in: `0.1`, want: `0.1`},
	{in: `0.30000000000000004`, want: `0.30000000000000004`},
	{in: `1E2`, want: `100`},
	{in: `12.5e1`, want: `125`},
	{in: `-1.25e-10`, want: `-1.25e-10`},
	{in: `5e-324`, want: `5e-324`},
	{in: `1.7976931348623157e308`, want: `1.7976931348623157e+308`},
	{in: `1e400`, want: `null`},
	{in: `-1e400`, want: `null`},
	{in: `1e-400`, want: `0`},
	{in: `[1e400,1]`, want: `[null,1]`},
	// Strings: QuoteJSONString.
	{in: `"\u00e9"`, want: `"é"`},
	{in: `"😀"`, want: `"😀"`},
	{in: `"\ud83d\ude00"`, want: `"😀"`},
	{in: `"\uD83D\uDE00"`, want: `"😀"`},
	{in: `"</script>"`, want: `"</script>"`},
	{in: `"a/b"`, want: `"a/b"`},
	{in: `"a\/b"`, want: `"a/b"`},
	{in: `"<>&'"`, want: `"<>&'"`},
	{in: `"\u2028\u2029"`, want: "\"\u2028\u2029\""},
	{in: `"\u0000\u0001\u001f\b\f\n\r\t\"\\\u007f"`, want: "\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\x7f\""},
	{in: `"\u000B"`, want: `"\u000b"`},
	{in: `"\ud800"`, want: `"\ud800"`},
	{in: `"\uDC00\uD800"`, want: `"\udc00\ud800"`},
	{in: `"x\ud83dy"`, want: `"x\ud83dy"`},
	{in: `"\ud83d\u0041"`, want: `"\ud83dA"`},
	{in: `"\ufeff\uffff"`, want: "\"\ufeff\uffff\""},
	// Containers and key order.
	{in: `{}`, want: `{}`},
	{in: `[]`, want: `[]`},
	{in: ` [ 1 , true , null , "x" ] `, want: `[1,true,null,"x"]`},
	{in: `{"0":1,"1":2}`, want: `{"0":1,"1":2}`},
	{in: `{"1":1,"0":2}`, want: `{"0":2,"1":1}`},
	{in: `{"a":1,"b":2,"a":3}`, want: `{"a":3,"b":2}`},
	{in: `{"b":1,"10":2,"2":3,"01":4,"4294967295":5,"4294967294":6,"-1":7}`,
		want: `{"2":3,"10":2,"4294967294":6,"b":1,"01":4,"4294967295":5,"-1":7}`},
	{in: `{"__proto__":1}`, want: `{"__proto__":1}`},
	{in: nestedArray(100), want: nestedArray(100)},
	{in: nestedObject(100), want: nestedObject(100)},
	// Parse errors come through.
	{in: `[1,]`, wantErr: true},
}

func TestEncodeJSRejectsInvalidValues(t *testing.T) {
	for name, v := range map[string]Value{
		"bad number":   Number("01"),
		"empty number": Number(""),
		"go int":       42,
		"invalid utf8": "a\xffb",
		"map":          map[string]any{"a": 1},
		"nested":       []Value{NewObject(), []Value{Number("1.")}},
	} {
		if got, err := EncodeJS(v); !errors.Is(err, ErrNotEncodable) {
			t.Errorf("%s: EncodeJS = %s, %v; want ErrNotEncodable", name, got, err)
		}
	}
}

func TestEncodeJSBuiltValues(t *testing.T) {
	o := NewObject()
	o.Set("z", Number("1.50"))
	o.Set("7", "seven")
	o.Set("a", []Value{true, false, nil, "\xed\xa0\x80"})
	var zero Object
	zero.Set("k", Number("2"))
	o.Set("zero", &zero)
	o.Set("nil", (*Object)(nil))
	got, err := EncodeJS(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"7":"seven","z":1.5,"a":[true,false,null,"\ud800"],"zero":{"k":2},"nil":{}}`
	if string(got) != want {
		t.Errorf("EncodeJS = %s, want %s", got, want)
	}
}

func TestEncodeJSDepthLimit(t *testing.T) {
	var v Value = Number("1")
	for i := 0; i < MaxDepth; i++ {
		v = []Value{v}
	}
	if _, err := EncodeJS(v); err != nil {
		t.Fatalf("EncodeJS at MaxDepth: %v", err)
	}
	if _, err := EncodeJS([]Value{v}); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("EncodeJS past MaxDepth: err = %v, want ErrNotEncodable", err)
	}
	// A cycle is caught by the same limit instead of overflowing the stack.
	o := NewObject()
	o.Set("self", o)
	if _, err := EncodeJS(o); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("EncodeJS of a cycle: err = %v, want ErrNotEncodable", err)
	}
}

func TestFormatJS(t *testing.T) {
	// Each rule of Number::toString, at its boundaries.
	for lit, want := range map[string]string{
		"1e21":     "1e+21", // n = 22: exponent form
		"1.5e21":   "1.5e+21",
		"1e20":     "100000000000000000000", // k ≤ n ≤ 21
		"1.5e20":   "150000000000000000000",
		"123.456":  "123.456", // 0 < n ≤ 21
		"0.5":      "0.5",     // n = 0
		"0.000001": "0.000001",
		"1.5e-6":   "0.0000015", // n = -5
		"1e-7":     "1e-7",      // n = -6: exponent form
		"1.23e-7":  "1.23e-7",
		"-2e-7":    "-2e-7",
		"-1e21":    "-1e+21",
		"1e308":    "1e+308",
	} {
		if got := jsNumber(lit); got != want {
			t.Errorf("jsNumber(%s) = %s, want %s", lit, got, want)
		}
	}
	if got := strings.Count(formatJS(1.0/3), "3"); got != 16 {
		t.Errorf("formatJS(1/3) has %d threes, want 16", got)
	}
}
