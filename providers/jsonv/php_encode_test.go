package jsonv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var phpRoundTripCases = []encodeCase{
	// Integers stay integers while they fit zend_long.
	{in: `0`, want: `0`},
	{in: `-0`, want: `0`},
	{in: `42`, want: `42`},
	{in: `9223372036854775807`, want: `9223372036854775807`},
	{in: `-9223372036854775808`, want: `-9223372036854775808`},
	{in: `9223372036854775808`, want: `9.223372036854776e+18`},
	{in: `-9223372036854775809`, want: `-9.223372036854776e+18`},
	{in: `10000000000000000000`, want: `1.0e+19`},
	{in: `123456789012345678901`, want: `1.2345678901234568e+20`},
	// Doubles print by zend_gcvt(precision 17, mode 0).
	{in: `5.50`, want: `5.5`},
	{in: `5.0`, want: `5`},
	{in: `100.0`, want: `100`},
	{in: `1E2`, want: `100`},
	{in: `0.1`, want: `0.1`},
	{in: `-0.0`, want: `-0`},
	{in: `0.0`, want: `0`},
	{in: `1e-400`, want: `0`},
	{in: `-1e-400`, want: `-0`},
	{in: `1e21`, want: `1.0e+21`},
	{in: `1e-7`, want: `1.0e-7`},
	{in: `1.5e-7`, want: `1.5e-7`},
	{in: `0.000001`, want: `1.0e-6`},
	{in: `0.00001`, want: `1.0e-5`},
	{in: `0.000012`, want: `1.2e-5`},
	{in: `0.0001`, want: `0.0001`},
	{in: `0.00012`, want: `0.00012`},
	{in: `0.5`, want: `0.5`},
	{in: `1e16`, want: `10000000000000000`},
	{in: `1.5e16`, want: `15000000000000000`},
	{in: `1e17`, want: `1.0e+17`},
	{in: `1.5e17`, want: `1.5e+17`},
	{in: `123456789012345.6`, want: `123456789012345.6`},
	{in: `0.30000000000000004`, want: `0.30000000000000004`},
	{in: `5e-324`, want: `5.0e-324`},
	{in: `1.7976931348623157e308`, want: `1.7976931348623157e+308`},
	{in: `1e400`, wantErr: true},
	{in: `[-1e400]`, wantErr: true},
	// Strings: php_json_escape_string with default flags.
	{in: `"\u00e9"`, want: `"\u00e9"`},
	{in: `"é"`, want: `"\u00e9"`},
	{in: `"😀"`, want: `"\ud83d\ude00"`},
	{in: `"\uD83D\uDE00"`, want: `"\ud83d\ude00"`},
	{in: `"</script>"`, want: `"<\/script>"`},
	{in: `"a/b"`, want: `"a\/b"`},
	{in: `"<>&'"`, want: `"<>&'"`},
	{in: `"\u2028\u2029"`, want: `"\u2028\u2029"`},
	{in: `"\u0000\u0001\u001f\b\f\n\r\t\"\\\u007f"`, want: "\"\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\\x7f\""},
	{in: `"\u000B"`, want: `"\u000b"`},
	{in: `"\uFFFF\uFEFF"`, want: `"\uffff\ufeff"`},
	{in: `""`, want: `""`},
	{in: `"\ud800"`, wantErr: true},
	{in: `"\udc00"`, wantErr: true},
	{in: `{"a":"\ud800","a":1}`, wantErr: true}, // json_decode fails before the duplicate replaces it
	// Objects become PHP arrays.
	{in: `{}`, want: `[]`},
	{in: `[]`, want: `[]`},
	{in: `{"a":{}}`, want: `{"a":[]}`},
	{in: `{"0":1,"1":2}`, want: `[1,2]`},
	{in: `{"1":1,"0":2}`, want: `{"1":1,"0":2}`},
	{in: `{"0":1,"2":2}`, want: `{"0":1,"2":2}`},
	{in: `{"0":1,"1":2,"0":3}`, want: `[3,2]`},
	{in: `{"00":1}`, want: `{"00":1}`},
	{in: `{"-0":1}`, want: `{"-0":1}`},
	{in: `{"a":1,"b":2,"a":3}`, want: `{"a":3,"b":2}`},
	{in: `{"b":1,"10":2,"2":3}`, want: `{"b":1,"10":2,"2":3}`},
	{in: `{"":1}`, want: `{"":1}`},
	{in: `{"x/y":"\u00e9"}`, want: `{"x\/y":"\u00e9"}`},
	{in: ` [ 1 , true , null ] `, want: `[1,true,null]`},
	// Depth: json_decode's default $depth = 512 allows 511 levels.
	{in: nestedArray(PHPMaxDepth), want: nestedArray(PHPMaxDepth)},
	{in: nestedArray(PHPMaxDepth + 1), wantErr: true},
	{in: nestedObject(PHPMaxDepth), want: nestedObject(PHPMaxDepth)},
	{in: nestedObject(PHPMaxDepth + 1), wantErr: true},
	{in: `{"a":` + nestedArray(PHPMaxDepth) + `,"a":1}`, wantErr: true},
	{in: `[1,]`, wantErr: true},
}

func TestPHPRoundTrip(t *testing.T) {
	runEncodeTable(t, "PHPRoundTrip", PHPRoundTrip, phpRoundTripCases)
}

// TestPHPRoundTripTableAgainstPHP checks the table's expectations
// themselves against PHP, when it is installed.
func TestPHPRoundTripTableAgainstPHP(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not in PATH; the table is not checked against it")
	}
	script := filepath.Join(t.TempDir(), "roundtrip.php")
	if err := os.WriteFile(script, []byte(phpRoundTrip), 0o600); err != nil {
		t.Fatal(err)
	}
	lines := runLines(t, php, []string{"-n", "-d", "serialize_precision=-1", script}, tableInputs(phpRoundTripCases))
	checkTable(t, "php", phpRoundTripCases, lines)
}

func TestEncodePHPRejectsInvalidValues(t *testing.T) {
	deep := Value(Number("1"))
	for i := 0; i <= PHPMaxDepth; i++ {
		deep = []Value{deep}
	}
	for name, v := range map[string]Value{
		"bad number":    Number("1e"),
		"infinity":      Number("1e999"),
		"go float":      1.5,
		"invalid utf8":  "\xc3",
		"lone":          "\xed\xb0\x80",
		"too deep":      deep,
		"nested key":    func() Value { o := NewObject(); o.Set("\xff", 1); return []Value{o} }(),
		"nested object": func() Value { o := NewObject(); o.Set("a", int64(1)); return o }(),
	} {
		if got, err := EncodePHP(v); !errors.Is(err, ErrNotEncodable) {
			t.Errorf("%s: EncodePHP = %s, %v; want ErrNotEncodable", name, got, err)
		}
	}
}

func TestEncodePHPBuiltValues(t *testing.T) {
	o := NewObject()
	o.Set("1", Number("1.50"))
	o.Set("0", "x")
	list := NewObject()
	list.Set("0", Number("-0"))
	list.Set("1", "é/")
	o.Set("list", list)
	o.Set("empty", (*Object)(nil))
	got, err := EncodePHP(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"1":1.5,"0":"x","list":[0,"\u00e9\/"],"empty":[]}`
	if string(got) != want {
		t.Errorf("EncodePHP = %s, want %s", got, want)
	}
	// Deleting "1" leaves keys "0", "list", "empty": still not a list.
	o.Delete("1")
	o.Delete("list")
	o.Delete("empty")
	if got, _ := EncodePHP(o); string(got) != `["x"]` {
		t.Errorf("EncodePHP after deletes = %s, want [\"x\"]", got)
	}
}

func TestFormatPHPDouble(t *testing.T) {
	for lit, want := range map[string]string{
		"0.0001":     "0.0001", // decpt = -3: plain
		"0.00009":    "9.0e-5", // decpt = -4: exponent
		"1e17":       "1.0e+17",
		"9.9e16":     "99000000000000000", // decpt = 17: plain
		"1.25e17":    "1.25e+17",
		"0.5":        "0.5", // decpt = 0
		"0.05":       "0.05",
		"123.0":      "123",
		"1e100":      "1.0e+100",
		"-1.5e-100":  "-1.5e-100",
		"2.5e-5":     "2.5e-5",
		"1234567.89": "1234567.89",
	} {
		if got, ok := phpNumber(lit); !ok || got != want {
			t.Errorf("phpNumber(%s) = %s, %v; want %s", lit, got, ok, want)
		}
	}
}
