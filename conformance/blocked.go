package conformance

import (
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
)

// OutcomeBlocked is the outcome of a requirement that could not be graded
// because a requirement it depends on failed first (the receiver accepts no
// valid delivery in time, so a rejection or an application proves nothing).
// It is not a pass: a run with a blocked requirement has a failed one too,
// and exits 1. JUnit reports it as skipped with the blocking reason.
const OutcomeBlocked = "blocked"

// blockedPrefix starts the skip message of a blocked spec; the summary turns
// such a skip into OutcomeBlocked.
const blockedPrefix = "blocked by "

// blockedBy ends the current spec as blocked by requirement id, saying why.
func blockedBy(id, why string) {
	GinkgoHelper()
	Skip(blockedPrefix + id + ": " + why)
}

// isBlocked reports whether a skip message says the spec was blocked.
func isBlocked(skipMessage string) bool { return strings.HasPrefix(skipMessage, blockedPrefix) }
