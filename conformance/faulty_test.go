package conformance

import (
	"context"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// matrixParallel is how many child runs go at once: the runs mostly wait
// on loopback, so a 2-core machine keeps up with a few.
const matrixParallel = 4

// TestFaultyReceivers runs the suite against each faulty receiver of
// package faulty, for every variant it applies to (-short: the first
// one), each run in a child process (see child_test.go), a few at a time.
// Each run must fail exactly the fault's Breaks and pass the rest.
//
// slow-ack and serial-burst make every POST wait, so a full run would take
// minutes without showing more than the ACK requirements do: their runs
// are limited to --label-filter=ack, against the variant with the
// shortest deadline only.
func TestFaultyReceivers(t *testing.T) {
	sem := make(chan struct{}, matrixParallel)
	for _, f := range faulty.All() {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			n := 0
			for _, v := range byDeadline(variants(t)) {
				if !f.Applies(v) || ((testing.Short() || timingFault(f)) && n > 0) {
					continue
				}
				n++
				t.Run(v.ID(), func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					checkFault(t, f, v)
				})
			}
			if n == 0 {
				t.Fatalf("%s applies to no variant", f.Name)
			}
		})
	}
}

// timingFault reports a fault that slows every POST down.
func timingFault(f faulty.Fault) bool { return f.Name == "slow-ack" || f.Name == "serial-burst" }

// checkFault runs the suite against f's receiver for v and compares the
// failed requirements with f.Breaks.
func checkFault(t *testing.T, f faulty.Fault, v *providers.Variant) {
	secret := secretFor(t, v)
	rcv, err := f.New(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	defer rcv.Close()
	co := childOptions{
		Provider: v.Provider.Name, Variant: v.Name, Target: srv.URL + "/hook", Secret: secret,
		Probe: srv.URL + receiver.ProbePrefix, Strict: true, Timeout: 2 * time.Minute,
	}
	// SCN-001 plays whole sequences, which many faults break on the way;
	// TestScenarioRequirement proves it on its own.
	co.LabelFilter = "!" + CategoryScenario
	if timingFault(f) {
		co.LabelFilter = CategoryAck
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res := runChild(ctx, t, co)
	if res.Summary == nil {
		t.Fatalf("no summary (exit %d):\n%s", res.Code, res.Stderr)
	}
	var failed []string
	for _, r := range res.Summary.Requirements {
		switch {
		case r.Outcome == OutcomeFailed:
			failed = append(failed, r.ID)
		case r.Evidence == "needs --probe":
			t.Errorf("%s skipped although the probe was given", r.ID)
		}
	}
	want := slices.Clone(f.Breaks)
	sort.Strings(want)
	sort.Strings(failed)
	if !slices.Equal(failed, want) {
		t.Errorf("failed %v, want exactly %v (exit %d, %s):\n%s", failed, want, res.Code, res.Elapsed.Round(time.Millisecond), res.Stderr)
	} else if res.Code != 1 {
		t.Errorf("exit code %d, want 1", res.Code)
	}
	for _, r := range res.Summary.Requirements {
		if r.Outcome == OutcomeFailed && !strings.Contains(r.Evidence, "expected") && !strings.Contains(r.Evidence, "got") {
			t.Errorf("%s: evidence %q says neither what was expected nor what came", r.ID, r.Evidence)
		}
	}
	t.Logf("%s × %s: failed %v in %s", f.Name, v.ID(), failed, res.Elapsed.Round(time.Millisecond))
}

// byDeadline orders variants by their ack deadline, shortest first (stable).
func byDeadline(vs []*providers.Variant) []*providers.Variant {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b *providers.Variant) int { return int(a.Ack.Deadline - b.Ack.Deadline) })
	return out
}
