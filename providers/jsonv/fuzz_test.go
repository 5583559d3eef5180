package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// addSeeds adds the hand-picked documents, the encoder tables' inputs,
// invalid texts and a few generated documents to a fuzzer's corpus.
func addSeeds(f *testing.F) {
	for _, d := range edgeDocs {
		f.Add([]byte(d))
	}
	for _, d := range invalidDocs {
		f.Add([]byte(d))
	}
	for _, c := range stringifyJSCases {
		f.Add([]byte(c.in))
	}
	for _, c := range phpRoundTripCases {
		if len(c.in) < 200 {
			f.Add([]byte(c.in))
		}
	}
	for _, d := range corpus(41, 20, true, true)[:20] {
		f.Add([]byte(d))
	}
	f.Add([]byte(`{"a_b":1,"a":{"b":2}}`))
	f.Add([]byte("\"\xed\xa0\x80\""))
}

// FuzzParse checks that Parse never panics, accepts exactly what
// encoding/json accepts (within the documented differences: invalid UTF-8
// and nesting past MaxDepth), decodes the same values, and that
// Parse(Compact(v)) equals v.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, p, err := parse(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("offset %d outside the %d-byte input", se.Offset, len(data))
			}
			if json.Valid(data) && utf8.Valid(data) && !strings.HasPrefix(se.Msg, "nesting deeper") {
				t.Fatalf("Parse rejects %q (%v), encoding/json accepts it", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Parse accepts %q, encoding/json rejects it", data)
		}
		if !p.lone { // encoding/json replaces lone surrogates with U+FFFD
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if got := ToAny(v); !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse(%q) = %#v, encoding/json gives %#v", data, got, want)
			}
		}
		c, err := Compact(v)
		if err != nil {
			t.Fatalf("Compact: %v", err)
		}
		back, err := Parse(c)
		if err != nil {
			t.Fatalf("Parse(Compact(v)) of %q: %v", c, err)
		}
		if !Equal(v, back) {
			t.Fatalf("Parse(Compact(v)) differs from v for %q", data)
		}
		if c2, err := Compact(back); err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("Compact not stable: %s then %s (%v)", c, c2, err)
		}
		if !Equal(v, Clone(v)) {
			t.Fatal("Clone differs")
		}
	})
}

// FuzzStringifyJS checks that StringifyJS never panics, succeeds on
// everything Parse accepts, emits valid JSON and is idempotent.
func FuzzStringifyJS(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := StringifyJS(data)
		if _, perr := Parse(data); (err == nil) != (perr == nil) {
			t.Fatalf("StringifyJS error %v, Parse error %v", err, perr)
		}
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("StringifyJS output %q is not valid JSON", out)
		}
		checkJSIdempotent(t, data)
	})
}

// FuzzPHPRoundTrip checks that PHPRoundTrip never panics, emits valid
// ASCII JSON, and is idempotent up to PHP's -0.0 exception.
func FuzzPHPRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := PHPRoundTrip(data)
		if err != nil {
			if _, perr := Parse(data); perr == nil && !errors.Is(err, ErrNotEncodable) {
				t.Fatalf("error %v wraps neither ErrSyntax nor ErrNotEncodable", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("PHPRoundTrip output %q is not valid JSON", out)
		}
		checkPHPIdempotent(t, data)
	})
}

// FuzzFlatten checks that FlattenBody never panics, fails only with the
// documented errors, prints strictly sorted keys, and does not depend on
// how the document was written.
func FuzzFlatten(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			if _, ferr := FlattenBody(data); !errors.Is(ferr, ErrSyntax) {
				t.Fatalf("FlattenBody error %v, want the syntax error %v", ferr, err)
			}
			return
		}
		out, err := Flatten(v)
		if err != nil {
			if !errors.Is(err, ErrNotEncodable) && !errors.Is(err, ErrAmbiguousFlatten) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		pairs, err := flattenPairs(v)
		if err != nil {
			t.Fatal(err)
		}
		var joined []string
		for i, p := range pairs {
			if i > 0 && pairs[i-1].key >= p.key {
				t.Fatalf("keys out of order: %q then %q", pairs[i-1].key, p.key)
			}
			joined = append(joined, p.key+"="+p.val)
		}
		if string(out) != strings.Join(joined, "&") {
			t.Fatalf("Flatten = %q, pairs join to %q", out, strings.Join(joined, "&"))
		}
		c, _ := Compact(v)
		again, err := FlattenBody(c)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("Flatten of the compacted document = %q, %v; want %q", again, err, out)
		}
		if !utf8.Valid(out) {
			t.Fatalf("Flatten output %q is not UTF-8", out)
		}
	})
}

// FuzzEncodeAiralo checks that EncodeAiralo and EncodePython never panic,
// and that an Airalo body is valid JSON (ASCII-only in the escape form) and
// a fixed point of EncodeAiralo itself. (That the runtimes reproduce the
// bodies is checked against the real runtimes in runtime_test.go and the
// providers proof test.)
func FuzzEncodeAiralo(f *testing.F) {
	addSeeds(f)
	for _, d := range numberDocs() {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			return
		}
		_, _ = EncodePython(v)
		for _, utf8Form := range []bool{false, true} {
			body, err := EncodeAiralo(v, utf8Form)
			if err != nil {
				if !errors.Is(err, ErrNotEncodable) {
					t.Fatalf("error %v does not wrap ErrNotEncodable", err)
				}
				continue
			}
			if !json.Valid(body) {
				t.Fatalf("EncodeAiralo(%s) = %s, not JSON", data, body)
			}
			if !utf8Form {
				for i, c := range body {
					if c >= utf8.RuneSelf {
						t.Fatalf("escape form has byte %#x at %d: %s", c, i, body)
					}
				}
			}
			again, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if b2, err := EncodeAiralo(again, utf8Form); err != nil || !bytes.Equal(b2, body) {
				t.Fatalf("not a fixed point: %s → %s (%v)", body, b2, err)
			}
		}
	})
}
