//go:build tools

// Package esimhooks pins the module's dependencies while the packages that
// use them are written; go mod tidy keeps what a tools-tagged file imports.
package esimhooks

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/gomega"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/santhosh-tekuri/jsonschema/v5"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
