package runtimes

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestNodeModulesFindsTheModuleRoot: without the environment variable, the
// npm packages are looked for in .ci/npm/node_modules next to go.mod,
// whichever package's directory the test runs in; with it, where it says.
func TestNodeModulesFindsTheModuleRoot(t *testing.T) {
	t.Setenv(NodeModulesEnv, "")
	got := NodeModules()
	root := filepath.Dir(filepath.Dir(filepath.Dir(got)))
	if filepath.Base(got) != "node_modules" || filepath.Base(filepath.Dir(got)) != "npm" {
		t.Fatalf("NodeModules() = %s, want <module root>/.ci/npm/node_modules", got)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("NodeModules() = %s: %s holds no go.mod", got, root)
	}
	if wd, _ := os.Getwd(); filepath.Join(root, "internal", "runtimes") != wd {
		t.Errorf("module root %s is not two levels above this package (%s)", root, wd)
	}
	t.Setenv(NodeModulesEnv, "/elsewhere/node_modules")
	if got := NodeModules(); got != "/elsewhere/node_modules" {
		t.Errorf("with %s set, NodeModules() = %s", NodeModulesEnv, got)
	}
}

// TestRunJSONRoundTrips: the cases go to the tool's stdin as JSON and its
// stdout comes back decoded (cat answers what it was given).
func TestRunJSONRoundTrips(t *testing.T) {
	cat, ok := Find("cat")
	if !ok {
		t.Skip("cat is not in PATH")
	}
	in := []map[string]string{{"name": "a", "body": "{\"x\":1}"}, {"name": "b", "body": "ü/\\"}}
	var out []map[string]string
	RunJSON(t, cat, nil, in, &out)
	if !slices.EqualFunc(in, out, func(a, b map[string]string) bool { return a["name"] == b["name"] && a["body"] == b["body"] }) {
		t.Errorf("RunJSON(cat) = %v, want %v", out, in)
	}
	if _, ok := Find("no-such-runtime-esimhooks"); ok {
		t.Error("Find reports a tool that does not exist")
	}
}
