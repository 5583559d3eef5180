package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestREADMEProviderReferenceMatchesTheProfiles fails when the README's
// provider section and the shipped profiles drift apart. Regenerate with
// go run ./cmd/esimhooks events --markdown.
func TestREADMEProviderReferenceMatchesTheProfiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "<!-- providers:start -->\n")
	end := strings.Index(s, "<!-- providers:end -->")
	if start < 0 || end < start {
		t.Fatal("README lacks the providers:start/end markers")
	}
	var want bytes.Buffer
	writeMarkdown(&want, providers.MustBuiltin())
	if got := s[start+len("<!-- providers:start -->\n") : end]; strings.TrimSpace(got) != strings.TrimSpace(want.String()) {
		t.Error("README provider reference is stale: regenerate it with go run ./cmd/esimhooks events --markdown")
	}
}

// TestREADMERequirementTableMatchesTheCatalogue fails when the README's
// requirement table and conformance/requirements.yaml drift apart.
// Regenerate with go run ./cmd/esimhooks check --requirements.
func TestREADMERequirementTableMatchesTheCatalogue(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start := strings.Index(s, "<!-- requirements:start -->\n")
	end := strings.Index(s, "<!-- requirements:end -->")
	if start < 0 || end < start {
		t.Fatal("README lacks the requirements:start/end markers")
	}
	var want bytes.Buffer
	writeRequirements(&want)
	if got := s[start+len("<!-- requirements:start -->\n") : end]; strings.TrimSpace(got) != strings.TrimSpace(want.String()) {
		t.Error("README requirement table is stale: regenerate it with go run ./cmd/esimhooks check --requirements")
	}
}
