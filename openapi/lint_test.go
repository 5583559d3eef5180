package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// redoclyConfig is the linter's configuration, at the repository root.
const redoclyConfig = "../redocly.yaml"

// redoclyAPIs returns the documents redocly.yaml lints (its apis' roots,
// relative to the repository root).
func redoclyAPIs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(redoclyConfig)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Extends []string `yaml:"extends"`
		APIs    map[string]struct {
			Root string `yaml:"root"`
		} `yaml:"apis"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", redoclyConfig, err)
	}
	if !slices.Equal(cfg.Extends, []string{"recommended"}) {
		t.Errorf("%s extends %v, want [recommended]", redoclyConfig, cfg.Extends)
	}
	var roots []string
	for _, a := range cfg.APIs {
		roots = append(roots, a.Root)
	}
	slices.Sort(roots)
	return roots
}

// Every OpenAPI document of this directory is linted: redocly.yaml lists
// each one, and nothing else.
func TestRedoclyConfigListsEveryDocument(t *testing.T) {
	docs, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range docs {
		want = append(want, "openapi/"+d)
	}
	slices.Sort(want)
	if got := redoclyAPIs(t); !slices.Equal(got, want) {
		t.Errorf("%s lints %v; the documents are %v", redoclyConfig, got, want)
	}
}

// findRedocly returns the redocly CLI: in $ESIMHOOKS_NODE_MODULES/.bin,
// the repository's .ci/npm/node_modules/.bin (where .ci/run installs it),
// or on PATH; "" and where it looked when there is none (or no node to
// run it).
func findRedocly() (string, string) {
	var tried []string
	var candidates []string
	if d := os.Getenv("ESIMHOOKS_NODE_MODULES"); d != "" {
		candidates = append(candidates, filepath.Join(d, ".bin", "redocly"))
	}
	if d, err := filepath.Abs(filepath.Join("..", ".ci", "npm", "node_modules", ".bin", "redocly")); err == nil {
		candidates = append(candidates, d)
	}
	for _, c := range candidates {
		tried = append(tried, c)
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, ""
		}
	}
	tried = append(tried, "$PATH")
	if p, err := exec.LookPath("redocly"); err == nil {
		return p, ""
	}
	return "", strings.Join(tried, ", ")
}

// lintProblem is one problem of redocly's JSON report.
type lintProblem struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Location []struct {
		Source struct {
			Ref string `json:"ref"`
		} `json:"source"`
		Pointer string `json:"pointer"`
		Start   struct {
			Line int `json:"line"`
			Col  int `json:"col"`
		} `json:"start"`
	} `json:"location"`
}

func (p lintProblem) String() string {
	where := "?"
	if len(p.Location) > 0 {
		l := p.Location[0]
		where = fmt.Sprintf("%s:%d:%d (%s)", l.Source.Ref, l.Start.Line, l.Start.Col, l.Pointer)
	}
	return fmt.Sprintf("%s %s: %s [%s]", where, p.Severity, p.Message, p.RuleID)
}

// TestRedoclyLint runs `redocly lint` (@redocly/cli, the recommended
// ruleset of redocly.yaml) over every document and fails on any error,
// with redocly's message and location. Warnings are logged: each one left
// is explained in redocly.yaml. Without the linter (or node) it skips:
// .ci/run installs it.
func TestRedoclyLint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the linter takes seconds")
	}
	bin, tried := findRedocly()
	if bin == "" {
		t.Skipf("redocly is not installed (looked in %s): run .ci/run, or npm install --prefix .ci/npm @redocly/cli@2", tried)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node is not installed: redocly (%s) cannot run", bin)
	}
	apis := redoclyAPIs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lint", "--config", "redocly.yaml", "--format", "json")
	cmd.Dir = ".."
	// Offline and quiet: no telemetry, no update check.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// One JSON report per document, one after the other.
	dec := json.NewDecoder(&stdout)
	reports := 0
	var errs, warns []lintProblem
	for {
		var r struct {
			Totals   struct{ Errors, Warnings int }
			Problems []lintProblem `json:"problems"`
		}
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("redocly's report does not parse: %v (exit: %v)\nstderr:\n%s", err, runErr, stderr.String())
		}
		reports++
		for _, p := range r.Problems {
			if p.Severity == "error" {
				errs = append(errs, p)
			} else {
				warns = append(warns, p)
			}
		}
		if r.Totals.Errors > 0 && len(errs) == 0 {
			t.Errorf("redocly counts %d errors but lists none", r.Totals.Errors)
		}
	}
	if reports != len(apis) {
		t.Fatalf("redocly reported on %d documents, redocly.yaml lists %d (exit: %v)\nstderr:\n%s", reports, len(apis), runErr, stderr.String())
	}
	for _, p := range warns {
		t.Logf("warning: %s", p)
	}
	for _, p := range errs {
		t.Errorf("%s", p)
	}
	if runErr != nil && len(errs) == 0 {
		t.Errorf("redocly failed without reporting an error: %v\nstderr:\n%s", runErr, stderr.String())
	}
}
