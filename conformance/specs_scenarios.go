package conformance

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified

	"github.com/esimhooks/esimhooks/conformance/scenario"
	"github.com/esimhooks/esimhooks/providers"
)

// scenariosFor returns the shipped scenarios for v plus those in dir.
func scenariosFor(cat *providers.Catalogue, v *providers.Variant, dir string) ([]*scenario.Scenario, error) {
	lib, err := scenario.LibraryWith(cat, dir)
	if err != nil {
		return nil, usagef("%v", err)
	}
	var out []*scenario.Scenario
	for _, s := range lib {
		if s.Variant == v {
			out = append(out, s)
		}
	}
	return out, nil
}

// describeScenarios declares SCN-001 and SCN-002: one entry per scenario
// of the library for the run's variant, built at tree construction. A
// step's expectations carry the level of the requirement the step
// exercises (Step.Exercises): SCN-001 (MUST) grades the MUST-level ones
// and whether the scenario ran at all, SCN-002 (SHOULD) the SHOULD-level
// ones, from the same play of the scenario.
func (st *runState) describeScenarios() {
	played := map[string]*scenario.Result{}
	Describe("scenarios", func() {
		if len(st.scenarios) == 0 {
			for _, id := range []string{"SCN-001", "SCN-002"} {
				It("plays the scenario library", For(id), func() {
					Skip("the library has no scenario for " + st.v.ID() + " (add one with --scenarios)")
				})
			}
			return
		}
		var mustEntries, should []TableEntry
		for _, sc := range st.scenarios {
			mustEntries = append(mustEntries, Entry(sc.Name, For("SCN-001"), sc))
			if st.hasLevel(sc, LevelShould) {
				should = append(should, Entry(sc.Name, For("SCN-002"), sc))
			}
		}
		play := func(ctx SpecContext, sc *scenario.Scenario) *scenario.Result {
			GinkgoHelper()
			if res := played[sc.Name]; res != nil {
				return res
			}
			// The player's own wire.Sender, as the suite's client is one.
			res, err := scenario.Play(st.requestCtx(ctx), sc,
				scenario.Target{URL: st.opts.Target, Secret: st.opts.Secret, Probe: st.opts.Probe, Headers: st.opts.Headers, TLS: st.tls},
				scenario.Options{Settle: st.opts.ProbeWait})
			if res == nil {
				must(err)
			}
			played[sc.Name] = res
			return res
		}
		DescribeTable("plays the scenario library",
			func(ctx SpecContext, sc *scenario.Scenario) {
				st.verifyAccepted(ctx, st.scenarioCheck(sc, play(ctx, sc), LevelMust))
			},
			mustEntries,
		)
		if len(should) == 0 {
			It("meets the SHOULD-level expectations of the scenario library", For("SCN-002"), func() {
				Skip("no scenario of the library for " + st.v.ID() + " exercises a SHOULD requirement")
			})
			return
		}
		DescribeTable("meets the SHOULD-level expectations of the scenario library",
			func(ctx SpecContext, sc *scenario.Scenario) {
				st.verifyAccepted(ctx, st.scenarioCheck(sc, play(ctx, sc), LevelShould))
			},
			should,
		)
	})
}

// stepLevel is the level of step i's expectations: that of the
// requirement it exercises, for the run's variant; MUST by default, for
// the final expectations, and for an ID the catalogue lacks (which
// TestScenarioExercisesKnownRequirements rules out).
func (st *runState) stepLevel(sc *scenario.Scenario, i int) string {
	if i < 0 || i >= len(sc.Steps) || sc.Steps[i].Exercises == "" {
		return LevelMust
	}
	if r := st.reqs.Get(sc.Steps[i].Exercises); r != nil {
		return r.LevelFor(st.v)
	}
	return LevelMust
}

// hasLevel reports whether some step of sc has expectations at level.
func (st *runState) hasLevel(sc *scenario.Scenario, level string) bool {
	for i := range sc.Steps {
		if st.stepLevel(sc, i) == level {
			return true
		}
	}
	return false
}

// scenarioCheck sums up a scenario's expectations at level: the first
// failed one as "expected …, got …", or the count of those that held. At
// MUST level a run that broke off fails too.
func (st *runState) scenarioCheck(sc *scenario.Scenario, res *scenario.Result, level string) Check {
	var passed, skipped int
	c := Check{Expected: "every " + level + "-level expectation of " + sc.Name + " to hold"}
	for _, step := range res.Steps {
		lvl := LevelMust
		if !step.Final {
			lvl = st.stepLevel(sc, step.Index)
		}
		if lvl != level {
			continue
		}
		for _, x := range step.Expectations {
			switch x.Outcome {
			case scenario.Failed:
				c.Actual = step.Label + ": " + x.What + " failed: " + x.Evidence
				if ex := sc.Steps[min(step.Index, len(sc.Steps)-1)].Exercises; ex != "" && !step.Final {
					c.Actual += " (exercises " + ex + ")"
				}
				return c
			case scenario.Skipped:
				skipped++
			default:
				passed++
			}
		}
	}
	if level == LevelMust && res.Err != "" {
		c.Actual = "the run broke off: " + res.Err
		return c
	}
	c.OK = true
	c.Actual = fmt.Sprintf("%s: %d %s-level expectations held", sc.Name, passed, level)
	if skipped > 0 {
		c.Actual += fmt.Sprintf(", %d skipped", skipped)
	}
	return c
}
