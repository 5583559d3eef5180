package jsonv

import "fmt"

// Value is one JSON value: *Object, []Value, string, Number, bool, or nil
// for JSON null.
type Value = any

// Number is a JSON number kept as its literal text, for example "5.50" or
// "1e21", so that re-encoders can apply each runtime's own number rules.
type Number string

// Object is a JSON object that keeps its keys in insertion order. The zero
// value is an empty object ready to use, and a nil *Object reads as empty.
// Concurrent reads are safe; a write needs exclusive access.
type Object struct {
	keys []string
	vals map[string]Value
}

// NewObject returns an empty object.
func NewObject() *Object {
	return &Object{vals: make(map[string]Value)}
}

// Get returns the value stored under key and whether the key is present.
func (o *Object) Get(key string) (Value, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// Set stores v under key. An existing key keeps its position; a new key is
// appended after the others.
func (o *Object) Set(key string, v Value) {
	if o.vals == nil {
		o.vals = make(map[string]Value)
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Delete removes key and its value; deleting a missing key does nothing.
func (o *Object) Delete(key string) {
	if o == nil {
		return
	}
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// Keys returns a copy of the object's keys in order.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return append([]string(nil), o.keys...)
}

// Len returns the number of keys in the object.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Text returns the text of a scalar as templates and reports print it: a
// string as it is, a number as its literal, a boolean as true/false, null as
// the empty string; objects and arrays print in Go's %v form.
func Text(v Value) string {
	switch t := v.(type) {
	case string:
		return t
	case Number:
		return string(t)
	case bool:
		if t {
			return "true"
		}
		return "false"
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// IsNumberLiteral reports whether s is exactly one JSON number literal
// (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), with no
// white space around it.
func IsNumberLiteral(s string) bool { return isNumberLiteral(s) }

// Equal reports whether n and m are number literals of the same exact
// value, whatever their spelling: "5.50" equals "5.5e0", and "-0" equals
// "0". Literals that are not valid JSON numbers are equal only when their
// texts are.
func (n Number) Equal(m Number) bool { return numbersEqual(n, m) }
