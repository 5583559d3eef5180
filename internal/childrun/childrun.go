// Package childrun re-executes the running test binary as a child process
// that does one job and reports it: the tests that run the conformance suite
// many times (its state is Ginkgo's, global to a process) run each suite in
// a child, several at once.
//
// The parent calls Run with the options, which travel as JSON in an
// environment variable; the child's TestMain sees them with Options, does
// the job, prints its result with Print as the last line of its standard
// output and exits with its own code.
package childrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Result is what a child run came to.
type Result struct {
	// Code is the child's exit code.
	Code int
	// Stderr is everything the child wrote to its standard error.
	Stderr string
	// Elapsed is the child's wall time, start to exit.
	Elapsed time.Duration
	// Last is the child's last line of standard output when it is a JSON
	// object (what Print wrote), else nil.
	Last json.RawMessage
}

// Run runs the test binary again with env set to opts as JSON and no test
// selected, and waits for it, at most until ctx ends. A child that cannot
// be started or is killed fails t.
func Run(ctx context.Context, t testing.TB, env string, opts any) Result {
	t.Helper()
	data, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+string(data))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res := Result{Code: cmd.ProcessState.ExitCode(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if err != nil && res.Code < 0 {
		t.Fatalf("child run: %v\n%s", err, res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if last := lines[len(lines)-1]; strings.HasPrefix(last, "{") && json.Valid([]byte(last)) {
		res.Last = json.RawMessage(last)
	}
	return res
}

// Options reports whether this process is a child started by Run with env,
// and decodes its options into v. A child whose options do not decode gets
// the error (and should exit with a code of its own).
func Options(env string, v any) (bool, error) {
	raw, ok := os.LookupEnv(env)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return true, fmt.Errorf("%s: %w", env, err)
	}
	return true, nil
}

// Print writes v as JSON on one line of standard output: the child's
// result, which Run returns as Last when it is the last line.
func Print(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return
	}
	fmt.Printf("%s\n", data)
}
