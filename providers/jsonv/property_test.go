package jsonv

import (
	"bytes"
	"testing"
)

// hasNegativeZero reports whether v holds the number literal -0, the one
// input on which PHP's round trip is not idempotent.
func hasNegativeZero(v Value) bool {
	switch x := v.(type) {
	case Number:
		return x == "-0"
	case []Value:
		for _, e := range x {
			if hasNegativeZero(e) {
				return true
			}
		}
	case *Object:
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			if hasNegativeZero(e) {
				return true
			}
		}
	}
	return false
}

// checkJSIdempotent fails unless StringifyJS(StringifyJS(doc)) equals
// StringifyJS(doc) whenever the latter succeeds.
func checkJSIdempotent(t testing.TB, doc []byte) {
	t.Helper()
	once, err := StringifyJS(doc)
	if err != nil {
		return
	}
	twice, err := StringifyJS(once)
	if err != nil {
		t.Fatalf("StringifyJS of its own output %s: %v", once, err)
	}
	if !bytes.Equal(once, twice) {
		t.Fatalf("StringifyJS is not idempotent for %q\nonce:  %s\ntwice: %s", doc, once, twice)
	}
}

// checkPHPIdempotent fails unless PHPRoundTrip is idempotent on doc, with
// PHP's own exception: a double -0.0 prints "-0", which then decodes as
// int 0 and prints "0"; from the second round on it must be stable.
func checkPHPIdempotent(t testing.TB, doc []byte) {
	t.Helper()
	once, err := PHPRoundTrip(doc)
	if err != nil {
		return
	}
	twice, err := PHPRoundTrip(once)
	if err != nil {
		t.Fatalf("PHPRoundTrip of its own output %s: %v", once, err)
	}
	if !bytes.Equal(once, twice) {
		v, _ := Parse(once)
		if !hasNegativeZero(v) {
			t.Fatalf("PHPRoundTrip is not idempotent for %q\nonce:  %s\ntwice: %s", doc, once, twice)
		}
		thrice, err := PHPRoundTrip(twice)
		if err != nil || !bytes.Equal(twice, thrice) {
			t.Fatalf("PHPRoundTrip is not stable after -0 became 0 for %q\ntwice:  %s\nthrice: %s (%v)", doc, twice, thrice, err)
		}
	}
	for _, c := range once {
		if c >= 0x80 {
			t.Fatalf("PHPRoundTrip output %q is not ASCII", once)
		}
	}
}

func TestStringifyJSIdempotent(t *testing.T) {
	docs := append(corpus(31, 300, true, true), edgeDocs...)
	for _, c := range stringifyJSCases {
		docs = append(docs, c.in)
	}
	for _, doc := range docs {
		checkJSIdempotent(t, []byte(doc))
	}
}

func TestPHPRoundTripIdempotent(t *testing.T) {
	docs := append(corpus(32, 300, true, true), edgeDocs...)
	for _, c := range phpRoundTripCases {
		docs = append(docs, c.in)
	}
	for _, doc := range docs {
		checkPHPIdempotent(t, []byte(doc))
	}
	// The exception is real: -0.0 → -0 → 0.
	once, _ := PHPRoundTrip([]byte(`[-0.0]`))
	twice, _ := PHPRoundTrip(once)
	if string(once) != `[-0]` || string(twice) != `[0]` {
		t.Errorf("-0.0 round trips to %s then %s, want [-0] then [0]", once, twice)
	}
}
