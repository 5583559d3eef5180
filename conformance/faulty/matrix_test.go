package faulty_test

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
	"github.com/esimhooks/esimhooks/conformance/conformancetest"
	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
)

// matrixParallel is how many child runs go at once: the runs mostly wait
// on loopback, so a 2-core machine keeps up with a few. The semaphore,
// not t.Parallel, bounds them: go test runs only GOMAXPROCS parallel
// tests at once (-parallel), which would hold a 2-core machine to two
// runs whatever matrixParallel says.
const matrixParallel = 4

// timingDeadline is the ack deadline of the timing faults' runs (the
// variant's own in every other run): slow-ack makes every POST wait
// longer than the deadline, so with the providers' 3 to 10 s a whole run
// would take minutes.
const timingDeadline = 400 * time.Millisecond

// TestMain lets the test binary be a child run of the suite
// (conformancetest).
func TestMain(m *testing.M) {
	if conformancetest.IsChild() {
		os.Exit(conformancetest.ChildMain())
	}
	os.Exit(m.Run())
}

// TestFaultyReceivers runs the suite against each faulty receiver of
// package faulty, for every variant it applies to (-short: the first
// one), each run in a child process (conformancetest), a few at a time.
// It lives here, in its own test binary, rather than in package
// conformance's: its 211 runs take about 200 s, which go test's per-package
// limit should not have to share with the suite's own tests.
// Each run must fail exactly the fault's Breaks and pass the rest; the
// receivers of faulty.Conforming must pass; the receivers of faulty.Setup
// must not be graded at all: Run returns a usage error, the child exits 2
// with the preflight's line. A requirement may be blocked (by ACK-001)
// only where ACK-001 fails.
//
// slow-ack and serial-burst run the whole suite too, against a copy of
// the variant whose deadline is timingDeadline.
func TestFaultyReceivers(t *testing.T) {
	sem := make(chan struct{}, matrixParallel)
	for _, f := range slices.Concat(faulty.All(), faulty.Conforming(), faulty.Setup()) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			n := 0
			var runs sync.WaitGroup
			for _, v := range byDeadline(variants()) {
				if !f.Applies(v) || (testing.Short() && n > 0) {
					continue
				}
				n++
				runs.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					t.Run(v.ID(), func(t *testing.T) { checkFault(t, f, v) })
				})
			}
			runs.Wait()
			if n == 0 {
				t.Fatalf("%s applies to no variant", f.Name)
			}
		})
	}
}

// timingFault reports a fault that slows POSTs down.
func timingFault(f faulty.Fault) bool { return f.Name == "slow-ack" || f.Name == "serial-burst" }

// checkFault runs the suite against f's receiver for v and compares the
// failed requirements with f.Breaks.
func checkFault(t *testing.T, f faulty.Fault, v *providers.Variant) {
	co := conformancetest.Options{Provider: v.Provider.Name, Variant: v.Name, Strict: true, Timeout: 2 * time.Minute}
	if timingFault(f) {
		c := *v
		c.Ack.Deadline = providers.Duration(timingDeadline)
		v, co.AckDeadline = &c, timingDeadline
	}
	secret := receivertest.Secret(t, v)
	rcv, err := f.New(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	defer rcv.Close()
	co.Target, co.Secret, co.Probe = srv.URL+"/hook", secret, srv.URL+receiver.ProbePrefix
	// SCN-001 plays whole sequences, which many faults break on the way;
	// TestScenarioRequirement proves it on its own.
	co.LabelFilter = "!" + conformance.CategoryScenario
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res := conformancetest.Run(ctx, t, co)
	if f.Stops != nil {
		checkStop(t, f, v, res)
		return
	}
	if res.Summary == nil {
		t.Fatalf("no summary (exit %d):\n%s", res.Code, res.Stderr)
	}
	var failed, blocked []string
	for _, r := range res.Summary.Requirements {
		switch {
		case r.Outcome == conformance.OutcomeFailed:
			failed = append(failed, r.ID)
		case r.Outcome == conformance.OutcomeBlocked:
			blocked = append(blocked, r.ID)
		case r.Evidence == "needs --probe":
			t.Errorf("%s skipped although the probe was given", r.ID)
		}
	}
	want := slices.Clone(f.Breaks)
	sort.Strings(want)
	sort.Strings(failed)
	wantCode := 1
	if len(want) == 0 {
		wantCode = 0
	}
	if !slices.Equal(failed, want) {
		t.Errorf("failed %v, want exactly %v (exit %d, %s):\n%s", failed, want, res.Code, res.Elapsed.Round(time.Millisecond), res.Stderr)
	} else if res.Code != wantCode {
		t.Errorf("exit code %d, want %d", res.Code, wantCode)
	}
	if len(blocked) > 0 && !slices.Contains(failed, "ACK-001") {
		t.Errorf("blocked %v although ACK-001 did not fail", blocked)
	}
	if f.Name == "slow-ack" {
		// Timing is ACK-001's: what passed despite the slowness says so.
		for _, r := range res.Summary.Requirements {
			if r.ID == "EVT-001" && (r.Outcome != conformance.OutcomePassed || !strings.Contains(r.Evidence, conformance.LateNote)) {
				t.Errorf("EVT-001 %s (%s), want passed with %q", r.Outcome, r.Evidence, conformance.LateNote)
			}
		}
	}
	for _, r := range res.Summary.Requirements {
		if r.Outcome == conformance.OutcomeFailed && !strings.Contains(r.Evidence, "expected") && !strings.Contains(r.Evidence, "got") {
			t.Errorf("%s: evidence %q says neither what was expected nor what came", r.ID, r.Evidence)
		}
	}
	t.Logf("%s × %s: failed %v, blocked %v in %s", f.Name, v.ID(), failed, blocked, res.Elapsed.Round(time.Millisecond))
}

// checkStop checks that the run against a receiver of faulty.Setup ended
// in the preflight: exit 2, the line on stderr as `esimhooks check` prints
// it, holding every fragment of f.Stops, and nothing graded.
func checkStop(t *testing.T, f faulty.Fault, v *providers.Variant, res conformancetest.Result) {
	t.Helper()
	line := ""
	for _, l := range strings.Split(res.Stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, "child: "); ok {
			line = rest
		}
	}
	if res.Code != 2 || line == "" {
		t.Fatalf("exit %d, want 2 with the preflight's line (%s):\n%s", res.Code, res.Elapsed.Round(time.Millisecond), res.Stderr)
	}
	for _, want := range f.Stops(v) {
		if !strings.Contains(line, want) {
			t.Errorf("the line does not say %q:\n%s", want, line)
		}
	}
	if res.Summary != nil && len(res.Summary.Requirements) > 0 {
		t.Errorf("%d requirements graded after the preflight stopped the run", len(res.Summary.Requirements))
	}
	t.Logf("%s × %s: exit 2 in %s: %s", f.Name, v.ID(), res.Elapsed.Round(time.Millisecond), line)
}

// variants returns every shipped variant, or only the defaults with -short.
func variants() []*providers.Variant {
	if testing.Short() {
		return providers.MustBuiltin().Defaults()
	}
	return providers.MustBuiltin().Variants()
}

// byDeadline orders variants by their ack deadline, shortest first (stable).
func byDeadline(vs []*providers.Variant) []*providers.Variant {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b *providers.Variant) int { return int(a.Ack.Deadline - b.Ack.Deadline) })
	return out
}
