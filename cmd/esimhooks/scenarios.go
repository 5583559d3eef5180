package main

import (
	"github.com/esimhooks/esimhooks/conformance/scenario"
	"github.com/esimhooks/esimhooks/providers"
)

// scenarioRunner returns the runner the server offers at /api/scenarios:
// the shipped library plus the files in dir.
func scenarioRunner(cat *providers.Catalogue, dir string, ts float64) (*scenario.Runner, error) {
	lib, err := library(cat, dir)
	if err != nil {
		return nil, err
	}
	return &scenario.Runner{Library: lib, TimeScale: ts}, nil
}
