package jsonv

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
)

// Clone returns a deep copy of v: objects and arrays are copied, scalars
// are returned as they are. Values of other types are returned unchanged.
func Clone(v Value) Value {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return x
		}
		c := &Object{keys: append([]string(nil), x.keys...), vals: make(map[string]Value, len(x.vals))}
		for k, e := range x.vals {
			c.vals[k] = Clone(e)
		}
		return c
	case []Value:
		if x == nil {
			return x
		}
		c := make([]Value, len(x))
		for i, e := range x {
			c[i] = Clone(e)
		}
		return c
	default:
		return v
	}
}

// Equal reports whether a and b are structurally equal JSON values. Objects
// are equal when they have the same keys with equal values, in any order
// (JSON objects are unordered; compare encoder output to check order).
// Arrays compare element by element, strings byte for byte, and numbers by
// exact decimal value, so Number("5.50") equals Number("5.5") and
// Number("-0") equals Number("0"), while 8944000000000000001 and
// 8944000000000000000 differ although they share a float64.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case Number:
		y, ok := b.(Number)
		return ok && numbersEqual(x, y)
	case []Value:
		y, ok := b.([]Value)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == nil || y == nil {
			return x.Len() == 0 && y.Len() == 0
		}
		for _, k := range x.keys {
			yv, ok := y.vals[k]
			if !ok || !Equal(x.vals[k], yv) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

// ToAny converts v to the generic form that encoding/json and
// github.com/santhosh-tekuri/jsonschema/v5 work with: *Object becomes
// map[string]any (losing key order), []Value a new []any, Number
// json.Number; strings, bools and nil stay as they are. A nil *Object or
// []Value becomes an empty, non-nil map or slice, so that encoding/json
// still writes {} or [] for it.
func ToAny(v Value) any {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return map[string]any{}
		}
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = ToAny(x.vals[k])
		}
		return m
	case []Value:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = ToAny(e)
		}
		return a
	case Number:
		return json.Number(x)
	default:
		return v
	}
}

// FromAny converts a value decoded by encoding/json (with UseNumber) back
// to a Value: map[string]any becomes an *Object with its keys sorted
// byte-wise, []any a new []Value, json.Number a Number. It also accepts
// what encoding/json produces without UseNumber and Go numbers: float64,
// float32 and integer types become Number in the shortest form that
// round-trips, with NaN and ±Inf becoming nil as JSON.stringify makes them
// null. Values that already are Values (*Object, Number) are deep-copied.
// FromAny panics on any other type, since it has no JSON form.
func FromAny(x any) Value {
	switch t := x.(type) {
	case nil, bool, string:
		return t
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := NewObject()
		for _, k := range keys {
			o.Set(k, FromAny(t[k]))
		}
		return o
	case []any:
		if t == nil {
			return []Value(nil)
		}
		a := make([]Value, len(t))
		for i, e := range t {
			a[i] = FromAny(e)
		}
		return a
	case json.Number:
		return Number(t)
	case Number:
		return t
	case *Object:
		return Clone(t)
	case float64:
		return floatNumber(t, 64)
	case float32:
		return floatNumber(float64(t), 32)
	case int:
		return Number(strconv.FormatInt(int64(t), 10))
	case int8:
		return Number(strconv.FormatInt(int64(t), 10))
	case int16:
		return Number(strconv.FormatInt(int64(t), 10))
	case int32:
		return Number(strconv.FormatInt(int64(t), 10))
	case int64:
		return Number(strconv.FormatInt(t, 10))
	case uint:
		return Number(strconv.FormatUint(uint64(t), 10))
	case uint8:
		return Number(strconv.FormatUint(uint64(t), 10))
	case uint16:
		return Number(strconv.FormatUint(uint64(t), 10))
	case uint32:
		return Number(strconv.FormatUint(uint64(t), 10))
	case uint64:
		return Number(strconv.FormatUint(t, 10))
	default:
		panic(fmt.Sprintf("jsonv: FromAny: unsupported type %T", x))
	}
}

// floatNumber returns the shortest literal for f, or nil when f is not
// finite.
func floatNumber(f float64, bits int) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return Number(strconv.FormatFloat(f, 'g', -1, bits))
}
