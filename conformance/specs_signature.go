package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	. "github.com/onsi/gomega"    //nolint:revive // as Ginkgo

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// describeSignature declares SIG-001..007: the receiver verifies the
// provider's signature before it acts. Every rejection counts only after
// the same receiver accepted a correctly signed delivery in the same spec
// (requireAccepting): a receiver that rejects everything is blocked by
// ACK-001, not passed.
func (st *runState) describeSignature() {
	Describe("signature", func() {
		var d *providers.Delivery
		BeforeEach(func() { d = st.freshPrimary() })

		// SIG-001..003: one forgery each, rejected after a control
		// delivery was accepted.
		for _, f := range []struct {
			when, id string
			kind     forgeKind
			what     string // the forged delivery, for the evidence
		}{
			{"the signature header is missing", "SIG-001", forgeUnsigned, "without the signature header"},
			{"the delivery is signed with another secret", "SIG-002", forgeOtherSecret, "signed with another secret"},
			{"the body was changed after signing", "SIG-003", forgeTampered, "changed after signing"},
		} {
			When(f.when, func() {
				It("rejects the delivery with 4xx", For(f.id), func(ctx SpecContext) {
					ctx2 := st.requestCtx(ctx)
					ctl := st.requireAccepting(ctx2)
					h, body := st.forged(d, f.kind)
					st.verify(rejected(ctl, f.what, st.postRaw(ctx2, h, body)))
				})
			})
		}

		When("the signed body's bytes are not canonical JSON", func() {
			var body []byte
			BeforeEach(func() {
				var err error
				body, err = encodeNonCanonical(d.Payload)
				must(err)
			})

			It("accepts the delivery with 2xx", For("SIG-004"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				h, err := st.fx.signBody(d, st.fx.signer, body, time.Now())
				must(err)
				c := is2xx(st.postRaw(ctx2, h, body))
				c.Actual = fmt.Sprintf("%d-byte indented, reordered, escaped body: %s", len(body), c.Actual)
				st.verifyAccepted(ctx2, c)
			})
		})

		When("it rejected a delivery", func() {
			It("applies nothing from it, whichever way the signature failed", For("SIG-005"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				st.requireAccepting(ctx2)
				var sent []*providers.Delivery
				var notes []string
				for _, kind := range forgeKinds {
					fd := st.freshPrimary()
					h, body := st.forged(fd, kind)
					r := st.postRaw(ctx2, h, body)
					notes = append(notes, kind.what+" "+r.String())
					sent = append(sent, fd)
					if kind.tampers {
						// What a receiver that skipped the check would have
						// applied: the changed body's event.
						td, err := tamperedDelivery(fd, body)
						must(err)
						sent = append(sent, td)
					}
				}
				note := strings.Join(notes, ", ")
				Consistently(ctx2, func(ctx context.Context) Check {
					for _, fd := range sent {
						if c := st.nothingApplied(ctx, fd); !c.OK {
							return withNote(c, note)
						}
					}
					return Check{OK: true}
				}).WithTimeout(500 * time.Millisecond).WithPolling(100 * time.Millisecond).Should(Hold())
				st.evidence("applied=0, no resource changed (" + note + ")")
			})
		})

		When("the signature header is malformed", func() {
			It("answers 4xx, not 5xx, and keeps serving", For("SIG-006"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				ctl := st.requireAccepting(ctx2)
				h, err := st.fx.signed(d)
				must(err)
				bad, err := st.fx.malformedSignatures(h)
				must(err)
				var seen []string
				for _, m := range bad {
					hh := h.Clone()
					hh[http.CanonicalHeaderKey(m.header)] = m.values
					r := st.postRaw(ctx2, hh, d.Body)
					if c := rejected(ctl, m.what, r); !c.OK {
						st.verify(c)
					}
					seen = append(seen, m.what+" "+itoa(r.Status))
				}
				ks := st.keepsServing(ctx2)
				ks.Actual = strings.Join(seen, ", ") + "; " + ks.Actual
				st.verify(ks)
			})
		})

		When("a correctly signed body holds text as PHP's json_encode escapes it", func() {
			It("accepts the delivery with 2xx", For("SIG-007"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				p := withPHPText(d.Event, d.Payload)
				body, err := jsonv.EncodePHP(p)
				must(err)
				h, err := st.fx.signBody(d, st.fx.signer, body, time.Now())
				must(err)
				if ev, _, err := st.v.Identify(h, body); ev != d.Event {
					must(fmt.Errorf("the PHP-escaped body is no longer a %s (%v)", d.Event.Name, err))
				}
				r := st.postRaw(ctx2, h, body)
				c := is2xx(r)
				c.Actual = "body with " + phpText + " written as PHP's json_encode does (\\u00fc, \\/): " + r.String()
				if !c.OK {
					c.Actual += "; assumed basis: Airalo does not publish its encoder. Receivers built on Airalo's " +
						"Node SDK (JSON.stringify: literal UTF-8) or Python SDK (json.dumps ensure_ascii=False; " +
						"its str path also turns \\/ into \\\\/) re-encode such a body differently, compute " +
						"another HMAC and reject it: verify over the raw bytes or PHP's re-encoding"
				}
				st.verifyAccepted(ctx2, c)
			})
		})
	})
}

// rejected checks that r is a 4xx, after the control delivery ctl was
// accepted; what names the stimulus.
func rejected(ctl response, what string, r response) Check {
	c := is4xx(r)
	c.Actual = r.String() + " (" + what + "; a valid delivery: " + ctl.String() + ")"
	return c
}

// forgeKind is one way a delivery's signature fails.
type forgeKind struct {
	what    string
	tampers bool
	forge   func(f *fixture, d *providers.Delivery) (http.Header, []byte)
}

var (
	forgeUnsigned = forgeKind{what: "unsigned", forge: func(f *fixture, d *providers.Delivery) (http.Header, []byte) {
		GinkgoHelper()
		h, err := f.signed(d)
		must(err)
		for _, name := range f.signatureHeaders() {
			h.Del(name)
		}
		return h, d.Body
	}}
	forgeOtherSecret = forgeKind{what: "another secret", forge: func(f *fixture, d *providers.Delivery) (http.Header, []byte) {
		GinkgoHelper()
		s, err := f.otherSigner()
		must(err)
		h, err := d.Request(s, time.Now())
		must(err)
		return h, d.Body
	}}
	forgeTampered = forgeKind{what: "tampered", tampers: true, forge: func(f *fixture, d *providers.Delivery) (http.Header, []byte) {
		GinkgoHelper()
		h, err := f.signed(d)
		must(err)
		return h, tamper(d.Body)
	}}
	// forgeKinds are the rejections SIG-005 probes.
	forgeKinds = []forgeKind{forgeUnsigned, forgeOtherSecret, forgeTampered}
)

// forged returns d's request forged the given way.
func (st *runState) forged(d *providers.Delivery, k forgeKind) (http.Header, []byte) {
	GinkgoHelper()
	return k.forge(st.fx, d)
}

// tamperedDelivery is d with the changed body, parsed, so that the probe
// can be asked about the event a receiver would have applied from it.
func tamperedDelivery(d *providers.Delivery, body []byte) (*providers.Delivery, error) {
	p, err := jsonv.Parse(body)
	if err != nil {
		return nil, err
	}
	td := *d
	td.Body, td.Payload = body, p
	return &td, nil
}

// nothingApplied checks that the probe shows no application of d: its key
// is unknown and none of its resources is in the status d would set.
func (st *runState) nothingApplied(ctx context.Context, d *providers.Delivery) Check {
	c := st.appliedCheck(ctx, d.Key(), 0, false)
	if !c.OK {
		return c
	}
	for _, ef := range d.Event.Effects(d.Payload) {
		status, found, err := st.c.probeStatus(ctx, ef.ID)
		switch {
		case err != nil:
			return Check{Expected: "resource " + ef.ID + " unknown", Actual: err.Error()}
		case found && status == ef.Status:
			return Check{Expected: "resource " + ef.ID + " unknown", Actual: "status " + status}
		}
	}
	return Check{OK: true, Actual: "applied=0"}
}

// describeReplay declares RPL-001: a correctly signed replay from outside
// the provider's window is refused.
func (st *runState) describeReplay() {
	Describe("replay protection", func() {
		When("a correctly signed delivery is older than the provider's window", func() {
			It("rejects it with 4xx", For("RPL-001"), func(ctx SpecContext) {
				rule := st.v.Replay
				ctx2 := st.requestCtx(ctx)
				ctl := st.requireAccepting(ctx2)
				window := rule.Window.D()
				// The stale time is where the provider puts it: the signed
				// timestamp header (Standard Webhooks) or the event's own
				// time in the body (SimplifyTrip's createdAt).
				var d *providers.Delivery
				signedAt := time.Now()
				if strings.HasPrefix(rule.Time, "header:") {
					d = st.freshPrimary()
					signedAt = signedAt.Add(-window - 5*time.Minute)
				} else {
					e := st.fx.primary()
					p, err := st.fx.generate(e, st.fx.nextSeed(), time.Now().Add(-window-time.Hour))
					must(err)
					d, err = st.fx.deliver(e, p)
					must(err)
				}
				h, err := st.fx.signedAt(d, signedAt)
				must(err)
				st.verify(rejected(ctl, fmt.Sprintf("replay from beyond the %s window", window), st.postRaw(ctx2, h, d.Body)))
			})
		})
	})
}
