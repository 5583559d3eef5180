package providers

import (
	"fmt"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// Generate fills the event's payload template from w, the World of the
// order's life; the event's time is w.Start plus the event's offset.
func (e *Event) Generate(w *payload.World) (jsonv.Value, error) {
	ctx := &payload.Context{World: w, Event: e.Variant.ID() + "/" + e.Name, Time: w.Start.Add(e.At.D())}
	v, err := payload.Generate(e.Payload, ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.Variant.ID(), e.Name, err)
	}
	return v, nil
}

// Encode produces the body bytes of payload p in the variant's encoding.
func (v *Variant) Encode(p jsonv.Value) ([]byte, error) {
	switch v.Encoding {
	case "js":
		return jsonv.EncodeJS(p)
	case "php":
		return jsonv.EncodePHP(p)
	default:
		return jsonv.Compact(p)
	}
}
