package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// readmeText returns the repository's README.
func readmeText(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(readme)
}

// readmeSection returns the README text between <!-- name:start --> and
// <!-- name:end -->.
func readmeSection(t *testing.T, name string) string {
	t.Helper()
	s := readmeText(t)
	open, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(s, open), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README lacks the %s:start/end markers", name)
	}
	return s[i+len(open) : j]
}

// TestREADMEProviderReferenceMatchesTheProfiles fails when the README's
// provider section and the shipped profiles drift apart. Regenerate with
// go run ./cmd/esimhooks events --markdown.
func TestREADMEProviderReferenceMatchesTheProfiles(t *testing.T) {
	var want bytes.Buffer
	writeMarkdown(&want, providers.MustBuiltin())
	if strings.TrimSpace(readmeSection(t, "providers")) != strings.TrimSpace(want.String()) {
		t.Error("README provider reference is stale: regenerate it with go run ./cmd/esimhooks events --markdown")
	}
}

// TestREADMERequirementTableMatchesTheCatalogue fails when the README's
// requirement table and conformance/requirements.yaml drift apart.
// Regenerate with go run ./cmd/esimhooks check --requirements.
func TestREADMERequirementTableMatchesTheCatalogue(t *testing.T) {
	var want bytes.Buffer
	writeRequirements(&want)
	if strings.TrimSpace(readmeSection(t, "requirements")) != strings.TrimSpace(want.String()) {
		t.Error("README requirement table is stale: regenerate it with go run ./cmd/esimhooks check --requirements")
	}
}
