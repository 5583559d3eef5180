package conformance

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified

	"github.com/esimhooks/esimhooks/providers"
)

// burstSize is how many concurrent deliveries ACK-002 sends.
const burstSize = 50

// describeAck declares the acknowledgement requirements: ACK-001..003.
func (st *runState) describeAck() {
	Describe("acknowledgement", func() {
		var d *providers.Delivery
		BeforeEach(func() { d = st.freshPrimary() })

		It("answers a valid delivery with 2xx within the provider's deadline", For("ACK-001"), func(ctx SpecContext) {
			h, err := st.fx.signed(d)
			must(err)
			r := st.c.send(st.requestCtx(ctx), request{Header: h, Body: d.Body, Timeout: st.timedBound()})
			st.verify(within(r, st.deadline()))
		})

		It("answers a valid delivery with exactly 200", For("ACK-003"), func(ctx SpecContext) {
			st.verify(isStatus(st.post(st.requestCtx(ctx), d), http.StatusOK))
		})

		When("a burst of deliveries arrives at once", func() {
			var burst []*providers.Delivery
			BeforeEach(func() {
				burst = make([]*providers.Delivery, burstSize)
				for i := range burst {
					burst[i] = st.freshPrimary()
				}
			})

			It("answers each within the provider's deadline", For("ACK-002"), func(ctx SpecContext) {
				st.verify(burstWithin(st.sendBurst(st.requestCtx(ctx), burst, st.burstBound()), st.deadline()))
			})
		})
	})
}

// sendBurst sends every delivery at the same moment, each on its own
// connection, and returns the answers in order.
func (st *runState) sendBurst(ctx context.Context, ds []*providers.Delivery, bound time.Duration) []response {
	GinkgoHelper()
	reqs := make([]request, len(ds))
	for i, d := range ds {
		h, err := st.fx.signed(d)
		must(err)
		reqs[i] = request{Header: h, Body: d.Body, Timeout: bound}
	}
	out := make([]response, len(ds))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Go(func() {
			<-start
			out[i] = st.noteLatency(st.c.send(ctx, reqs[i]))
		})
	}
	close(start)
	wg.Wait()
	return out
}

// burstBound bounds each request of a burst: long enough for a receiver
// that works through the burst one at a time, at a tenth of the deadline
// each, to answer them all. The answers still owed after a shorter bound
// would delay the next specs (a server notices a gone client only once it
// reads the body), blaming them for this one's failure.
func (st *runState) burstBound() time.Duration { return st.deadline() * (burstSize/10 + 1) }

// burstWithin checks that every answer of a burst is 2xx within the
// deadline.
func burstWithin(rs []response, deadline time.Duration) Check {
	var ok int
	var slowest time.Duration
	var first string
	for _, r := range rs {
		slowest = max(slowest, r.Latency)
		if c := within(r, deadline); c.OK {
			ok++
		} else if first == "" {
			first = c.Actual
		}
	}
	c := Check{
		OK:       ok == len(rs),
		Expected: fmt.Sprintf("%d answers 2xx within %s", len(rs), deadline),
		Actual:   fmt.Sprintf("%d/%d, slowest %s", ok, len(rs), ms(slowest)),
	}
	if !c.OK {
		c.Actual += "; first miss: " + first
	}
	return c
}

// describeRegistration declares REG-001: the provider's check of a newly
// registered URL.
func (st *runState) describeRegistration() {
	Describe("registration", func() {
		It("passes the provider's registration check", For("REG-001"), func(ctx SpecContext) {
			ctx2 := st.requestCtx(ctx)
			switch st.v.Registration.Check {
			case "head":
				r := st.c.send(ctx2, request{Method: http.MethodHead, Header: http.Header{}})
				c := isStatus(r, http.StatusOK)
				c.Actual = "HEAD answered " + r.String()
				st.verify(c)
			case "event":
				e, err := st.v.Event(st.v.Registration.Event)
				must(err)
				d, err := st.fx.fresh(e)
				must(err)
				r := st.post(ctx2, d)
				c := is2xx(r)
				c.Actual = e.Name + " answered " + r.String()
				st.verify(c)
			default:
				Skip("the provider makes no registration check")
			}
		})
	})
}
