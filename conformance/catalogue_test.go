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
		"duplicate": "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, applies_to: ['*']}\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, applies_to: ['*']}\n",
		"level":     "requirements:\n- {id: ACK-001, level: MAY, category: ack, sentence: s, source: s, applies_to: ['*']}\n",
		"prefix":    "requirements:\n- {id: SIG-001, level: MUST, category: ack, sentence: s, source: s, applies_to: ['*']}\n",
		"field":     "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, applies_to: ['*'], typo: 1}\n",
		"need":      "requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, applies_to: ['*'], needs: [coffee]}\n",
	}
	for name, y := range bad {
		if _, err := LoadCatalogue([]byte(y)); err == nil {
			t.Errorf("%s: loaded, want an error", name)
		}
	}
}

// TestCatalogueMatchesProfiles keeps applies_to and the levels honest: each
// is what the provider profiles say.
func TestCatalogueMatchesProfiles(t *testing.T) {
	c := Requirements()
	cat := providers.MustBuiltin()
	known := map[string]bool{"*": true}
	for _, p := range cat.Profiles() {
		known[p.Name] = true
		for _, v := range p.Variants {
			known[v.ID()] = true
		}
	}
	for _, r := range c.Requirements {
		for _, sel := range r.AppliesTo {
			if !known[sel] {
				t.Errorf("%s: applies_to %q names no shipped provider or variant", r.ID, sel)
			}
		}
	}
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
				"SIG-001": signed, "SIG-002": signed, "SIG-003": signed, "SIG-005": signed,
				"SIG-004": raw,
				"RPL-001": v.Replay != nil && v.Replay.Signed,
				"REG-001": v.Registration.Check != "none" && v.Registration.Check != "",
				"ACK-003": v.Ack.Success == "200",
				"ORD-002": timed,
			}
			for id, w := range want {
				if got, why := c.Get(id).Applies(v); got != w {
					t.Errorf("%s applies to %s: %v (%s), but the profile says %v", id, v.ID(), got, why, w)
				}
			}
			assumed := assumes(v, "ack.deadline")
			if lvl := c.Get("ACK-001").LevelFor(v); (lvl == LevelShould) != assumed {
				t.Errorf("ACK-001 is %s for %s, but ack.deadline assumed=%v", lvl, v.ID(), assumed)
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
