package conformance

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/esimhooks/esimhooks/providers"
)

func TestCatalogueLoads(t *testing.T) {
	c := Requirements()
	if len(c.Requirements) < 22 {
		t.Fatalf("%d requirements, want at least the issue's 22", len(c.Requirements))
	}
	bad := map[string]string{
		"duplicate": "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f}\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f}\n",
		"level":     "requirements:\n- {id: ACK-001, level: MAY, category: ack, sentence: s, source: s, fix: f}\n",
		"prefix":    "requirements:\n- {id: SIG-001, level: MUST, category: ack, sentence: s, source: s, fix: f}\n",
		"field":     "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f, typo: 1}\n",
		"fact":      "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f, applies_when: [airalo]}\n",
		"basis":     "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f, basis: guessed}\n",
		"fix":       "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: ' '}\n",
		"need":      "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f, needs: [coffee]}\n",
	}
	for name, y := range bad {
		if _, err := LoadCatalogue([]byte(y)); err == nil {
			t.Errorf("%s: loaded, want an error", name)
		}
	}
}

// appliesGolden is, per shipped variant, which of the fact-gated
// requirements apply, as providers.md describes the provider (written out by
// hand, not computed): TestCatalogueMatchesProfiles fails when a fact or
// a profile drifts from it.
var appliesGolden = map[string][]string{
	"airalo@default":           {"ACK-003", "REG-001", "SIG-001", "SIG-002", "SIG-003", "SIG-005", "SIG-006", "SIG-007"},
	"esimfly@2025-01":          {"SIG-001", "SIG-002", "SIG-003", "SIG-005", "SIG-006", "ORD-002"},
	"esimfly@2026-04":          {"SIG-001", "SIG-002", "SIG-003", "SIG-004", "SIG-005", "SIG-006", "ORD-002"},
	"esimaccess@open-api":      {"ORD-002"},
	"esimaccess@api-reference": {"REG-001", "ORD-002"},
	"roamify@overview":         {"SIG-001", "SIG-002", "SIG-003", "SIG-004", "SIG-005", "SIG-006", "ORD-002"},
	"roamify@per-type":         {"SIG-001", "SIG-002", "SIG-003", "SIG-004", "SIG-005", "SIG-006", "ORD-002"},
	"simplifytrip@default":     {"SIG-001", "SIG-002", "SIG-003", "SIG-005", "SIG-006", "ORD-002", "RPL-001"},
	"standard@v1":              {"SIG-001", "SIG-002", "SIG-003", "SIG-004", "SIG-005", "SIG-006", "ORD-002", "RPL-001"},
}

// TestCatalogueMatchesProfiles keeps applies_when and the levels honest:
// for every variant, each fact-gated requirement applies exactly when the
// profile's own fields say so (restated here from the fields, not from
// facts.go), and for the shipped variants as appliesGolden says. A variant
// added later is held to the first rule.
func TestCatalogueMatchesProfiles(t *testing.T) {
	c := Requirements()
	cat := providers.MustBuiltin()
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			s := v.Signature
			signed := s.Scheme != "none"
			raw := s.Scheme == "standard-webhooks" || (s.Scheme == "hmac-hex" && (s.Message == "" || s.Message == "raw"))
			timed := false
			for _, e := range v.Public() {
				timed = timed || (e.Time != "" && len(e.Resources) > 0)
			}
			want := map[string]bool{
				"SIG-001": signed, "SIG-002": signed, "SIG-003": signed, "SIG-005": signed, "SIG-006": signed,
				"SIG-004": raw,
				"SIG-007": s.Message == "php-json",
				"RPL-001": v.Replay != nil && v.Replay.Signed,
				"REG-001": v.Registration.Check != "none" && v.Registration.Check != "",
				"ACK-003": v.Ack.Success == "200",
				"ORD-002": timed,
			}
			golden, known := appliesGolden[v.ID()]
			for id, w := range want {
				got, why := c.Get(id).Applies(v)
				if got != w {
					t.Errorf("%s applies to %s: %v (%s), but the profile says %v", id, v.ID(), got, why, w)
				}
				if known && got != slices.Contains(golden, id) {
					t.Errorf("%s applies to %s: %v, but providers.md says %v", id, v.ID(), got, !got)
				}
				if !got && (why == "" || strings.Contains(why, "not required")) {
					t.Errorf("%s skipped for %s without a reason from the profile: %q", id, v.ID(), why)
				}
			}
			assumed := assumes(v, "ack.deadline")
			if lvl := c.Get("ACK-001").LevelFor(v); (lvl == LevelShould) != assumed {
				t.Errorf("ACK-001 is %s for %s, but ack.deadline assumed=%v", lvl, v.ID(), assumed)
			}
		}
	}
	for id := range appliesGolden {
		p, n, _ := strings.Cut(id, "@")
		if _, err := cat.Variant(p, n); err != nil {
			t.Errorf("appliesGolden names %s, which is not shipped: %v", id, err)
		}
	}
	for _, r := range c.Requirements {
		for _, f := range r.AppliesWhen {
			if facts[f].holds == nil {
				t.Errorf("%s: fact %s has no predicate", r.ID, f)
			}
		}
	}
}

// TestCatalogueMatchesSpecs fails when the catalogue and the specs drift
// apart: for every variant, a dry run builds the spec tree; every spec
// carries exactly one catalogued requirement ID and the labels of
// labels.go, and every requirement that applies has a spec.
func TestCatalogueMatchesSpecs(t *testing.T) {
	c := Requirements()
	for _, v := range variants(t) {
		rep := dryRunReport(t, Options{Provider: v.Provider.Name, Variant: v.Name, Target: "http://127.0.0.1:9/hook", Probe: "http://127.0.0.1:9/probe", Production: true})
		specs := map[string]int{}
		for _, sr := range rep.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt {
				continue
			}
			var ids []string
			for _, l := range sr.Labels() {
				if idPattern.MatchString(l) {
					ids = append(ids, l)
				}
			}
			if len(ids) != 1 {
				t.Errorf("%s: spec %q has requirement labels %v, want exactly one", v.ID(), sr.FullText(), ids)
				continue
			}
			r := c.Get(ids[0])
			if r == nil {
				t.Errorf("%s: spec %q checks %s, which the catalogue does not hold", v.ID(), sr.FullText(), ids[0])
				continue
			}
			if want := labelsOf(r); !slices.Equal(slices.Sorted(slices.Values(sr.Labels())), slices.Sorted(slices.Values([]string(want)))) {
				t.Errorf("%s: spec %q has labels %v, want %v", v.ID(), sr.FullText(), sr.Labels(), want)
			}
			specs[r.ID]++
		}
		for _, r := range c.Requirements {
			if ok, _ := r.Applies(v); ok && specs[r.ID] == 0 {
				t.Errorf("%s: %s applies but no spec checks it", v.ID(), r.ID)
			}
		}
	}
}

// dryRunReport builds the spec tree for o in a dry run and returns
// Ginkgo's report.
func dryRunReport(t *testing.T, o Options) types.Report {
	t.Helper()
	o.DryRun = true
	o.Output = io.Discard
	st, err := newRunState(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	runMu.Lock()
	defer runMu.Unlock()
	resetGinkgo()
	suiteCfg, repCfg := st.ginkgoConfig(types.NewDefaultSuiteConfig(), types.ReporterConfig{})
	st.runSpecs(&testingT{}, suiteCfg, repCfg)
	if st.report == nil {
		t.Fatal("no report")
	}
	return *st.report
}

func TestLabelsRegistry(t *testing.T) {
	for cat, prefix := range categoryPrefix {
		if strings.ToUpper(prefix) != prefix || len(prefix) != 3 {
			t.Errorf("category %s: prefix %q", cat, prefix)
		}
	}
	for _, r := range Requirements().Requirements {
		for _, l := range labelsOf(r) {
			if strings.ContainsAny(l, "&|!,()/ ") {
				t.Errorf("%s: label %q is not usable in a label filter", r.ID, l)
			}
		}
	}
}
