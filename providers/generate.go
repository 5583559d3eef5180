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
		ASCII: e.Variant.ASCIIText()}
	v, err := payload.Generate(e.Payload, ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.Variant.ID(), e.Name, err)
	}
	return v, nil
}

// ASCIIText reports whether the text the variant's payloads generate
// (package names, ...) must be ASCII-only: Airalo's encodings, since
// non-ASCII text splits its official SDKs (providers.md). Every generator
// of a variant's payloads (Event.Generate, a scenario's steps) asks this.
func (v *Variant) ASCIIText() bool { return v.Encoding == "php" || v.Encoding == "php-utf8" }

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
