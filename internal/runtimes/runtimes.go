// Package runtimes runs the other languages' runtimes (node, php, python3)
// from tests: the proof that the providers' own verification code, and the
// receiver kits, agree with esimhooks. It finds the runtimes and the npm
// packages .ci/run installs, and runs a script over a batch of JSON cases in
// one process, so that each runtime starts once per test, not once per case.
//
// A runtime that is not installed is not an error: Find reports it and the
// caller skips with a message, as the README's test command promises.
package runtimes

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodeModulesEnv names the directory of the npm packages when it is not the
// repository's .ci/npm/node_modules.
const NodeModulesEnv = "ESIMHOOKS_NODE_MODULES"

// NodeModules returns the directory holding the npm packages the tests run
// (airalo-sdk, standardwebhooks, svix, express): $ESIMHOOKS_NODE_MODULES, or
// .ci/npm/node_modules at the root of the module (the nearest directory
// above the working directory that holds go.mod). It does not check that the
// directory exists.
func NodeModules() string {
	if d := os.Getenv(NodeModulesEnv); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join(".ci", "npm", "node_modules")
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".ci", "npm", "node_modules")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, ".ci", "npm", "node_modules")
		}
	}
}

// HasNodePackage reports whether the npm package name is installed in
// NodeModules().
func HasNodePackage(name string) bool {
	_, err := os.Stat(filepath.Join(NodeModules(), name, "package.json"))
	return err == nil
}

// Find returns the path of the runtime tool (node, php, python3) in PATH, and
// false when it is not installed.
func Find(tool string) (string, bool) {
	path, err := exec.LookPath(tool)
	return path, err == nil
}

// RunJSON runs tool with args, its stdin the JSON encoding of in, and
// decodes its stdout, one JSON document, into out. It fails t, with what the
// tool wrote on stderr, when the tool fails or its output is not JSON that
// fits out. tool is a name in PATH or a path.
func RunJSON(t testing.TB, tool string, args []string, in, out any) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("%s printed no JSON result (%v): %.300s\n%s", tool, err, stdout, stderr.String())
	}
}
