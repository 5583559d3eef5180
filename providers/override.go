package providers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Override sets one value of a payload, as --set, a trigger's overrides
// and a scenario step's set do. Two forms exist:
//
//   - PATH=TEXT (JSON false): TEXT takes the type of the value it
//     replaces. Replacing a number, TEXT must be a JSON number literal and
//     is kept verbatim (never through float64, so 8944500000000000017
//     keeps every digit); replacing a boolean, it must be true or false;
//     replacing a string or null, or at a path the payload does not have,
//     it is a string as it is ("123" stays the string "123"). An object or
//     array cannot be replaced this way.
//   - PATH:=JSON (JSON true): JSON is one JSON value set as it is, number
//     literals verbatim: a number (n:=5), a string (s:="5"), null, true,
//     an object or an array.
//
// PATH is a dotted path (data.esims.0.iccid) or a JSON pointer
// (/data/esims/0/iccid); see jsonv.ParsePath.
type Override struct {
	Path string
	// Raw is TEXT, or the JSON text when JSON is true.
	Raw  string
	JSON bool
}

// ErrOverride matches (errors.Is) every OverrideError.
var ErrOverride = errors.New("bad override")

// OverrideError says why an override's value cannot be set: its text does
// not fit the type of the value it replaces, its JSON is invalid, or the
// variant's encoding cannot carry its number.
type OverrideError struct {
	Override Override
	Msg      string
}

func (e *OverrideError) Error() string { return e.Override.String() + ": " + e.Msg }

// Is makes errors.Is(err, ErrOverride) true.
func (e *OverrideError) Is(target error) bool { return target == ErrOverride }

func overrideErr(o Override, format string, args ...any) error {
	return &OverrideError{o, fmt.Sprintf(format, args...)}
}

// ParseOverride reads "PATH=TEXT" or "PATH:=JSON" (as --set takes it).
// The path ends at the first "=", so a key holding "=", or ending in ":",
// cannot be addressed. A PATH:=JSON override's JSON must be valid.
func ParseOverride(s string) (Override, error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 || (i == 1 && s[0] == ':') {
		return Override{}, fmt.Errorf("%q: want PATH=TEXT or PATH:=JSON, e.g. data.iccid=8944500000000000014 or data.usage:=1048576", s)
	}
	o := Override{Path: s[:i], Raw: s[i+1:]}
	if strings.HasSuffix(o.Path, ":") {
		o.Path, o.JSON = o.Path[:len(o.Path)-1], true
	}
	if _, err := jsonv.ParsePath(o.Path); err != nil {
		return Override{}, fmt.Errorf("%q: %v", s, err)
	}
	if o.JSON {
		if _, err := jsonv.Parse([]byte(o.Raw)); err != nil {
			return Override{}, fmt.Errorf("%q: the value after := must be JSON (a string needs quotes: %s:=%q): %v", s, o.Path, o.Raw, err)
		}
	}
	return o, nil
}

// String gives the override in ParseOverride's form.
func (o Override) String() string {
	if o.JSON {
		return o.Path + ":=" + o.Raw
	}
	return o.Path + "=" + o.Raw
}

// value returns the value o sets in place of old (exists: whether the
// payload has a value at the path).
func (o Override) value(old jsonv.Value, exists bool) (jsonv.Value, error) {
	if o.JSON {
		v, err := jsonv.Parse([]byte(o.Raw))
		if err != nil {
			return nil, overrideErr(o, "the value after := must be JSON: %v", err)
		}
		return v, nil
	}
	if !exists {
		return o.Raw, nil
	}
	switch old.(type) {
	case jsonv.Number:
		if !jsonv.IsNumberLiteral(o.Raw) {
			return nil, overrideErr(o, "%s is a number and %q is not a JSON number (write %s:=%q to send a string instead)", o.Path, o.Raw, o.Path, o.Raw)
		}
		return jsonv.Number(o.Raw), nil
	case bool:
		switch o.Raw {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, overrideErr(o, "%s is a boolean and %q is neither true nor false (write %s:=%q to send a string instead)", o.Path, o.Raw, o.Path, o.Raw)
	case *jsonv.Object, []jsonv.Value:
		return nil, overrideErr(o, "%s is %s: give its new value as JSON with %s:=…", o.Path, kindName(old), o.Path)
	}
	return o.Raw, nil // a string or null: the text is a string
}

func kindName(v jsonv.Value) string {
	switch v.(type) {
	case *jsonv.Object:
		return "an object"
	case []jsonv.Value:
		return "an array"
	case jsonv.Number:
		return "a number"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	}
	return "null"
}

// Apply sets the override in p and returns the new root (see Override
// for how the value is typed). Errors name the override.
func (o Override) Apply(p jsonv.Value) (jsonv.Value, error) {
	out, _, err := o.apply(p)
	return out, err
}

// apply is Apply that also returns a warning when the payload has no
// value at the path (the value is then added).
func (o Override) apply(p jsonv.Value) (jsonv.Value, string, error) {
	path, err := jsonv.ParsePath(o.Path)
	if err != nil {
		return nil, "", err
	}
	old, exists := jsonv.Get(p, path)
	nv, err := o.value(old, exists)
	if err != nil {
		return nil, "", err
	}
	var warn string
	if !exists {
		warn = missingWarning(p, o, path, nv)
	}
	out, err := jsonv.Set(p, path, nv)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", o, err)
	}
	return out, warn, nil
}

// ApplyAll applies overrides in order.
func ApplyAll(p jsonv.Value, os []Override) (jsonv.Value, error) {
	p, _, err := applyAll(p, os)
	return p, err
}

// applyAll applies overrides in order and returns one warning per
// override whose path the payload did not have.
func applyAll(p jsonv.Value, os []Override) (jsonv.Value, []string, error) {
	var warns []string
	for _, o := range os {
		var (
			w   string
			err error
		)
		if p, w, err = o.apply(p); err != nil {
			return nil, nil, err
		}
		if w != "" {
			warns = append(warns, w)
		}
	}
	return p, warns, nil
}

// ApplyOverrides applies os in order to p, as ApplyAll does, and returns
// one warning per override whose path p did not have, naming the nearest
// paths it has ("did you mean data.iccid?"). It then checks that the
// variant's encoding carries every number an override set with its exact
// value: a JavaScript or PHP encoding turns 8944500000000000017 into a
// double, and a provider that encodes so could never send those digits,
// so such an override is an error (ErrOverride) suggesting a string.
func (v *Variant) ApplyOverrides(p jsonv.Value, os []Override) (jsonv.Value, []string, error) {
	p, warns, err := applyAll(p, os)
	if err != nil || len(os) == 0 {
		return p, warns, err
	}
	if err := v.checkNumbers(p, os); err != nil {
		return nil, nil, err
	}
	return p, warns, nil
}

// checkNumbers encodes p as the variant does and compares every number an
// override set, where p still holds it, with the number the body carries.
func (v *Variant) checkNumbers(p jsonv.Value, os []Override) error {
	type setNumber struct {
		o    Override
		path []string
		n    jsonv.Number
	}
	var nums []setNumber
	for _, o := range os {
		path, _ := jsonv.ParsePath(o.Path)
		got, _ := jsonv.Get(p, path)
		collectNumbers(got, path, func(at []string, n jsonv.Number) {
			nums = append(nums, setNumber{o, at, n})
		})
	}
	if len(nums) == 0 {
		return nil
	}
	body, err := v.Encode(p)
	if err != nil {
		return fmt.Errorf("%s cannot encode the payload with its overrides: %w", v.ID(), err)
	}
	sent, err := jsonv.Parse(body)
	if err != nil {
		return fmt.Errorf("re-reading the encoded body: %w", err)
	}
	for _, x := range nums {
		got, _ := jsonv.Get(sent, x.path)
		if n, ok := got.(jsonv.Number); ok && n.Equal(x.n) {
			continue
		}
		as, _ := jsonv.Compact(got)
		return overrideErr(x.o, "the number %s at %s would be sent as %s, because %s encodes bodies %s; send the digits as a string instead (%s:=\"%s\")",
			x.n, jsonv.Pointer(x.path), as, v.ID(), encodingText(v.Encoding), x.o.Path, x.n)
	}
	return nil
}

// collectNumbers calls fn for every number inside v (v itself included),
// with its path below at.
func collectNumbers(v jsonv.Value, at []string, fn func([]string, jsonv.Number)) {
	switch x := v.(type) {
	case jsonv.Number:
		fn(append([]string(nil), at...), x)
	case *jsonv.Object:
		for _, k := range x.Keys() {
			el, _ := x.Get(k)
			collectNumbers(el, append(at, k), fn)
		}
	case []jsonv.Value:
		for i, el := range x {
			collectNumbers(el, append(at, fmt.Sprint(i)), fn)
		}
	}
}

func encodingText(enc string) string {
	switch enc {
	case "js":
		return "as JavaScript's JSON.stringify does (numbers are IEEE-754 doubles, about 15–17 significant digits)"
	case "php", "php-utf8":
		return "by Airalo's encoding rule (integers as written, other numbers as IEEE-754 doubles in shortest form)"
	}
	return "in its own encoding"
}
