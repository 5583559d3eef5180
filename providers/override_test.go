package providers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// overridePayload is a payload with one value of every kind.
func overridePayload(t *testing.T) jsonv.Value {
	t.Helper()
	p, err := jsonv.Parse([]byte(`{"data":{"iccid":"8944500000000000018","price":8.25,"roaming":true,"imsis":null,"esims":[{"iccid":"8901"}],"meta":{"a":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustOverride(t *testing.T, s string) providers.Override {
	t.Helper()
	o, err := providers.ParseOverride(s)
	if err != nil {
		t.Fatalf("ParseOverride(%q): %v", s, err)
	}
	return o
}

// TestOverrideValuesKeepTheirTypeAndDigits is the table of what PATH=TEXT
// and PATH:=JSON set: the exact JSON each leaves at the path.
func TestOverrideValuesKeepTheirTypeAndDigits(t *testing.T) {
	for _, tc := range []struct{ set, path, want string }{
		// PATH=TEXT takes the type of the value it replaces.
		{"data.iccid=8944500000000000017", "/data/iccid", `"8944500000000000017"`},
		{"data.price=8944500000000000017", "/data/price", `8944500000000000017`},
		{"data.price=8.250", "/data/price", `8.250`},
		{"data.price=-1E+400", "/data/price", `-1E+400`},
		{"data.roaming=false", "/data/roaming", `false`},
		{"data.imsis=123", "/data/imsis", `"123"`},
		{"data.esims.0.iccid=8944500000000000017", "/data/esims/0/iccid", `"8944500000000000017"`},
		{"/data/iccid=a=b", "/data/iccid", `"a=b"`},
		{"data.iccid=", "/data/iccid", `""`},
		// A path the payload lacks gets a string.
		{"data.extra=123", "/data/extra", `"123"`},
		{"data.extra=null", "/data/extra", `"null"`},
		// PATH:=JSON sets JSON as it is.
		{"data.extra:=123", "/data/extra", `123`},
		{"data.iccid:=8944500000000000017", "/data/iccid", `8944500000000000017`},
		{`data.price:="8.25"`, "/data/price", `"8.25"`},
		{"data.price:=null", "/data/price", `null`},
		{`data.meta:={"b":[1.50,"x",null]}`, "/data/meta", `{"b":[1.50,"x",null]}`},
		{`/data/esims/-:={"iccid":"1"}`, "/data/esims/1", `{"iccid":"1"}`},
	} {
		p, err := mustOverride(t, tc.set).Apply(overridePayload(t))
		if err != nil {
			t.Errorf("%s: %v", tc.set, err)
			continue
		}
		path, _ := jsonv.ParsePath(tc.path)
		got, ok := jsonv.Get(p, path)
		if !ok {
			t.Errorf("%s: nothing at %s", tc.set, tc.path)
			continue
		}
		b, _ := jsonv.Compact(got)
		if string(b) != tc.want {
			t.Errorf("%s: %s = %s, want %s", tc.set, tc.path, b, tc.want)
		}
	}
}

// TestOverrideErrorsNameTheOverrideAndTheWayOut covers values that do not
// fit, bad syntax and bad JSON.
func TestOverrideErrorsNameTheOverrideAndTheWayOut(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"data.price=abc", `data.price=abc: data.price is a number and "abc" is not a JSON number (write data.price:="abc"`},
		{"data.price= 5", `is not a JSON number`},
		{"data.price=0x10", `is not a JSON number`},
		{"data.roaming=yes", `data.roaming is a boolean and "yes" is neither true nor false`},
		{"data.meta=1", `data.meta is an object: give its new value as JSON with data.meta:=…`},
		{"data.esims=1", `data.esims is an array`},
	} {
		_, err := mustOverride(t, tc.set).Apply(overridePayload(t))
		if err == nil || !errors.Is(err, providers.ErrOverride) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.set, err, tc.want)
		}
	}
	for _, tc := range []struct{ s, want string }{
		{"data.iccid", "want PATH=TEXT or PATH:=JSON"},
		{"=1", "want PATH=TEXT or PATH:=JSON"},
		{":=1", "want PATH=TEXT or PATH:=JSON"},
		{"data..x=1", "segment 1 is empty"},
		{"data.x:=abc", `a string needs quotes: data.x:="abc"`},
		{"data.x:={", "must be JSON"},
		{"/a~2=1", `"~" must be followed by 0 or 1`},
	} {
		if _, err := providers.ParseOverride(tc.s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOverride(%q) = %v, want an error containing %q", tc.s, err, tc.want)
		}
	}
	if o := mustOverride(t, "a.b:=[1]"); !o.JSON || o.Path != "a.b" || o.Raw != "[1]" || o.String() != "a.b:=[1]" {
		t.Errorf("a.b:=[1] parsed as %+v (%s)", o, o)
	}
	if o := mustOverride(t, "a.b=x:=y"); o.JSON || o.Path != "a.b" || o.Raw != "x:=y" {
		t.Errorf("a.b=x:=y parsed as %+v", o)
	}
}

// TestOverridesOfMissingPathsWarnWithTheNearestPaths: a typo gets a "did
// you mean", a new field the parent's keys, and the value is still added.
func TestOverridesOfMissingPathsWarnWithTheNearestPaths(t *testing.T) {
	v, err := providers.MustBuiltin().Variant("esimfly", "2025-01")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set  string
		want []string
		not  string
	}{
		{"data.iccd=1", []string{"data.iccd=1: the payload has no data.iccd (did you mean data.iccid?); adding it as a string (write data.iccd:=1 for a number)"}, ""},
		{"/data/iccd=x", []string{"(did you mean /data/iccid?)", "adding it as a string"}, "write"},
		{"data.iccid.x=1", nil, ""}, // through a string: an error, below
		{"data.brand_new:=true", []string{"the payload has no data.brand_new (data has iccid, package_name, activated_at", "; adding it"}, "did you mean"},
		{"data.x:=1", []string{"(data has "}, "did you mean data?"},
		{"data.iccid=1", nil, ""},
	} {
		p, err := v.Event("esim.activated")
		if err != nil {
			t.Fatal(err)
		}
		pl, err := p.Generate(payload.NewWorld(1, payload.Epoch))
		if err != nil {
			t.Fatal(err)
		}
		out, warns, err := v.ApplyOverrides(pl, []providers.Override{mustOverride(t, tc.set)})
		if tc.set == "data.iccid.x=1" {
			if err == nil || !errors.Is(err, jsonv.ErrPath) {
				t.Errorf("%s: error %v, want a path error", tc.set, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		if len(tc.want) == 0 {
			if len(warns) != 0 {
				t.Errorf("%s: warnings %q for an existing path", tc.set, warns)
			}
			continue
		}
		if len(warns) != 1 {
			t.Fatalf("%s: warnings %q, want one", tc.set, warns)
		}
		for _, w := range tc.want {
			if !strings.Contains(warns[0], w) {
				t.Errorf("%s: warning %q lacks %q", tc.set, warns[0], w)
			}
		}
		if tc.not != "" && strings.Contains(warns[0], tc.not) {
			t.Errorf("%s: warning %q has %q", tc.set, warns[0], tc.not)
		}
		path, _ := jsonv.ParsePath(mustOverride(t, tc.set).Path)
		if _, ok := jsonv.Get(out, path); !ok {
			t.Errorf("%s: not added", tc.set)
		}
	}
}

// TestOverrideNumbersTheEncodingCannotCarryAreRefused: a JavaScript
// provider cannot send 8944500000000000017 as a number; Airalo's encoding
// writes every integer as given, and no encoding changes a number it can
// carry exactly.
func TestOverrideNumbersTheEncodingCannotCarryAreRefused(t *testing.T) {
	cat := providers.MustBuiltin()
	for _, tc := range []struct {
		variant, event, set, want string // want "" = accepted
	}{
		{"esimfly@2025-01", "esim.activated", "data.n:=8944500000000000017", "would be sent as 8944500000000000000, because esimfly@2025-01 encodes bodies as JavaScript's JSON.stringify does"},
		{"esimfly@2025-01", "esim.activated", `data.m:={"deep":[12345678901234567]}`, "the number 12345678901234567 at /data/m/deep/0 would be sent as 12345678901234568"},
		{"standard", "order.created", "data.n:=1e400", "would be sent as null"},
		{"esimfly@2025-01", "esim.activated", "data.n:=9007199254740991", ""},
		{"esimfly@2025-01", "esim.activated", "data.n:=5.50", ""},
		{"esimfly@2025-01", "esim.activated", "data.iccid=8944500000000000017", ""},
		{"airalo", "async_order", "data.id=8944500000000000017", ""},
		// The Airalo rule sends every integer as written (the SDKs that
		// re-print it are named by providers.BodyWarnings instead).
		{"airalo", "async_order", "data.id=18446744073709551617", ""},
	} {
		v, err := cat.Variant(tc.variant, "")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := v.Event(tc.event)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := ev.Generate(payload.NewWorld(3, payload.Epoch))
		if err != nil {
			t.Fatal(err)
		}
		o := mustOverride(t, tc.set)
		out, _, err := v.ApplyOverrides(pl, []providers.Override{o})
		if tc.want != "" {
			if err == nil || !errors.Is(err, providers.ErrOverride) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s: error %v, want one containing %q", tc.variant, tc.set, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.variant, tc.set, err)
			continue
		}
		d, err := v.NewDelivery(ev, out, "id")
		if err != nil {
			t.Fatal(err)
		}
		sent, err := jsonv.Parse(d.Body)
		if err != nil {
			t.Fatal(err)
		}
		path, _ := jsonv.ParsePath(o.Path)
		got, _ := jsonv.Get(sent, path)
		switch g := got.(type) {
		case jsonv.Number: // the same value, maybe spelt as the runtime spells it (5.50 → 5.5)
			if !g.Equal(jsonv.Number(o.Raw)) {
				t.Errorf("%s %s: sent %s", tc.variant, tc.set, g)
			}
		case string:
			if g != o.Raw {
				t.Errorf("%s %s: sent %q", tc.variant, tc.set, g)
			}
		default:
			t.Errorf("%s %s: sent %v", tc.variant, tc.set, got)
		}
	}
}
