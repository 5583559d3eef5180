package faulty

import (
	"net/http"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

var noSignatureCheck = Fault{
	Name: "no-signature-check",
	Doc: "Accepts every delivery without checking its signature. Breaks: refuse a delivery " +
		"whose signature is missing (SIG-001), made with another secret (SIG-002) or whose body " +
		"was changed after signing (SIG-003) with 401, apply nothing from it (SIG-005), and answer " +
		"a malformed signature header with 4xx (SIG-006).",
	Breaks:  []string{"SIG-001", "SIG-002", "SIG-003", "SIG-005", "SIG-006"},
	Applies: (*providers.Variant).Signed,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{Verify: func(http.Header, []byte) error { return nil }}, nil
	}),
}

var reserialisedSignature = Fault{
	Name: "reserialised-signature",
	Doc: "Verifies the signature over JSON.stringify(JSON.parse(body)) instead of the raw bytes, " +
		"as the eSIMfly seed's JavaScript sample does. Breaks: verify the signature over the " +
		"exact raw bytes received, as the provider documents (SIG-004): a correctly signed body " +
		"that is not in canonical form (white space, escapes, number spelling) is refused.",
	Breaks:  []string{"SIG-004"},
	Applies: (*providers.Variant).SignsRawBody,
	New: withFaults(func(v *providers.Variant, secret string) (*receiver.Faults, error) {
		s, err := v.Signer(secret)
		if err != nil {
			return nil, err
		}
		return &receiver.Faults{Verify: func(h http.Header, body []byte) error {
			canon, err := jsonv.StringifyJS(body)
			if err != nil {
				// Not JSON: a framework's body parser would have answered
				// 400 before the check; the receiver does the same.
				return s.Verify(h, body)
			}
			return s.Verify(h, canon)
		}}, nil
	}),
}

var applyBeforeVerify = Fault{
	Name: "apply-before-verify",
	Doc: "Applies the event, then checks the signature: the 401 comes after the harm. " +
		"Breaks: apply nothing from a delivery whose signature fails (SIG-005).",
	Breaks:  []string{"SIG-005"},
	Applies: (*providers.Variant).Signed,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{ApplyBeforeVerify: true}, nil
	}),
}

var noDedup = Fault{
	Name: "no-dedup",
	Doc: "Applies every copy of an event. Breaks: apply an event once per idempotency key " +
		"(IDM-002), also when copies arrive concurrently (IDM-003) and when the provider " +
		"retries it (RTY-001).",
	Breaks:  []string{"IDM-002", "IDM-003", "RTY-001"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{NoDedup: true}, nil
	}),
}

var checkThenAct = Fault{
	Name: "check-then-act",
	Doc: "Reads \"seen?\" and writes \"applied\" in two steps, with a barrier between them that " +
		"holds the first copy of a key until a second arrives (at most a fifth of the ack " +
		"deadline, and at most 250 ms), so two simultaneous copies both apply; one copy at a time is deduplicated. " +
		"Breaks: apply an event once even when copies arrive concurrently (IDM-003).",
	Breaks:  []string{"IDM-003"},
	Applies: always,
	New: withFaults(func(v *providers.Variant, _ string) (*receiver.Faults, error) {
		b := newBarrier(min(v.Ack.Deadline.D()/5, 250*time.Millisecond))
		return &receiver.Faults{BetweenCheckAndMark: b.meet}, nil
	}),
}

var rejectDuplicates = Fault{
	Name: "reject-duplicates",
	Doc: "Answers 409 Conflict to a copy of an event it already applied (and applies it once). " +
		"Breaks: answer a duplicate with 2xx, 200 for Airalo (IDM-001): a provider retries a " +
		"non-2xx answer.",
	Breaks:  []string{"IDM-001"},
	Applies: always,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{DuplicateStatus: http.StatusConflict}, nil
	}),
}

var lastArrivalWins = Fault{
	Name: "last-arrival-wins",
	Doc: "Sets each resource to the status of the event that arrived last, ignoring the " +
		"event's own time. Breaks: never let an older event (by its own time) overwrite a " +
		"newer status (ORD-002).",
	Breaks:  []string{"ORD-002"},
	Applies: (*providers.Variant).Ordered,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		return &receiver.Faults{ArrivalOrder: true}, nil
	}),
}

var rejectOutOfOrder = Fault{
	Name: "rejects-out-of-order",
	Doc: "Answers 409 to an event older (by its own time) than one it already accepted for the " +
		"same resource, and applies nothing from it; the status stays the newest. Breaks: " +
		"answer 2xx to events delivered out of order (ORD-001): the provider retries the 409.",
	Breaks:  []string{"ORD-001"},
	Applies: (*providers.Variant).Ordered,
	New: withFaults(func(*providers.Variant, string) (*receiver.Faults, error) {
		n := &newest{at: map[string]time.Time{}}
		return &receiver.Faults{Reject: n.reject}, nil
	}),
}

// newest remembers the newest event time seen per resource.
type newest struct {
	mu sync.Mutex
	at map[string]time.Time
}

// reject is receiver.Faults.Reject: 409 for an event older than the newest
// one seen for any resource it moves.
func (n *newest) reject(ev *providers.Event, p jsonv.Value) int {
	t, ok := ev.EventTime(p)
	if !ok {
		return 0
	}
	effects := ev.Effects(p)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range effects {
		if cur, ok := n.at[e.ID]; ok && t.Before(cur) {
			return http.StatusConflict
		}
	}
	for _, e := range effects {
		n.at[e.ID] = t
	}
	return 0
}
