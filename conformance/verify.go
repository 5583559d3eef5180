package conformance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	"github.com/onsi/gomega/types"

	. "github.com/onsi/gomega" //nolint:revive // as Ginkgo
)

// evidenceEntry names the report entries that carry a spec's evidence.
const evidenceEntry = "evidence"

// Check is one verifier's verdict: what the requirement expects and what the
// target did, in words short enough for one line of the final table.
type Check struct {
	OK       bool
	Expected string
	Actual   string
}

// String is the evidence: the actual behaviour when the check holds,
// "expected …, got …" when it does not.
func (c Check) String() string {
	if c.OK {
		return c.Actual
	}
	return "expected " + c.Expected + ", got " + c.Actual
}

// Hold is the Gomega matcher of a Check: it succeeds when the check holds
// and fails with the check's "expected …, got …" as the whole message.
func Hold() types.GomegaMatcher { return holdMatcher{} }

type holdMatcher struct{}

func (holdMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(Check)
	if !ok {
		return false, fmt.Errorf("Hold expects a conformance.Check, got %T", actual)
	}
	return c.OK, nil
}

func (holdMatcher) FailureMessage(actual any) string { return actual.(Check).String() }

func (holdMatcher) NegatedFailureMessage(actual any) string {
	return "expected the check to fail, but it held: " + actual.(Check).Actual
}

// verify fails the spec with the check's evidence, or records it as the
// spec's evidence when it holds. Outside the ack category, an answer after
// the deadline adds LateNote: timing is ACK-001's and ACK-002's verdict.
func (st *runState) verify(c Check) {
	GinkgoHelper()
	c = st.withLate(c)
	Expect(c).To(Hold())
	AddReportEntry(evidenceEntry, c.String())
}

// withLate adds LateNote to c where the current spec, outside the ack
// category, saw an answer after the deadline.
func (st *runState) withLate(c Check) Check {
	if st.lateAnswer.Load() && !slices.Contains(CurrentSpecReport().Labels(), CategoryAck) {
		c.Actual += "; " + LateNote
	}
	return c
}

// is2xx checks for any 2xx answer.
func is2xx(r response) Check {
	return Check{OK: r.Is2xx(), Expected: "2xx", Actual: r.String()}
}

// isStatus checks for exactly the given status.
func isStatus(r response, status int) Check {
	return Check{OK: r.Err == nil && r.Status == status, Expected: fmt.Sprintf("exactly %d", status), Actual: r.String()}
}

// is4xx checks for a 4xx answer (a rejection that tells the provider not
// to retry).
func is4xx(r response) Check {
	return Check{OK: r.Is4xx(), Expected: "4xx", Actual: r.String()}
}

// within checks for a 2xx answer within the provider's deadline.
func within(r response, deadline time.Duration) Check {
	c := Check{Expected: fmt.Sprintf("2xx within %s", deadline)}
	switch {
	case r.Err != nil:
		c.Actual = r.String()
	case !r.Is2xx():
		c.Actual = r.String()
	case r.Latency > deadline:
		c.Actual = fmt.Sprintf("%d after %s", r.Status, ms(r.Latency))
	default:
		c.OK = true
		c.Actual = r.String()
	}
	return c
}

// all combines checks: it holds when every one does, with every actual
// behaviour as evidence; otherwise it is the first check that failed.
func all(cs ...Check) Check {
	var act []string
	for _, c := range cs {
		if !c.OK {
			return c
		}
		act = append(act, c.Actual)
	}
	return Check{OK: true, Actual: strings.Join(act, "; ")}
}
