package conformance

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	. "github.com/onsi/gomega"    //nolint:revive // as Ginkgo
)

// describeOrdering declares ORD-001 and ORD-002: two events of one life
// that set one resource to different statuses, the newer delivered first.
func (st *runState) describeOrdering() {
	Describe("ordering", func() {
		var pair *orderPair
		BeforeEach(func() {
			var err error
			pair, err = st.fx.pairFor()
			if err != nil {
				Skip(err.Error())
			}
		})

		When("an older event arrives after a newer one", func() {
			It("answers 2xx to both", For("ORD-001"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				newer := st.post(ctx2, pair.newer)
				older := st.post(ctx2, pair.older)
				c := all(is2xx(newer), is2xx(older))
				c.Actual = pair.newer.Event.Name + " " + newer.String() + ", then older " + pair.older.Event.Name + " " + older.String()
				st.acceptedOrBlocked(ctx2, newer)
				st.verify(c)
			})

			It("ends in the status of the newest event", For("ORD-002"), func(ctx SpecContext) {
				if pair.resource == "" {
					Skip(st.v.ID() + " has no two timed events that set one resource to different statuses")
				}
				ctx2 := st.requestCtx(ctx)
				newer := st.post(ctx2, pair.newer)
				older := st.post(ctx2, pair.older)
				st.acceptedOrBlocked(ctx2, newer)
				note := "newer " + pair.newer.Event.Name + " " + newer.String() + ", older " + pair.older.Event.Name + " " + older.String()
				// Wait until the newer event shows, then hold the status for
				// a moment: a receiver applying the older one late would
				// overwrite it.
				Eventually(ctx2, func(ctx context.Context) Check {
					return withNote(st.appliedCheck(ctx, pair.newer.Key(), 1, true), note)
				}).WithTimeout(st.opts.ProbeWait).WithPolling(25 * time.Millisecond).Should(Hold())
				Consistently(ctx2, func(ctx context.Context) Check {
					return st.resourceCheck(ctx, pair.resource, pair.newStat, note)
				}).WithTimeout(300 * time.Millisecond).WithPolling(50 * time.Millisecond).Should(Hold())
				st.evidence("status " + pair.newStat + " of " + pair.resource + " kept (" + note + ")")
			})
		})
	})
}

// resourceCheck compares a resource's status in the probe with want.
func (st *runState) resourceCheck(ctx context.Context, id, want, note string) Check {
	status, found, err := st.c.probeStatus(ctx, id)
	c := Check{Expected: "status " + want + " of " + id}
	switch {
	case err != nil:
		c.Actual = err.Error()
	case !found:
		c.Actual = "resource unknown (404)"
	default:
		c.Actual = "status " + status
		c.OK = status == want
	}
	return withNote(c, note)
}
