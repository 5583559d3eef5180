package conformance

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/esimhooks/esimhooks/providers"
)

//go:embed requirements.yaml
var requirementsYAML []byte

// Levels a requirement can have.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
)

// Bases a requirement can have.
const (
	BasisDocumented = "documented"
	BasisAssumed    = "assumed"
)

// Needs a requirement can have: what the run must be given.
const (
	NeedProbe      = "probe"
	NeedProduction = "production"
)

// Requirement is one entry of the golden catalogue (requirements.yaml).
type Requirement struct {
	// ID is "CAT-NNN", e.g. "SIG-001".
	ID string `yaml:"id" json:"id"`
	// Level is LevelMust or LevelShould as written in the catalogue; see
	// LevelFor for the level that applies to one variant.
	Level string `yaml:"level" json:"level"`
	// Sentence completes "The receiver …".
	Sentence string `yaml:"sentence" json:"sentence"`
	// Category is one of the category labels (labels.go).
	Category string `yaml:"category" json:"category"`
	// AppliesWhen names the facts (facts.go) a variant must all have for
	// the requirement to apply; empty applies to every variant. It never
	// names a provider.
	AppliesWhen []string `yaml:"applies_when" json:"applies_when,omitempty"`
	// Basis is "documented" (default: the provider's documents say so)
	// or "assumed" (inferred from what the provider is known to do; the
	// evidence says so).
	Basis string `yaml:"basis" json:"basis,omitempty"`
	// AssumedFact names a profile fact (e.g. "ack.deadline"): where the
	// variant marks it as assumed, the level drops to SHOULD.
	AssumedFact string `yaml:"assumed_fact" json:"assumed_fact,omitempty"`
	// Needs lists NeedProbe and NeedProduction.
	Needs []string `yaml:"needs" json:"needs,omitempty"`
	// Source is the seed file or provider page it comes from.
	Source string `yaml:"source" json:"source"`
	// Fix says how to fix a receiver that fails the requirement: one
	// paragraph, shown under a failure in the HTML report.
	Fix string `yaml:"fix" json:"fix"`
}

// Catalogue is the golden list of requirements, in file order.
type Catalogue struct {
	Requirements []*Requirement `yaml:"requirements"`
	byID         map[string]*Requirement
}

var idPattern = regexp.MustCompile(`^([A-Z]{3})-[0-9]{3}$`)

// LoadCatalogue parses and validates a catalogue file's bytes.
func LoadCatalogue(data []byte) (*Catalogue, error) {
	var c Catalogue
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("requirements catalogue: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("requirements catalogue: %w", err)
	}
	return &c, nil
}

// Requirements returns the shipped catalogue (requirements.yaml, embedded).
// It panics if the embedded file is invalid, which TestCatalogueLoads
// rules out.
func Requirements() *Catalogue {
	c, err := shipped()
	if err != nil {
		panic(err)
	}
	return c
}

var shipped = sync.OnceValues(func() (*Catalogue, error) { return LoadCatalogue(requirementsYAML) })

func (c *Catalogue) validate() error {
	if len(c.Requirements) == 0 {
		return errors.New("no requirements")
	}
	c.byID = map[string]*Requirement{}
	var errs []error
	for i, r := range c.Requirements {
		m := idPattern.FindStringSubmatch(r.ID)
		switch {
		case m == nil:
			errs = append(errs, fmt.Errorf("requirement %d: id %q is not CAT-NNN", i+1, r.ID))
			continue
		case c.byID[r.ID] != nil:
			errs = append(errs, fmt.Errorf("%s: duplicate id", r.ID))
		}
		c.byID[r.ID] = r
		if r.Level != LevelMust && r.Level != LevelShould {
			errs = append(errs, fmt.Errorf("%s: level %q is neither MUST nor SHOULD", r.ID, r.Level))
		}
		if strings.TrimSpace(r.Sentence) == "" || strings.TrimSpace(r.Source) == "" {
			errs = append(errs, fmt.Errorf("%s: sentence and source are required", r.ID))
		}
		if strings.TrimSpace(r.Fix) == "" {
			errs = append(errs, fmt.Errorf("%s: fix is required (how to fix a receiver that fails it, one paragraph)", r.ID))
		}
		if prefix, ok := categoryPrefix[r.Category]; !ok {
			errs = append(errs, fmt.Errorf("%s: unknown category %q", r.ID, r.Category))
		} else if prefix != m[1] {
			errs = append(errs, fmt.Errorf("%s: category %s wants ids %s-NNN", r.ID, r.Category, prefix))
		}
		for _, f := range r.AppliesWhen {
			if _, ok := facts[f]; !ok {
				errs = append(errs, fmt.Errorf("%s: applies_when names unknown fact %q (known: %s)", r.ID, f, strings.Join(factNames(), ", ")))
			}
		}
		if r.Basis != "" && r.Basis != BasisDocumented && r.Basis != BasisAssumed {
			errs = append(errs, fmt.Errorf("%s: basis %q is neither %s nor %s", r.ID, r.Basis, BasisDocumented, BasisAssumed))
		}
		for _, n := range r.Needs {
			if n != NeedProbe && n != NeedProduction {
				errs = append(errs, fmt.Errorf("%s: unknown need %q", r.ID, n))
			}
		}
	}
	return errors.Join(errs...)
}

// Get returns the requirement with the given ID, or nil.
func (c *Catalogue) Get(id string) *Requirement { return c.byID[id] }

// IDs returns every requirement ID in file order.
func (c *Catalogue) IDs() []string {
	out := make([]string, len(c.Requirements))
	for i, r := range c.Requirements {
		out[i] = r.ID
	}
	return out
}

// Applies reports whether the requirement applies to variant v at all
// (before what the run was given: probe, production) and, when it does not,
// why: every fact of AppliesWhen must hold for v.
func (r *Requirement) Applies(v *providers.Variant) (bool, string) {
	for _, name := range r.AppliesWhen {
		if f := facts[name]; !f.holds(v) {
			return false, v.ID() + ": " + f.not
		}
	}
	return true, ""
}

// AppliesWhere says in words where the requirement applies: "every
// variant", or the facts it needs joined with "and".
func (r *Requirement) AppliesWhere() string {
	if len(r.AppliesWhen) == 0 {
		return "every variant"
	}
	var out []string
	for _, name := range r.AppliesWhen {
		out = append(out, facts[name].is)
	}
	return strings.Join(out, " and ")
}

// LevelFor returns the requirement's level for variant v: SHOULD where the
// variant marks the requirement's AssumedFact as assumed.
func (r *Requirement) LevelFor(v *providers.Variant) string {
	if r.AssumedFact != "" && assumes(v, r.AssumedFact) {
		return LevelShould
	}
	return r.Level
}

// Requires reports whether the requirement needs what is named (NeedProbe,
// NeedProduction).
func (r *Requirement) Requires(need string) bool { return slices.Contains(r.Needs, need) }

func assumes(v *providers.Variant, fact string) bool {
	for _, a := range v.Assumptions() {
		if a.Fact == fact {
			return true
		}
	}
	return false
}
