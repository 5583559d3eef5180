package conformance

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// unknownEventType is the event type of ROB-001's delivery.
const unknownEventType = "esimhooks_conformance_unknown"

// encodeNonCanonical writes v as valid JSON that means the same but shares
// as few bytes as possible with a canonical encoding: keys in reverse
// order, two-space indentation with a space before each colon, "/" escaped
// as "\/", every non-ASCII character and every "e" as a \u escape. SIG-004
// signs these bytes as they are.
func encodeNonCanonical(v jsonv.Value) ([]byte, error) {
	var b bytes.Buffer
	if err := writeNonCanonical(&b, v, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func writeNonCanonical(b *bytes.Buffer, v jsonv.Value, depth int) error {
	if depth > 64 {
		return fmt.Errorf("nesting deeper than 64")
	}
	indent := func(d int) { b.WriteString("\n" + strings.Repeat("  ", d)) }
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case jsonv.Number:
		b.WriteString(string(t))
	case string:
		writeEscaped(b, t)
	case []jsonv.Value:
		if len(t) == 0 {
			b.WriteString("[ ]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			indent(depth + 1)
			if err := writeNonCanonical(b, e, depth+1); err != nil {
				return err
			}
		}
		indent(depth)
		b.WriteByte(']')
	case *jsonv.Object:
		keys := t.Keys()
		if len(keys) == 0 {
			b.WriteString("{ }")
			return nil
		}
		b.WriteByte('{')
		for i := len(keys) - 1; i >= 0; i-- {
			if i < len(keys)-1 {
				b.WriteByte(',')
			}
			indent(depth + 1)
			writeEscaped(b, keys[i])
			b.WriteString(" : ")
			val, _ := t.Get(keys[i])
			if err := writeNonCanonical(b, val, depth+1); err != nil {
				return err
			}
		}
		indent(depth)
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}

// writeEscaped writes s as a JSON string with the escapes a canonical
// encoder avoids.
func writeEscaped(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '/':
			b.WriteString(`\/`)
		case r == 'e' || r < 0x20 || r >= utf8.RuneSelf:
			if r > 0xFFFF {
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// tamper returns body with its last digit changed: still valid JSON of the
// same shape, but no longer what was signed.
func tamper(body []byte) []byte {
	out := bytes.Clone(body)
	for i := len(out) - 1; i >= 0; i-- {
		if c := out[i]; c >= '0' && c <= '9' {
			out[i] = '0' + (c-'0'+1)%10
			return out
		}
	}
	// No digit at all: change the last letter of the body instead.
	for i := len(out) - 1; i >= 0; i-- {
		if c := out[i]; c >= 'a' && c <= 'y' {
			out[i] = c + 1
			return out
		}
	}
	return append(out, ' ')
}

// unknownPayload turns a valid payload of the variant into one of an
// unknown event type: the body discriminator (the last body field of it)
// gets unknownEventType. It also returns the header to change for a header
// discriminator. For providers whose bodies carry no type (Airalo), it is a
// notification of a shape no event schema matches.
func unknownPayload(v *providers.Variant, p jsonv.Value) (jsonv.Value, string, error) {
	var header string
	var last []string
	for _, d := range v.Discriminator {
		if name, ok := strings.CutPrefix(d, "header:"); ok {
			header = name
			continue
		}
		path, err := jsonv.ParsePath(d)
		if err != nil {
			return nil, "", err
		}
		last = path
	}
	if len(v.Discriminator) == 0 {
		o := jsonv.NewObject()
		o.Set("notification", unknownEventType)
		o.Set("message", "A notification type this receiver has never seen")
		o.Set("level", jsonv.Number("1"))
		return o, "", nil
	}
	out := jsonv.Clone(p)
	if last != nil {
		var err error
		if out, err = jsonv.Set(out, last, unknownEventType); err != nil {
			return nil, "", err
		}
	}
	return out, header, nil
}

// withExtraFields adds unknown fields to a payload: one at the top level
// and one in each object directly under it.
func withExtraFields(p jsonv.Value) jsonv.Value {
	out := jsonv.Clone(p)
	o, ok := out.(*jsonv.Object)
	if !ok {
		return out
	}
	for _, k := range o.Keys() {
		if inner, ok := o.Get(k); ok {
			if io, ok := inner.(*jsonv.Object); ok {
				io.Set("x_esimhooks_extra", "a field added by a newer API version")
			}
		}
	}
	extra := jsonv.NewObject()
	extra.Set("added_in", "a future API version")
	extra.Set("flags", []jsonv.Value{true, jsonv.Number("2")})
	o.Set("x_esimhooks_future", extra)
	return out
}

// malformed returns the first half of a valid body: JSON cut short.
func malformed(body []byte) []byte {
	n := len(body) / 2
	if n < 1 {
		return []byte("{")
	}
	return bytes.Clone(body[:n])
}

// bigBody returns a valid JSON object of at least size bytes: the
// payload's fields plus a long padding string.
func bigBody(v *providers.Variant, p jsonv.Value, size int) ([]byte, error) {
	out := jsonv.Clone(p)
	o, ok := out.(*jsonv.Object)
	if !ok {
		o = jsonv.NewObject()
		out = o
	}
	o.Set("x_esimhooks_padding", strings.Repeat("x", size))
	return v.Encode(out)
}

// phpText is what SIG-007 writes into a payload: non-ASCII letters and a
// URL, which PHP's json_encode writes as \u00fc and \/ escapes.
const phpText = "Türkiye, Česko (https://www.airalo.com/turkey-esim)"

// phpTextKeys are the fields whose text SIG-007 extends: display strings a
// provider fills with package and country names.
var phpTextKeys = []string{"description", "package", "package_name", "name", "title", "message"}

// withPHPText returns a copy of p, a payload of e, whose display strings
// (phpTextKeys, at any depth) end in phpText wherever the event's schema
// still accepts it, so that the receiver still knows the event; a payload
// without one gets a top-level "x_esimhooks_country" holding it.
func withPHPText(e *providers.Event, p jsonv.Value) jsonv.Value {
	out := jsonv.Clone(p)
	if !appendPHPText(e, out, out, 0) {
		if o, ok := out.(*jsonv.Object); ok {
			o.Set("x_esimhooks_country", phpText)
		}
	}
	return out
}

func appendPHPText(e *providers.Event, root, v jsonv.Value, depth int) bool {
	if depth > 16 {
		return false
	}
	found := false
	switch t := v.(type) {
	case *jsonv.Object:
		for _, k := range t.Keys() {
			val, _ := t.Get(k)
			if s, ok := val.(string); ok && slices.Contains(phpTextKeys, k) {
				t.Set(k, s+" "+phpText)
				if e.Validate(root) != nil {
					t.Set(k, s) // an enum or pattern: the event would become unknown
					continue
				}
				found = true
				continue
			}
			found = appendPHPText(e, root, val, depth+1) || found
		}
	case []jsonv.Value:
		for _, el := range t {
			found = appendPHPText(e, root, el, depth+1) || found
		}
	}
	return found
}
