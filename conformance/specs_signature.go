package conformance

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	. "github.com/onsi/gomega"    //nolint:revive // as Ginkgo

	"github.com/esimhooks/esimhooks/providers"
)

// describeSignature declares SIG-001..005: the receiver verifies the
// provider's signature before it acts.
func describeSignature() {
	Describe("signature", func() {
		var d *providers.Delivery
		BeforeEach(func() { d = freshPrimary() })

		When("the signature header is missing", func() {
			It("rejects the delivery with 4xx", For("SIG-001"), func(ctx SpecContext) {
				h, err := cur.fx.signed(d)
				must(err)
				for _, name := range cur.fx.signatureHeaders() {
					h.Del(name)
				}
				verify(is4xx(postRaw(requestCtx(ctx), h, d.Body)))
			})
		})

		When("the delivery is signed with another secret", func() {
			It("rejects the delivery with 4xx", For("SIG-002"), func(ctx SpecContext) {
				s, err := cur.fx.otherSigner()
				must(err)
				h, err := d.Request(s, time.Now())
				must(err)
				verify(is4xx(postRaw(requestCtx(ctx), h, d.Body)))
			})
		})

		When("the body was changed after signing", func() {
			It("rejects the delivery with 4xx", For("SIG-003"), func(ctx SpecContext) {
				h, err := cur.fx.signed(d)
				must(err)
				verify(is4xx(postRaw(requestCtx(ctx), h, tamper(d.Body))))
			})
		})

		When("the signed body's bytes are not canonical JSON", func() {
			var body []byte
			BeforeEach(func() {
				var err error
				body, err = encodeNonCanonical(d.Payload)
				must(err)
			})

			It("accepts the delivery with 2xx", For("SIG-004"), func(ctx SpecContext) {
				h, err := cur.fx.signBody(d, cur.fx.signer, body, time.Now())
				must(err)
				c := is2xx(postRaw(requestCtx(ctx), h, body))
				c.Actual = fmt.Sprintf("%d-byte indented, reordered, escaped body: %s", len(body), c.Actual)
				verify(c)
			})
		})

		When("it rejected a delivery", func() {
			It("applies nothing from it", For("SIG-005"), func(ctx SpecContext) {
				ctx2 := requestCtx(ctx)
				s, err := cur.fx.otherSigner()
				must(err)
				h, err := d.Request(s, time.Now())
				must(err)
				r := postRaw(ctx2, h, d.Body)
				note := "wrongly signed delivery answered " + r.String()
				Consistently(ctx2, func(ctx context.Context) Check {
					return withNote(nothingApplied(ctx, d), note)
				}).WithTimeout(500 * time.Millisecond).WithPolling(100 * time.Millisecond).Should(Hold())
				AddReportEntry(evidenceEntry, "applied=0, no resource changed ("+note+")")
			})
		})
	})
}

// nothingApplied checks that the probe shows no application of d: its key
// is unknown and none of its resources is in the status d would set.
func nothingApplied(ctx context.Context, d *providers.Delivery) Check {
	c := appliedCheck(ctx, d.Key(), 0, false)
	if !c.OK {
		return c
	}
	for _, ef := range d.Event.Effects(d.Payload) {
		st, found, err := cur.c.probeStatus(ctx, ef.ID)
		switch {
		case err != nil:
			return Check{Expected: "resource " + ef.ID + " unknown", Actual: err.Error()}
		case found && st == ef.Status:
			return Check{Expected: "resource " + ef.ID + " unknown", Actual: "status " + st}
		}
	}
	return Check{OK: true, Actual: "applied=0"}
}

// describeReplay declares RPL-001: a correctly signed replay from outside
// the provider's window is refused.
func describeReplay() {
	Describe("replay protection", func() {
		When("a correctly signed delivery is older than the provider's window", func() {
			It("rejects it with 4xx", For("RPL-001"), func(ctx SpecContext) {
				rule := cur.v.Replay
				if rule == nil {
					Skip("the provider documents no replay window")
				}
				window := rule.Window.D()
				// The stale time is where the provider puts it: the signed
				// timestamp header (Standard Webhooks) or the event's own
				// time in the body (SimplifyTrip's createdAt).
				var d *providers.Delivery
				signedAt := time.Now()
				if strings.HasPrefix(rule.Time, "header:") {
					d = freshPrimary()
					signedAt = signedAt.Add(-window - 5*time.Minute)
				} else {
					e := cur.fx.primary()
					p, err := cur.fx.generate(e, cur.fx.nextSeed(), time.Now().Add(-window-time.Hour))
					must(err)
					d, err = cur.fx.deliver(e, p)
					must(err)
				}
				h, err := cur.fx.signedAt(d, signedAt)
				must(err)
				c := is4xx(postRaw(requestCtx(ctx), h, d.Body))
				c.Actual = fmt.Sprintf("replay from beyond the %s window: %s", window, c.Actual)
				verify(c)
			})
		})
	})
}
