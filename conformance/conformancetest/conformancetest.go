// Package conformancetest runs the conformance suite in child processes,
// for the tests that run it many times: against the faulty receivers (every
// fault × every variant it applies to) and against the receiver kits.
// Ginkgo's suite is global to a process, so each run is the test binary
// re-executed (internal/childrun) with its options in an environment
// variable; the child calls conformance.Run as `esimhooks check` does,
// prints the summary as JSON on its last line of standard output, and exits
// with conformance.ExitCode. That is also what lets runs go in parallel.
//
// A test binary that uses Run must call ChildMain first thing in TestMain:
//
//	func TestMain(m *testing.M) {
//		if conformancetest.IsChild() {
//			os.Exit(conformancetest.ChildMain())
//		}
//		os.Exit(m.Run())
//	}
package conformancetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
	"github.com/esimhooks/esimhooks/internal/childrun"
	"github.com/esimhooks/esimhooks/providers"
)

// env carries a child run's Options as JSON.
const env = "ESIMHOOKS_CONFORMANCETEST_CHILD"

// Options is the part of conformance.Options a child run takes.
type Options struct {
	Provider, Variant, Target, Secret, Probe string
	Strict                                   bool
	LabelFilter                              string
	// Timeout bounds the whole run (conformance.Options.Timeout).
	Timeout, RequestTimeout, ProbeWait time.Duration
	// AckDeadline, if set, replaces the variant's ack deadline in the
	// child's copy of the shipped profiles (the timing faults' runs, which
	// would take minutes at the providers' own deadlines).
	AckDeadline time.Duration
}

// Result is what a child run came to.
type Result struct {
	// Summary is the run's summary; nil when the run ended before it
	// graded anything (a usage error, a preflight stop).
	Summary *conformance.Summary
	// Code is the child's exit code: conformance.ExitCode's, or 3 when
	// the child could not read its options.
	Code int
	// Stderr is all the child wrote there: the suite's progress and, on a
	// line starting "child: ", the error Run returned.
	Stderr  string
	Elapsed time.Duration
}

// IsChild reports whether this process is a child run started by Run.
func IsChild() bool { return os.Getenv(env) != "" }

// ChildMain does the child's run and returns its exit code; call it only
// when IsChild.
func ChildMain() int {
	var co Options
	if _, err := childrun.Options(env, &co); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	o := conformance.Options{
		Provider: co.Provider, Variant: co.Variant, Target: co.Target, Secret: co.Secret, Probe: co.Probe,
		Strict: co.Strict, LabelFilter: co.LabelFilter, Timeout: co.Timeout, RequestTimeout: co.RequestTimeout,
		ProbeWait: co.ProbeWait, Output: os.Stderr,
	}
	if co.AckDeadline > 0 {
		cat := providers.MustBuiltin()
		v, err := cat.Variant(co.Provider, co.Variant)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 3
		}
		v.Ack.Deadline = providers.Duration(co.AckDeadline)
		o.Catalogue = cat
	}
	sum, err := conformance.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
	}
	if sum != nil {
		childrun.Print(sum)
	}
	return conformance.ExitCode(sum, err)
}

// Run runs the suite with o in a child process of the test binary and
// waits for it, at most until ctx ends.
func Run(ctx context.Context, t testing.TB, o Options) Result {
	t.Helper()
	r := childrun.Run(ctx, t, env, o)
	res := Result{Code: r.Code, Stderr: r.Stderr, Elapsed: r.Elapsed}
	var sum conformance.Summary
	if r.Last != nil && json.Unmarshal(r.Last, &sum) == nil {
		res.Summary = &sum
	}
	return res
}
