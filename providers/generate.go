package providers

import (
	"fmt"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// Generate fills the event's payload template from w, the World of the
// order's life; the event's time is w.Start plus the event's offset.
func (e *Event) Generate(w *payload.World) (jsonv.Value, error) {
	ctx := &payload.Context{World: w, Event: e.Variant.ID() + "/" + e.Name, Time: w.Start.Add(e.At.D()),
		ASCII: e.Variant.Encoding == "php" || e.Variant.Encoding == "php-utf8"}
	v, err := payload.Generate(e.Payload, ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.Variant.ID(), e.Name, err)
	}
	return v, nil
}

// Encodings are the values of a variant's encoding field and of send's
// --encoding flag.
var Encodings = []string{"js", "php", "php-utf8", "compact"}

// Encode produces the body bytes of payload p in the variant's encoding.
func (v *Variant) Encode(p jsonv.Value) ([]byte, error) { return EncodeAs(v.Encoding, p) }

// EncodeAs produces the body bytes of payload p in the named encoding:
//
//   - js: JSON.stringify's form (jsonv.EncodeJS);
//   - php: the Airalo form (jsonv.EncodeAiralo): the bytes PHP's
//     json_encode writes, restricted to what the Node and Python SDKs
//     reproduce too — "/" as "\/", non-ASCII as \uXXXX;
//   - php-utf8: the same with non-ASCII as literal UTF-8, which the Node and
//     Python SDKs reproduce and the PHP SDK does not;
//   - compact (or empty): jsonv.Compact.
func EncodeAs(encoding string, p jsonv.Value) ([]byte, error) {
	switch encoding {
	case "js":
		return jsonv.EncodeJS(p)
	case "php":
		return jsonv.EncodeAiralo(p, false)
	case "php-utf8":
		return jsonv.EncodeAiralo(p, true)
	case "", "compact":
		return jsonv.Compact(p)
	}
	return nil, fmt.Errorf("unknown encoding %q (want %s)", encoding, strings.Join(Encodings, ", "))
}

// BodyWarnings says which official verifiers will reject body, a body in
// encoding, although the mock signs it correctly: for the php encodings,
// every Airalo SDK path whose re-serialisation differs from the body (see
// signing.AiraloRejections), so that a value the encoding rule cannot
// express (an integer beyond ±(2^53−1), {}, non-ASCII under the chosen
// option) is reported before it is sent.
func BodyWarnings(encoding string, body []byte) []string {
	if encoding != "php" && encoding != "php-utf8" {
		return nil
	}
	var out []string
	for _, r := range signing.AiraloRejections(body) {
		hint := ""
		if strings.Contains(r.Reason, "non-ASCII") {
			hint = " (non-ASCII text splits the SDKs: encoding php suits the PHP SDK, php-utf8 the Node and Python SDKs)"
		}
		out = append(out, fmt.Sprintf("the Airalo %s will reject this body: %s%s", r.SDK.Name, r.Reason, hint))
	}
	return out
}

// Override sets one value of a payload: Path is a JSON pointer or dotted
// path, Raw the value as given on the command line.
type Override struct {
	Path string
	Raw  string
}

// ParseOverride reads "path=value" (as --set takes it).
func ParseOverride(s string) (Override, error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return Override{}, fmt.Errorf("--set %q: want PATH=VALUE, e.g. data.iccid=8944500000000000017 or /data/iccid=…", s)
	}
	if _, err := jsonv.ParsePath(s[:i]); err != nil {
		return Override{}, fmt.Errorf("--set %q: %v", s, err)
	}
	return Override{Path: s[:i], Raw: s[i+1:]}, nil
}

// Apply sets the override in p and returns the new root. A value replacing
// a string stays a string (so an ICCID of digits is not turned into a
// number); otherwise a valid JSON literal keeps its JSON type and anything
// else is a string.
func (o Override) Apply(p jsonv.Value) (jsonv.Value, error) {
	path, err := jsonv.ParsePath(o.Path)
	if err != nil {
		return nil, err
	}
	var nv jsonv.Value = o.Raw
	if old, ok := jsonv.Get(p, path); !ok || !isString(old) {
		if parsed, err := jsonv.Parse([]byte(o.Raw)); err == nil {
			nv = parsed
		}
	}
	out, err := jsonv.Set(p, path, nv)
	if err != nil {
		return nil, fmt.Errorf("--set %s: %w", o.Path, err)
	}
	return out, nil
}

func isString(v jsonv.Value) bool { _, ok := v.(string); return ok }

// ApplyAll applies overrides in order.
func ApplyAll(p jsonv.Value, os []Override) (jsonv.Value, error) {
	for _, o := range os {
		var err error
		if p, err = o.Apply(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}
