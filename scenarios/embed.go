// Package scenarios holds the scenario library shipped with esimhooks: one
// YAML file per scenario, named <provider>-<what>.yaml, each validated
// against schemas/scenario.schema.json. Package conformance/scenario loads
// and plays them (scenario.Shipped).
package scenarios

import "embed"

// FS holds every shipped scenario file (*.yaml at the root).
//
//go:embed *.yaml
var FS embed.FS
