package conformance

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/conformance/scenario"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	"github.com/onsi/ginkgo/v2/extensions/globals"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// suiteDescription is the Ginkgo suite's name in its reports.
const suiteDescription = "esimhooks conformance"

// runState is what the specs of one run read: set by Run (or the go test
// entry point) before Ginkgo builds the spec tree, so that container
// bodies can shape the tree from it (one EVT-001 entry per event type).
type runState struct {
	ctx   context.Context
	opts  Options
	v     *providers.Variant
	cat   *providers.Catalogue
	reqs  *Catalogue
	tls   *tls.Config
	c     *client
	fx    *fixture
	seed  uint64
	start time.Time
	// scenarios are the library's scenarios for v, played by SCN-001.
	scenarios []*scenario.Scenario

	// lateAnswer is set when the current spec saw an answer after the
	// deadline (noteLatency); every spec starts with it clear.
	lateAnswer atomic.Bool
	// controlHung holds why a control delivery of this run got no answer
	// within untimedBound.
	controlHung atomic.Pointer[string]

	mu     sync.Mutex
	report *types.Report
}

// runMu serialises runs: Ginkgo's suite is global, so there is one run at
// a time. It is the only package-level state a run touches besides
// Ginkgo's own.
var runMu sync.Mutex

// newRunState validates o and prepares a run; every error wraps ErrUsage.
func newRunState(ctx context.Context, o Options) (*runState, error) {
	o = o.withDefaults()
	cat, v, err := o.resolve()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := tlsConfig(o.CAFile, o.Insecure)
	if err != nil {
		return nil, err
	}
	seed := o.Seed
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	fx, err := newFixture(v, o.Secret, seed)
	if err != nil {
		return nil, usagef("--secret does not suit %s: %v", v.ID(), err)
	}
	scs, err := scenariosFor(cat, v, o.Scenarios)
	if err != nil {
		return nil, err
	}
	return &runState{
		ctx: ctx, opts: o, v: v, cat: cat, reqs: Requirements(), tls: tlsCfg,
		c: newClient(o, tlsCfg), fx: fx, seed: seed, start: time.Now(), scenarios: scs,
	}, nil
}

// Run grades the receiver at o.Target against every requirement of the
// catalogue that applies to o's provider, and returns the summary. It
// prints progress and the final table to o.Output and writes the reports
// o names.
//
// Before grading it checks, sending nothing, that the label filter selects
// something the run can check (checkSelection), then that the target and
// the probe listen and that the setup is right (preflight). The error
// wraps ErrUsage for bad usage or configuration (unknown provider, bad
// flag value, target unreachable, a preflight finding); a failed
// requirement is not an error, the summary says so (see ExitCode).
//
// Run drives Ginkgo's global suite: it resets it, declares the specs and
// calls RunSpecs, so it may be called again after it returns but never
// concurrently (calls are serialised). ctx cancels the run; o.Timeout
// bounds it.
func Run(ctx context.Context, o Options) (*Summary, error) {
	st, err := newRunState(ctx, o)
	if err != nil {
		return nil, err
	}
	defer st.c.close()
	if gt := st.opts.goTest; gt != nil {
		// The ginkgo flags select and dry-run as ours do.
		if st.opts.LabelFilter == "" {
			st.opts.LabelFilter = gt.suite.LabelFilter
		}
		st.opts.DryRun = st.opts.DryRun || gt.suite.DryRun
	}
	if err := st.checkSelection(); err != nil {
		return nil, err
	}
	if !st.opts.DryRun {
		if err := st.c.reachable(ctx, st.opts.Target); err != nil {
			return nil, usagef("--target %s unreachable: %v", wire.RedactURL(st.opts.Target), err)
		}
		if st.opts.Probe != "" {
			if err := st.c.reachable(ctx, st.opts.Probe); err != nil {
				return nil, usagef("--probe %s unreachable: %v", st.opts.Probe, err)
			}
		}
		if err := st.preflight(ctx); err != nil {
			return nil, err
		}
	}
	runMu.Lock()
	defer runMu.Unlock()
	resetGinkgo()
	var t GinkgoTestingT = &testingT{}
	suiteCfg, reporterCfg := types.NewDefaultSuiteConfig(), types.ReporterConfig{}
	if gt := st.opts.goTest; gt != nil {
		t, suiteCfg, reporterCfg = gt.t, gt.suite, gt.reporter
	}
	suiteCfg, reporterCfg = st.ginkgoConfig(suiteCfg, reporterCfg)
	st.runSpecs(t, suiteCfg, reporterCfg)
	sum := st.summarize()
	if err := sum.finish(st.opts); err != nil {
		return sum, err
	}
	return sum, nil
}

// ginkgoConfig returns Ginkgo's configuration for the run, starting from
// base (the defaults, or the go test flags).
func (st *runState) ginkgoConfig(base types.SuiteConfig, rep types.ReporterConfig) (types.SuiteConfig, types.ReporterConfig) {
	if st.opts.LabelFilter != "" {
		base.LabelFilter = st.opts.LabelFilter
	}
	st.opts.LabelFilter = base.LabelFilter
	base.DryRun = base.DryRun || st.opts.DryRun
	st.opts.DryRun = base.DryRun
	base.Timeout = st.opts.Timeout
	base.GracePeriod = 5 * time.Second
	base.RandomizeAllSpecs = false
	base.FailFast = false
	base.FlakeAttempts = 0
	base.MustPassRepeatedly = 0
	if rep.JSONReport == "" {
		rep.JSONReport = st.opts.JSONReport
	}
	return base, rep
}

// runSpecs declares the specs and runs them with Ginkgo, its console
// report going to o.GinkgoOutput. The caller holds runMu.
func (st *runState) runSpecs(t GinkgoTestingT, suiteCfg types.SuiteConfig, reporterCfg types.ReporterConfig) bool {
	prevOut := formatter.ColorableStdOut
	formatter.ColorableStdOut = st.opts.GinkgoOutput
	defer func() { formatter.ColorableStdOut = prevOut }()
	st.printHeader()
	gomega.RegisterFailHandler(Fail)
	st.declareSpecs()
	return RunSpecs(t, suiteDescription, suiteCfg, reporterCfg)
}

// resetGinkgo empties Ginkgo's global suite so that it can be declared and
// run again. The caller holds runMu.
func resetGinkgo() { globals.Reset() }

// testingT is the GinkgoTestingT of a run outside go test: Ginkgo only
// tells it that the suite failed, which the summary says anyway.
type testingT struct{ failed bool }

// Fail records that the suite failed.
func (t *testingT) Fail() { t.failed = true }

// requestCtx returns a context for the requests of a spec: cancelled when
// the spec's context is (timeout, interrupt) or the run's is.
func (st *runState) requestCtx(spec context.Context) context.Context {
	ctx, cancel := context.WithCancel(spec)
	stop := context.AfterFunc(st.ctx, cancel)
	DeferCleanup(func() {
		stop()
		cancel()
	})
	return ctx
}

// skipReason says why requirement r does not run against this target, or
// "" when it does.
func (st *runState) skipReason(r *Requirement) string {
	if ok, why := r.Applies(st.v); !ok {
		return why
	}
	if r.Requires(NeedProduction) && !st.opts.Production {
		return "needs --production"
	}
	if r.Requires(NeedProbe) && st.opts.Probe == "" {
		return "needs --probe"
	}
	return ""
}

// notRunPrefix starts the evidence of a spec the run did not reach.
const notRunPrefix = "not run: "

// gate skips the current spec when its requirement does not apply, and
// fails it when the run was cancelled.
func (st *runState) gate() {
	id := requirementOf(CurrentSpecReport().Labels())
	r := st.reqs.Get(id)
	if r == nil {
		Fail(fmt.Sprintf("spec without a requirement label: %q", CurrentSpecReport().FullText()))
	}
	if why := st.skipReason(r); why != "" {
		Skip(why)
	}
	if err := st.ctx.Err(); err != nil {
		Fail(notRunPrefix + "the run was interrupted (" + err.Error() + ")")
	}
}
