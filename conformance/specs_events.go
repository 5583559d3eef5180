package conformance

import (
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified

	"github.com/esimhooks/esimhooks/providers"
)

// describeEvents declares EVT-001 (one entry per documented event type of
// the run's variant, built at tree construction), ROB-001 and ROB-002.
func (st *runState) describeEvents() {
	Describe("event types", func() {
		var entries []TableEntry
		for _, e := range st.v.Public() {
			entries = append(entries, Entry(e.Name, For("EVT-001"), e.Name))
		}
		DescribeTable("accepts every documented event type",
			func(ctx SpecContext, name string) {
				e, err := st.v.Event(name)
				must(err)
				d, err := st.fx.fresh(e)
				must(err)
				ctx2 := st.requestCtx(ctx)
				c := is2xx(st.post(ctx2, d))
				c.Actual = name + ": " + c.Actual
				st.verifyAccepted(ctx2, c)
			},
			entries,
		)

		When("the event type is unknown", func() {
			var d *providers.Delivery
			var header string
			BeforeEach(func() {
				base := st.freshPrimary()
				p, h, err := unknownPayload(st.v, base.Payload)
				must(err)
				header = h
				d, err = st.v.NewDelivery(base.Event, p, base.ID)
				must(err)
			})

			It("answers 2xx (forward compatibility)", For("ROB-001"), func(ctx SpecContext) {
				h, err := st.fx.signed(d)
				must(err)
				// Headers that name the event say the unknown type too.
				for _, hd := range st.v.Headers {
					if strings.Contains(hd.Value, "{{event}}") {
						h.Set(hd.Name, unknownEventType)
					}
				}
				if header != "" {
					h.Set(header, unknownEventType)
				}
				ctx2 := st.requestCtx(ctx)
				c := is2xx(st.postRaw(ctx2, h, d.Body))
				c.Actual = "unknown type " + c.Actual
				st.verifyAccepted(ctx2, c)
			})
		})

		When("a known event carries fields the profile does not know", func() {
			var d *providers.Delivery
			BeforeEach(func() {
				base := st.freshPrimary()
				var err error
				d, err = st.v.NewDelivery(base.Event, withExtraFields(base.Payload), base.ID)
				must(err)
			})

			It("answers 2xx", For("ROB-002"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				st.verifyAccepted(ctx2, is2xx(st.post(ctx2, d)))
			})
		})
	})
}
