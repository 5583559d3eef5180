package conformance

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	. "github.com/onsi/gomega"    //nolint:revive // as Ginkgo

	"github.com/esimhooks/esimhooks/providers"
)

// declareSpecs declares the whole suite on Ginkgo's global suite. It is
// called once per run, after globals.Reset, before RunSpecs; the container
// bodies run when RunSpecs builds the tree. Every container, setup and spec
// closes over st, the run it belongs to: the specs reach no package-level
// state but Ginkgo's own suite.
//
// Each spec is labelled with exactly one requirement ID (For), so the
// catalogue and the specs can be compared (TestCatalogueMatchesSpecs), and
// declares its stimulus and its verifier side by side.
func (st *runState) declareSpecs() {
	st.controlHung.Store(nil)
	Describe("a webhook receiver", func() {
		BeforeEach(st.gate)
		BeforeEach(func() { st.lateAnswer.Store(false) })
		st.describeAck()
		st.describeEvents()
		st.describeRegistration()
		st.describeSignature()
		st.describeReplay()
		st.describeIdempotency()
		st.describeRetry()
		st.describeOrdering()
		st.describeRobustness()
		st.describeTLS()
		st.describeScenarios()
	})
	ReportAfterEach(st.progress)
	ReportAfterSuite("summary", func(r Report) {
		st.mu.Lock()
		st.report = &r
		st.mu.Unlock()
	})
}

// must fails the spec when the suite itself could not build a request: a
// bug of the suite or the profile, not of the receiver.
func must(err error) {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred(), "the suite could not build its request")
}

// deadline is the provider's acknowledgement deadline.
func (st *runState) deadline() time.Duration { return st.v.Ack.Deadline.D() }

// timedBound bounds a request timed against the deadline: long enough to
// measure a late answer ("200 after 3.4s"), short enough not to wait for
// a hung one.
func (st *runState) timedBound() time.Duration { return 2 * st.deadline() }

// untimedBound bounds every other request: the run's request timeout
// (--request-timeout, 10 s by default), but never less than twice the
// deadline. Timing belongs to ACK-001 and ACK-002: every other requirement
// waits this long for its verdict, so that a receiver that is merely slow
// fails the ACK requirements only; its evidence then notes
// LateNote.
func (st *runState) untimedBound() time.Duration { return max(st.opts.RequestTimeout, 2*st.deadline()) }

// LateNote is added to the evidence of a non-ACK requirement whose answers
// came after the deadline.
const LateNote = "answered after the deadline (see ACK-001)"

// post sends d signed now, bounded by untimedBound.
func (st *runState) post(ctx context.Context, d *providers.Delivery) response {
	GinkgoHelper()
	h, err := st.fx.signed(d)
	must(err)
	return st.postRaw(ctx, h, d.Body)
}

// postRaw sends body with headers h, bounded by untimedBound.
func (st *runState) postRaw(ctx context.Context, h http.Header, body []byte) response {
	return st.noteLatency(st.c.send(ctx, request{Header: h, Body: body, Timeout: st.untimedBound()}))
}

// noteLatency remembers that the current spec saw an answer after the
// deadline, for LateNote, and returns r.
func (st *runState) noteLatency(r response) response {
	if r.Err == nil && r.Latency > st.deadline() {
		st.lateAnswer.Store(true)
	}
	return r
}

// requireAccepting is the precondition of every requirement that leans on
// the receiver accepting valid deliveries (ACK-001): it sends a fresh,
// correctly signed delivery and, unless the answer is 2xx within
// untimedBound, ends the spec as blocked by ACK-001. A rejection (SIG-001…
// SIG-003, SIG-006, RPL-001, ROB-003, ROB-004) counts only after it: a
// receiver answering 404 or 401 to everything rejects nothing in
// particular. It returns the control's answer, for the evidence.
//
// A control that got no answer at all within untimedBound is remembered
// for the rest of the run: later specs are blocked at once rather than
// each waiting the bound again for a receiver that hangs.
func (st *runState) requireAccepting(ctx context.Context) response {
	GinkgoHelper()
	if why := st.controlHung.Load(); why != nil {
		blockedBy("ACK-001", *why+" (earlier in this run, not re-sent)")
	}
	r := st.post(ctx, st.freshPrimary())
	if !r.Is2xx() {
		why := "the receiver accepts no valid delivery: a correctly signed " + st.fx.primary().Name + " got " + r.String()
		if r.Err != nil && (isTimeout(r.Err) || errors.Is(r.Err, context.DeadlineExceeded)) {
			st.controlHung.Store(&why)
		}
		blockedBy("ACK-001", why)
	}
	return r
}

// acceptedOrBlocked is the lazy form of requireAccepting, for requirements
// that expect 2xx: when any of rs is not 2xx, it checks that the receiver
// accepts a valid delivery at all, so that a receiver failing everything is
// blocked by ACK-001 rather than failed on every requirement.
func (st *runState) acceptedOrBlocked(ctx context.Context, rs ...response) {
	GinkgoHelper()
	for _, r := range rs {
		if !r.Is2xx() {
			st.requireAccepting(ctx)
			return
		}
	}
}

// verifyAccepted verifies a check whose stimulus the receiver should have
// accepted (2xx): when it fails, the spec is blocked by ACK-001 if the
// receiver accepts no valid delivery at all.
func (st *runState) verifyAccepted(ctx context.Context, c Check) {
	GinkgoHelper()
	if !c.OK {
		st.requireAccepting(ctx)
	}
	st.verify(c)
}

// freshPrimary is a valid delivery of the primary event from a new life.
func (st *runState) freshPrimary() *providers.Delivery {
	GinkgoHelper()
	d, err := st.fx.fresh(st.fx.primary())
	must(err)
	return d
}

// keepsServing sends a fresh valid delivery after a hostile one and checks
// that the receiver still answers it with 2xx.
func (st *runState) keepsServing(ctx context.Context) Check {
	GinkgoHelper()
	r := st.post(ctx, st.freshPrimary())
	c := is2xx(r)
	c.Expected = "a valid delivery afterwards answered 2xx"
	c.Actual = "then a valid delivery: " + r.String()
	return c
}

// appliedCheck reads the probe's count for key and compares it with want.
func (st *runState) appliedCheck(ctx context.Context, key string, want int, atLeast bool) Check {
	n, err := st.c.probeApplied(ctx, key)
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
func (st *runState) appliedOnce(ctx context.Context, key, note string) {
	GinkgoHelper()
	wait := st.opts.ProbeWait
	Eventually(ctx, func(ctx context.Context) Check {
		return withNote(st.appliedCheck(ctx, key, 1, true), note)
	}).WithTimeout(wait).WithPolling(25 * time.Millisecond).Should(Hold())
	Consistently(ctx, func(ctx context.Context) Check {
		return withNote(st.appliedCheck(ctx, key, 1, false), note)
	}).WithTimeout(300 * time.Millisecond).WithPolling(50 * time.Millisecond).Should(Hold())
	st.evidence("applied=1 (" + note + ")")
}

// evidence records s as the spec's evidence of a check that held, with
// LateNote where it applies.
func (st *runState) evidence(s string) {
	AddReportEntry(evidenceEntry, st.withLate(Check{OK: true, Actual: s}).Actual)
}

// withNote adds what was sent to a check's actual behaviour.
func withNote(c Check, note string) Check {
	if note != "" {
		c.Actual += " (" + note + ")"
	}
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }
