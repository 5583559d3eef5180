package conformance

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
)

// Category labels: every requirement belongs to one, and its ID starts with
// the category's prefix. This file is the one registry of the suite's
// labels: a spec gets its labels only from For, so --label-filter
// expressions are always built from these words.
const (
	CategoryAck          = "ack"
	CategoryEvents       = "events"
	CategoryRegistration = "registration"
	CategorySignature    = "signature"
	CategoryReplay       = "replay"
	CategoryIdempotency  = "idempotency"
	CategoryOrdering     = "ordering"
	CategoryRetry        = "retry"
	CategoryRobustness   = "robustness"
	CategoryTLS          = "tls"
	CategoryScenario     = "scenario"
)

// categoryPrefix maps each category label to the prefix of its IDs.
var categoryPrefix = map[string]string{
	CategoryAck:          "ACK",
	CategoryEvents:       "EVT",
	CategoryRegistration: "REG",
	CategorySignature:    "SIG",
	CategoryReplay:       "RPL",
	CategoryIdempotency:  "IDM",
	CategoryOrdering:     "ORD",
	CategoryRetry:        "RTY",
	CategoryRobustness:   "ROB",
	CategoryTLS:          "TLS",
	CategoryScenario:     "SCN",
}

// LabelConformance marks every spec of the suite, so a Ginkgo run that mixes
// suites can select these with --label-filter=conformance.
const LabelConformance = "conformance"

// labelsOf returns the labels of requirement r: its ID, its catalogue level
// (MUST or SHOULD), its category, each of its needs (probe, production) and
// LabelConformance. For example --label-filter='signature && !probe' or
// --label-filter='SIG-001 || SIG-002'.
func labelsOf(r *Requirement) Labels {
	l := Labels{LabelConformance, r.ID, r.Level, r.Category}
	return append(l, r.Needs...)
}

// For returns the Ginkgo decorators of a spec that checks the requirement
// with the given ID: its labels. It panics for an ID the catalogue does not
// hold, at tree construction, so a typo cannot ship.
func For(id string) Labels {
	r := Requirements().Get(id)
	if r == nil {
		panic(fmt.Sprintf("conformance: spec for unknown requirement %s", id))
	}
	return labelsOf(r)
}

// requirementOf returns the requirement ID among a spec's labels, or "".
func requirementOf(labels []string) string {
	for _, l := range labels {
		if idPattern.MatchString(l) {
			return l
		}
	}
	return ""
}
