package jsonv

import (
	"bytes"
	"strings"
	"testing"
)

// reencoders are the models of the runtimes' round trips, each checked
// byte for byte against its real runtime in runtime_test.go.
var reencoders = map[string]func([]byte) ([]byte, error){
	"php":    PHPRoundTrip,
	"node":   StringifyJS,
	"python": PythonRoundTrip,
}

func TestEncodeAiraloNumbers(t *testing.T) {
	for _, tc := range []struct{ lit, php, utf8 string }{
		{"0", "0", "0"}, {"-0", "0", "0"}, {"0.0", "0", "0"}, {"-0.0", "0", "0"},
		{"5.50", "5.5", "5.5"}, {"20.00", "20", "20"}, {"1.0", "1", "1"}, {"1e5", "100000", "100000"},
		{"1E5", "100000", "100000"}, {"12.5e1", "125", "125"}, {"225.35", "225.35", "225.35"},
		{"0.30000000000000004", "0.30000000000000004", "0.30000000000000004"},
		{"0.0001", "0.0001", "0.0001"}, {"-123456789.125", "-123456789.125", "-123456789.125"},
		{"9007199254740991", "9007199254740991", "9007199254740991"},
		{"-9007199254740991", "-9007199254740991", "-9007199254740991"},
		// Beyond the rule: kept or printed the way the option's SDK prints it.
		{"9007199254740993", "9007199254740993", "9007199254740993"},
		{"18446744073709551617", "18446744073709551617", "18446744073709551617"},
		{"1e21", "1.0e+21", "1e+21"}, {"1e-7", "1.0e-7", "1e-7"}, {"0.00001", "1.0e-5", "0.00001"},
		{"1e400", "1e400", "1e400"},
	} {
		for _, utf8 := range []bool{false, true} {
			want := tc.php
			if utf8 {
				want = tc.utf8
			}
			got, err := EncodeAiralo(Number(tc.lit), utf8)
			if err != nil || string(got) != want {
				t.Errorf("EncodeAiralo(%s, utf8=%v) = %s, %v; want %s", tc.lit, utf8, got, err, want)
			}
		}
	}
}

// TestEncodeAiraloIsAFixedPoint: for every value the rule can express, the
// body is unchanged by PHP's, JavaScript's and Python's round trips (so
// the SDKs hash the body itself), in both non-ASCII options as far as the
// option allows: \uXXXX survives only PHP, literal UTF-8 only JS and Python.
func TestEncodeAiraloIsAFixedPoint(t *testing.T) {
	inRule := []string{
		"0", "-0", "0.0", "-0.0", "5.50", "20.00", "1.0", "1e5", "12.5e1", "225.35", "0.1", "0.30000000000000004",
		"0.0001", "-123456789.125", "9007199254740991", "-9007199254740991", "1e15", "0.1e1", "123.456",
	}
	for _, lit := range inRule {
		doc := `{"n":` + lit + `,"a":[` + lit + `,{"m":` + lit + `}]}`
		v, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, utf8 := range []bool{false, true} {
			body, err := EncodeAiralo(v, utf8)
			if err != nil {
				t.Fatal(err)
			}
			for name, re := range reencoders {
				if got, err := re(body); err != nil || !bytes.Equal(got, body) {
					t.Errorf("%s of Airalo body %s (from %s) = %s, %v", name, body, lit, got, err)
				}
			}
		}
	}
	ascii := `{"s":"<a href='x'>&amp; \"q\" \\ \b\f\n\r\t\u0001\u007f","k":{"x":null,"y":true,"z":[]}}`
	v, _ := Parse([]byte(ascii))
	for _, utf8 := range []bool{false, true} {
		body, _ := EncodeAiralo(v, utf8)
		for name, re := range reencoders {
			if got, _ := re(body); !bytes.Equal(got, body) {
				t.Errorf("%s changes the ASCII Airalo body %s into %s", name, body, got)
			}
		}
	}
	v, _ = Parse([]byte(`{"s":"é 😀 \u2028 a/b"}`))
	esc, _ := EncodeAiralo(v, false)
	lit, _ := EncodeAiralo(v, true)
	if want := `{"s":"\u00e9 \ud83d\ude00 \u2028 a\/b"}`; string(esc) != want {
		t.Errorf("escape form %s, want %s", esc, want)
	}
	if want := "{\"s\":\"é 😀 \u2028 a\\/b\"}"; string(lit) != want {
		t.Errorf("utf8 form %s, want %s", lit, want)
	}
	if got, _ := PHPRoundTrip(esc); !bytes.Equal(got, esc) {
		t.Errorf("PHP changes the escape form: %s", got)
	}
	for _, name := range []string{"node", "python"} {
		// The "/" is the SDKs' own replacement; compare without it.
		got, _ := reencoders[name](lit)
		if !bytes.Equal(got, bytes.ReplaceAll(lit, []byte(`\/`), []byte("/"))) {
			t.Errorf("%s changes the utf8 form: %s", name, got)
		}
	}
}

// TestEncodeAiraloOutsideTheRule: values the rule cannot express give
// bodies that at least one runtime re-encodes differently, so the send
// warnings (package signing) fire.
func TestEncodeAiraloOutsideTheRule(t *testing.T) {
	for _, doc := range []string{
		`{"a":{}}`, `{"a":{"0":1,"1":2}}`, `{"a":{"b":1,"2":3}}`, `{"n":9007199254740993}`,
		`{"n":18446744073709551617}`, `{"n":1e21}`, `{"n":0.00001}`, `{"n":1e400}`,
	} {
		v, _ := Parse([]byte(doc))
		body, err := EncodeAiralo(v, false)
		if err != nil {
			t.Fatal(err)
		}
		changed := []string{}
		for name, re := range reencoders {
			if got, err := re(body); err != nil || !bytes.Equal(got, body) {
				changed = append(changed, name)
			}
		}
		if len(changed) == 0 {
			t.Errorf("%s: body %s survives every runtime, but the rule says it cannot", doc, body)
		}
		t.Logf("%s → %s changed by %s", doc, body, strings.Join(changed, ", "))
	}
}
