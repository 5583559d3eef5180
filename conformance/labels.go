package conformance

import (
	"fmt"
	"sort"
	"strings"

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
// (MUST or SHOULD), its category and the category's ID prefix (SIG, IDM,
// …), each of its needs (probe, production) and LabelConformance. For
// example --label-filter='signature && !probe', 'SIG || IDM' or
// 'SIG-001 || SIG-002'. Ginkgo matches labels case-insensitively, so where
// prefix and category are the same word (ack, tls) the label is there once.
func labelsOf(r *Requirement) Labels {
	l := Labels{LabelConformance, r.ID, r.Level, r.Category}
	if p := categoryPrefix[r.Category]; p != "" && !strings.EqualFold(p, r.Category) {
		l = append(l, p)
	}
	return append(l, r.Needs...)
}

// labelList lists the labels of rs for a message, one of each
// (case-insensitively): the first and last ID ("ACK-001 … SCN-001"), then
// the levels, categories, prefixes and needs, sorted.
func labelList(rs []*Requirement) string {
	if len(rs) == 0 {
		return "none"
	}
	seen := map[string]bool{}
	var words []string
	for _, r := range rs {
		for _, l := range labelsOf(r) {
			if k := strings.ToLower(l); !seen[k] && requirementOf([]string{l}) == "" {
				seen[k] = true
				words = append(words, l)
			}
		}
	}
	sort.Strings(words)
	ids := rs[0].ID
	if len(rs) > 1 {
		ids += " … " + rs[len(rs)-1].ID
	}
	return ids + ", " + strings.Join(words, ", ")
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
