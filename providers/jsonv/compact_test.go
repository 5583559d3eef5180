package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestCompact(t *testing.T) {
	runEncodeTable(t, "Compact", func(b []byte) ([]byte, error) {
		v, err := Parse(b)
		if err != nil {
			return nil, err
		}
		return Compact(v)
	}, []encodeCase{
		{in: ` { "b" : 5.50 , "1" : -0.0 , "a" : [ 1e400 , 123456789012345678901 ] } `,
			want: `{"b":5.50,"1":-0.0,"a":[1e400,123456789012345678901]}`},
		{in: `{"a":1,"b":2,"a":3}`, want: `{"a":3,"b":2}`},
		{in: `"\u00e9\/\u0041\u2028<>&"`, want: "\"é/A\u2028<>&\""},
		{in: `"\u0000\u001f\b\f\n\r\t\"\\\u007f"`, want: "\"\\u0000\\u001f\\b\\f\\n\\r\\t\\\"\\\\\x7f\""},
		{in: `"\uD800 \uDBFF\uDFFF"`, want: "\"\\ud800 \U0010ffff\""},
		{in: `{}`, want: `{}`},
		{in: `[]`, want: `[]`},
		{in: `{"0":1,"1":2}`, want: `{"0":1,"1":2}`},
		{in: `{"1":1,"0":2}`, want: `{"1":1,"0":2}`},
		{in: nestedObject(50), want: nestedObject(50)},
	})
}

// TestCompactMatchesEncodingJSON checks Compact against encoding/json's
// Compact on corpus documents that hold no escapes and no duplicate keys,
// where the two must agree byte for byte.
func TestCompactMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		` { "iccid" : "8944000000000000001" , "amount" : 5.50 , "tags" : [ "a/b" , "é" , 1e21 , -0 ] , "meta" : { } } `,
		"[\n\t1,\n\t2.0e-7,\n\t{\"1\": true, \"0\": null}\n]",
	}
	for _, doc := range docs {
		v, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Compact(v)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Compact = %s\njson.Compact = %s", got, want.Bytes())
		}
	}
}

func TestCompactRoundTripsCorpus(t *testing.T) {
	for i, doc := range corpus(7, 200, true, true) {
		v, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		c, err := Compact(v)
		if err != nil {
			t.Fatalf("doc %d: Compact: %v", i, err)
		}
		back, err := Parse(c)
		if err != nil {
			t.Fatalf("doc %d: Parse(Compact): %v\n%s", i, err, c)
		}
		if !Equal(v, back) {
			t.Errorf("doc %d: Parse(Compact(v)) differs from v", i)
		}
		if c2, _ := Compact(back); !bytes.Equal(c, c2) {
			t.Errorf("doc %d: Compact is not stable:\n%s\n%s", i, c, c2)
		}
	}
}

func TestCompactRejectsInvalidValues(t *testing.T) {
	for _, v := range []Value{Number("1_000"), "\xff", []Value{struct{}{}}} {
		if _, err := Compact(v); !errors.Is(err, ErrNotEncodable) {
			t.Errorf("Compact(%#v): err = %v, want ErrNotEncodable", v, err)
		}
	}
}
