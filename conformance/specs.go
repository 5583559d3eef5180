package conformance

import (
	"context"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	. "github.com/onsi/gomega"    //nolint:revive // as Ginkgo

	"github.com/esimhooks/esimhooks/providers"
)

// declareSpecs declares the whole suite on Ginkgo's global suite. It is
// called once per run, after globals.Reset, before RunSpecs; the container
// bodies run when RunSpecs builds the tree, with cur set.
//
// Each spec is labelled with exactly one requirement ID (For), so the
// catalogue and the specs can be compared (TestCatalogueMatchesSpecs), and
// declares its stimulus and its verifier side by side.
func declareSpecs() {
	Describe("a webhook receiver", func() {
		BeforeEach(gate)
		describeAck()
		describeEvents()
		describeRegistration()
		describeSignature()
		describeReplay()
		describeIdempotency()
		describeRetry()
		describeOrdering()
		describeRobustness()
		describeTLS()
		describeScenarios()
	})
	ReportAfterEach(func(sr SpecReport) {
		if cur != nil {
			cur.progress(sr)
		}
	})
	ReportAfterSuite("summary", func(r Report) {
		if cur != nil {
			cur.mu.Lock()
			cur.report = &r
			cur.mu.Unlock()
		}
	})
}

// must fails the spec when the suite itself could not build a request: a
// bug of the suite or the profile, not of the receiver.
func must(err error) {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred(), "the suite could not build its request")
}

// deadline is the provider's acknowledgement deadline.
func deadline() time.Duration { return cur.v.Ack.Deadline.D() }

// timedBound bounds a request timed against the deadline: long enough to
// measure a late answer ("200 after 3.4s"), short enough not to wait for
// a hung one.
func timedBound() time.Duration { return 2 * deadline() }

// untimedBound bounds every other request: the run's request timeout, but
// never less than twice the deadline, so that a receiver that is merely
// slow fails the ACK requirements only.
func untimedBound() time.Duration { return max(cur.opts.RequestTimeout, 2*deadline()) }

// post sends d signed now, bounded by the run's request timeout.
func post(ctx context.Context, d *providers.Delivery) response {
	GinkgoHelper()
	h, err := cur.fx.signed(d)
	must(err)
	return cur.c.send(ctx, request{Header: h, Body: d.Body, Timeout: untimedBound()})
}

// postRaw sends body with headers h.
func postRaw(ctx context.Context, h http.Header, body []byte) response {
	return cur.c.send(ctx, request{Header: h, Body: body, Timeout: untimedBound()})
}

// freshPrimary is a valid delivery of the primary event from a new life.
func freshPrimary() *providers.Delivery {
	GinkgoHelper()
	d, err := cur.fx.fresh(cur.fx.primary())
	must(err)
	return d
}

// keepsServing sends a fresh valid delivery after a hostile one and checks
// that the receiver still answers it with 2xx.
func keepsServing(ctx context.Context) Check {
	r := post(ctx, freshPrimary())
	c := is2xx(r)
	c.Expected = "a valid delivery afterwards answered 2xx"
	c.Actual = "then a valid delivery: " + r.String()
	return c
}

// appliedCheck reads the probe's count for key and compares it with want.
func appliedCheck(ctx context.Context, key string, want int, atLeast bool) Check {
	n, err := cur.c.probeApplied(ctx, key)
	c := Check{Expected: "applied=" + itoa(want), Actual: "applied=" + itoa(n)}
	if atLeast {
		c.Expected = "applied≥" + itoa(want)
	}
	if err != nil {
		c.Actual = err.Error()
		return c
	}
	c.OK = n == want || (atLeast && n >= want)
	return c
}

// appliedOnce waits until the event with key shows as applied, then checks
// for a while that it stays applied exactly once. note describes what was
// sent, for the evidence.
func appliedOnce(ctx context.Context, key, note string) {
	GinkgoHelper()
	wait := cur.opts.ProbeWait
	Eventually(ctx, func(ctx context.Context) Check {
		return withNote(appliedCheck(ctx, key, 1, true), note)
	}).WithTimeout(wait).WithPolling(25 * time.Millisecond).Should(Hold())
	Consistently(ctx, func(ctx context.Context) Check {
		return withNote(appliedCheck(ctx, key, 1, false), note)
	}).WithTimeout(300 * time.Millisecond).WithPolling(50 * time.Millisecond).Should(Hold())
	AddReportEntry(evidenceEntry, "applied=1 ("+note+")")
}

// withNote adds what was sent to a check's actual behaviour.
func withNote(c Check, note string) Check {
	if note != "" {
		c.Actual += " (" + note + ")"
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }
