package faulty

import (
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

var unknownType500 = Fault{
	Name: "unknown-type-500",
	Doc: "Answers 500 to an event type it does not know. Breaks: answer 2xx to a correctly " +
		"signed delivery of an unknown event type (ROB-001): providers add types without notice.",
	Breaks:  []string{"ROB-001"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{UnknownStatus: http.StatusInternalServerError}, nil
	}),
}

var strictFields = Fault{
	Name: "strict-fields",
	Doc: "Decodes strictly: answers 400 to a known event carrying a field its documented " +
		"payload lacks (every documented event still passes). Breaks: answer 2xx to a known " +
		"event carrying extra unknown fields (ROB-002).",
	Breaks:  []string{"ROB-002"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{Reject: func(ev *providers.Event, p jsonv.Value) int {
			if hasUnknownField(ev.Payload, p) {
				return http.StatusBadRequest
			}
			return 0
		}}, nil
	}),
}

var malformed500 = Fault{
	Name: "malformed-500",
	Doc: "Answers 500 to a body that is not JSON (signed over its raw bytes, or where the " +
		"provider signs a re-serialisation the body cannot have). Breaks: answer a correctly " +
		"signed but malformed JSON body with 4xx, not 5xx (ROB-003): a 5xx makes the provider " +
		"retry a delivery that can never succeed.",
	Breaks:  []string{"ROB-003"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{MalformedStatus: http.StatusInternalServerError}, nil
	}),
}

var noBodyCap = Fault{
	Name: "no-body-cap",
	Doc: "Reads a body of any size (a correctly signed 5 MiB delivery is read, verified and " +
		"acknowledged). Breaks: answer a 5 MiB body with 413 or another 4xx (ROB-004).",
	Breaks:  []string{"ROB-004"},
	Applies: always,
	New: func(v *providers.Variant, secret string) (Receiver, error) {
		return build(v, secret, nil, func(c *receiver.Config) { c.MaxBody = 1 << 40 })
	},
}

var noReplayCheck = Fault{
	Name: "no-replay-check",
	Doc: "Accepts a correctly signed event however old: no Standard Webhooks timestamp " +
		"tolerance, no SimplifyTrip 24-hour createdAt window. Breaks: reject (4xx) a correctly " +
		"signed replay whose timestamp is outside the provider's window (RPL-001).",
	Breaks:  []string{"RPL-001"},
	Applies: func(v *providers.Variant) bool { return v.Replay != nil },
	New: withFaults(func(v *providers.Variant, secret string) (*receiver.Faults, error) {
		s, err := v.Signer(secret)
		if err != nil {
			return nil, err
		}
		if sw, ok := s.(*signing.StandardWebhooks); ok {
			sw.Tolerance = 100 * 365 * 24 * time.Hour
		}
		return &receiver.Faults{Verify: s.Verify, NoReplayCheck: true}, nil
	}),
}

var failsRegistration = Fault{
	Name: "fails-registration-check",
	Doc: "Fails the provider's check of a newly registered URL: answers Airalo's HEAD with 405, " +
		"as a POST-only route does, and eSIM Access's CHECK_HEALTH with 400. Breaks: pass the " +
		"provider's registration check, or the URL is not registered (REG-001).",
	Breaks: []string{"REG-001"},
	Applies: func(v *providers.Variant) bool {
		return v.Registration.Check == "head" || v.Registration.Check == "event"
	},
	New: func(v *providers.Variant, secret string) (Receiver, error) {
		if v.Registration.Check == "head" {
			return withWrapper(answerHead(http.StatusMethodNotAllowed))(v, secret)
		}
		return build(v, secret, &receiver.Faults{Reject: func(ev *providers.Event, _ jsonv.Value) int {
			if ev.Name == v.Registration.Event {
				return http.StatusBadRequest
			}
			return 0
		}})
	},
}

var rejectOneEventType = Fault{
	Name: "rejects-one-event-type",
	Doc: "Answers 422 to every delivery of one documented event type (see RejectedEvent) and " +
		"applies none of them. Breaks: accept (2xx) every documented event type (EVT-001).",
	Breaks:  []string{"EVT-001"},
	Applies: func(v *providers.Variant) bool { return RejectedEvent(v) != nil },
	New: withFaults(func(v *providers.Variant, _ string) (*receiver.Faults, error) {
		bad := RejectedEvent(v)
		return &receiver.Faults{Reject: func(ev *providers.Event, _ jsonv.Value) int {
			if ev == bad {
				return http.StatusUnprocessableEntity
			}
			return 0
		}}, nil
	}),
}

// RejectedEvent is the event type the rejects-one-event-type fault refuses
// for v: the last public event that no other requirement leans on, that is
// neither the first one moving a resource (the one single-delivery checks
// send) nor one sharing a resource with another event (ordering checks pair
// those). It is nil where every event matters so (eSIMfly 2026-04): there
// the fault would break more than EVT-001, so it does not apply.
func RejectedEvent(v *providers.Variant) *providers.Event {
	pub := v.Public()
	w := payload.NewWorld(1, payload.Epoch)
	owners := map[string]int{} // resource id → how many events move it
	ids := make([][]string, len(pub))
	var primary *providers.Event
	for i, e := range pub {
		if primary == nil && len(e.Resources) > 0 {
			primary = e
		}
		p, err := e.Generate(w)
		if err != nil {
			return nil
		}
		seen := map[string]bool{}
		for _, eff := range e.Effects(p) {
			if !seen[eff.ID] {
				seen[eff.ID] = true
				owners[eff.ID]++
				ids[i] = append(ids[i], eff.ID)
			}
		}
	}
	for i := len(pub) - 1; i >= 0; i-- {
		if pub[i] == primary {
			continue
		}
		shared := false
		for _, id := range ids[i] {
			shared = shared || owners[id] > 1
		}
		if !shared {
			return pub[i]
		}
	}
	return nil
}
