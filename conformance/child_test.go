package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/internal/childrun"
	"github.com/esimhooks/esimhooks/providers"
)

// The tests that run the suite many times (the faulty receivers × the
// providers) run each in a child process: the test binary re-executed with
// childEnv holding the options as JSON. The child calls Run, as `esimhooks
// check` does, prints the summary as JSON on its last stdout line, and
// exits with ExitCode. Ginkgo's suite being global, this is also what lets
// the runs go in parallel.
const childEnv = "ESIMHOOKS_CONFORMANCE_CHILD"

// childOptions is the part of Options a child run takes.
type childOptions struct {
	Provider, Variant, Target, Secret, Probe string
	Strict                                   bool
	LabelFilter                              string
	Timeout, RequestTimeout, ProbeWait       time.Duration
	// AckDeadline, if set, replaces the variant's ack deadline in the
	// child's copy of the shipped profiles: the timing faults' runs.
	AckDeadline time.Duration
}

func (c childOptions) options() Options {
	return Options{
		Provider: c.Provider, Variant: c.Variant, Target: c.Target, Secret: c.Secret, Probe: c.Probe,
		Strict: c.Strict, LabelFilter: c.LabelFilter, Timeout: c.Timeout, RequestTimeout: c.RequestTimeout,
		ProbeWait: c.ProbeWait,
	}
}

// childMain runs one suite in a child process.
func childMain() int {
	var co childOptions
	if _, err := childrun.Options(childEnv, &co); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	o := co.options()
	o.Output = os.Stderr
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
	sum, err := Run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
	}
	if sum != nil {
		childrun.Print(sum)
	}
	return ExitCode(sum, err)
}

// childResult is what a child run came to.
type childResult struct {
	Summary *Summary
	Code    int
	Stderr  string
	Elapsed time.Duration
}

// runChild runs the suite with co in a child process and waits for it,
// at most until ctx ends.
func runChild(ctx context.Context, t testing.TB, co childOptions) childResult {
	t.Helper()
	r := childrun.Run(ctx, t, childEnv, co)
	res := childResult{Code: r.Code, Stderr: r.Stderr, Elapsed: r.Elapsed}
	var sum Summary
	if r.Last != nil && json.Unmarshal(r.Last, &sum) == nil {
		res.Summary = &sum
	}
	return res
}
