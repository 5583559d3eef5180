package jsonv

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestObject(t *testing.T) {
	o := NewObject()
	o.Set("b", Number("1"))
	o.Set("a", "x")
	o.Set("c", nil)
	o.Set("b", Number("2")) // keeps its position
	if got := strings.Join(o.Keys(), ","); got != "b,a,c" {
		t.Fatalf("Keys = %s, want b,a,c", got)
	}
	if v, ok := o.Get("b"); !ok || v != Number("2") {
		t.Errorf("Get(b) = %v, %v", v, ok)
	}
	if v, ok := o.Get("c"); !ok || v != nil {
		t.Errorf("Get(c) = %v, %v; want nil, true", v, ok)
	}
	if _, ok := o.Get("zz"); ok {
		t.Error("Get(zz) found a missing key")
	}
	keys := o.Keys()
	keys[0] = "mutated"
	if o.Keys()[0] != "b" {
		t.Error("Keys returned the internal slice")
	}
	o.Delete("a")
	o.Delete("missing")
	if got := strings.Join(o.Keys(), ","); got != "b,c" || o.Len() != 2 {
		t.Errorf("after Delete: keys %s, len %d", got, o.Len())
	}
	o.Set("a", true) // re-added at the end
	if got := strings.Join(o.Keys(), ","); got != "b,c,a" {
		t.Errorf("after re-Set: keys %s", got)
	}

	var zero Object
	if zero.Len() != 0 || len(zero.Keys()) != 0 {
		t.Error("zero Object is not empty")
	}
	zero.Set("k", "v")
	if v, _ := zero.Get("k"); v != "v" {
		t.Error("zero Object cannot Set")
	}
	var nilObj *Object
	if _, ok := nilObj.Get("k"); ok || nilObj.Len() != 0 || nilObj.Keys() != nil {
		t.Error("nil *Object is not an empty object")
	}
	nilObj.Delete("k") // must not panic
}

func TestClone(t *testing.T) {
	v, _ := Parse([]byte(`{"a":[1,{"b":"c"}],"d":{"e":null}}`))
	c := Clone(v)
	if !Equal(v, c) {
		t.Fatal("clone differs")
	}
	if _, err := Set(c, []string{"a", "1", "b"}, "changed"); err != nil {
		t.Fatal(err)
	}
	c.(*Object).Set("new", true)
	if got, _ := Get(v, []string{"a", "1", "b"}); got != "c" {
		t.Errorf("changing the clone changed the original: %v", got)
	}
	if v.(*Object).Len() != 2 {
		t.Error("adding to the clone's object changed the original")
	}
	if Clone(nil) != nil || Clone(Number("1")) != Number("1") {
		t.Error("scalars do not clone to themselves")
	}
}

func TestEqual(t *testing.T) {
	parse := func(s string) Value {
		v, err := Parse([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`5.50`, `5.5`, true},
		{`5.5e0`, `55E-1`, true},
		{`0.0550e2`, `5.5`, true},
		{`-0`, `0`, true},
		{`-0.0e5`, `0`, true},
		{`100`, `1e2`, true},
		{`1e400`, `10e399`, true},
		{`1e99999999999999999999`, `10e99999999999999999998`, true},
		{`8944000000000000001`, `8944000000000000000`, false},
		{`-1`, `1`, false},
		{`0.1`, `0.10000000000000001`, false},
		{`{"a":1,"b":2}`, `{"b":2,"a":1.0}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":1}`, `{"b":1}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`"a"`, `"a"`, true},
		{`"a"`, `"b"`, false},
		{`null`, `false`, false},
		{`true`, `true`, true},
		{`{}`, `[]`, false},
		{`"1"`, `1`, false},
	} {
		if got := Equal(parse(c.a), parse(c.b)); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := Equal(parse(c.b), parse(c.a)); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.b, c.a, got, c.want)
		}
	}
	if !Equal(Number("x"), Number("x")) || Equal(Number("x"), Number("y")) {
		t.Error("invalid literals must compare by text")
	}
	if !Equal((*Object)(nil), NewObject()) {
		t.Error("a nil *Object must equal an empty one")
	}
}

func TestToAnyFromAny(t *testing.T) {
	doc := `{"z":1.50,"a":[true,null,"s",{"k":-2}],"m":{}}`
	v, _ := Parse([]byte(doc))
	got := ToAny(v)
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ToAny = %#v\nwant   %#v", got, want)
	}
	back := FromAny(want)
	if !Equal(back, v) {
		t.Errorf("FromAny(ToAny(v)) differs from v")
	}
	if keys := strings.Join(back.(*Object).Keys(), ","); keys != "a,m,z" {
		t.Errorf("FromAny keys = %s, want sorted a,m,z", keys)
	}
	if n := back.(*Object); func() Value { x, _ := n.Get("z"); return x }() != Number("1.50") {
		t.Error("FromAny lost the json.Number text")
	}

	for in, want := range map[any]Value{
		1.5:          Number("1.5"),
		1e21:         Number("1e+21"),
		math.Inf(1):  nil,
		float32(0.1): Number("0.1"),
		int64(-7):    Number("-7"),
		uint8(200):   Number("200"),
		int(3):       Number("3"),
	} {
		if got := FromAny(in); got != want {
			t.Errorf("FromAny(%T %v) = %#v, want %#v", in, in, got, want)
		}
	}
	if m, ok := ToAny((*Object)(nil)).(map[string]any); !ok || m == nil {
		t.Errorf("ToAny(nil *Object) = %#v, want an empty map", m)
	}
	if a, ok := ToAny([]Value(nil)).([]any); !ok || a == nil {
		t.Errorf("ToAny(nil []Value) = %#v, want an empty slice", a)
	}
	if FromAny(math.NaN()) != nil {
		t.Error("FromAny(NaN) is not nil")
	}
	defer func() {
		if recover() == nil {
			t.Error("FromAny(struct) did not panic")
		}
	}()
	FromAny(struct{}{})
}
