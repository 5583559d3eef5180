package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/esimhooks/esimhooks/conformance"
)

// writeRequirements prints the golden catalogue as the README's Markdown
// table; README_test keeps the README in step with it.
func writeRequirements(w io.Writer) {
	fmt.Fprintln(w, "| ID | level | the receiver… | applies where | needs | source |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range conformance.Requirements().Requirements {
		level := r.Level
		if r.AssumedFact != "" {
			level += " (SHOULD where " + r.AssumedFact + " is assumed)"
		}
		if r.Basis == conformance.BasisAssumed {
			level += ", assumed basis"
		}
		needs := strings.Join(r.Needs, ", ")
		if needs == "" {
			needs = "-"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.ID, level, esc(r.Sentence), esc(r.AppliesWhere()), needs, esc(r.Source))
	}
}

func esc(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
