package conformance

import (
	"fmt"
	"net/http"

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

// describeScenarios declares SCN-001: one entry per scenario of the
// library for the run's variant, built at tree construction.
func describeScenarios() {
	Describe("scenarios", func() {
		if len(cur.scenarios) == 0 {
			It("plays the scenario library", For("SCN-001"), func() {
				Skip("the library has no scenario for " + cur.v.ID() + " (add one with --scenarios)")
			})
			return
		}
		var entries []TableEntry
		for _, sc := range cur.scenarios {
			entries = append(entries, Entry(sc.Name, For("SCN-001"), sc))
		}
		DescribeTable("plays the scenario library",
			func(ctx SpecContext, sc *scenario.Scenario) {
				client := &http.Client{Transport: &http.Transport{TLSClientConfig: cur.tls, Proxy: nil}}
				defer client.CloseIdleConnections()
				res, err := scenario.Play(requestCtx(ctx), sc,
					scenario.Target{URL: cur.opts.Target, Secret: cur.opts.Secret, Probe: cur.opts.Probe, Headers: cur.opts.Headers, Client: client},
					scenario.Options{Settle: cur.opts.ProbeWait})
				if res == nil {
					must(err)
				}
				verifyAccepted(ctx, scenarioCheck(sc, res))
			},
			entries,
		)
	})
}

// scenarioCheck sums a scenario's result up: the first failed expectation
// as "expected …, got …", or the count of expectations that held.
func scenarioCheck(sc *scenario.Scenario, res *scenario.Result) Check {
	passed, failed, skipped := res.Count()
	c := Check{OK: failed == 0 && res.Err == "", Expected: "every expectation of " + sc.Name + " to hold"}
	if c.OK {
		c.Actual = fmt.Sprintf("%s: %d expectations held", sc.Name, passed)
		if skipped > 0 {
			c.Actual += fmt.Sprintf(", %d skipped", skipped)
		}
		return c
	}
	for _, st := range res.Steps {
		for _, x := range st.Expectations {
			if x.Outcome == scenario.Failed {
				c.Actual = st.Label + ": " + x.What + " failed: " + x.Evidence
				return c
			}
		}
	}
	c.Actual = "the run broke off: " + res.Err
	return c
}
