package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Every example command in the README is run by a test as written, or
// listed here with the reason it is not; TestREADMEEveryExampleIsRunOrListed
// fails on one that is neither, so a new example needs a test.

// readmeRunners names, per README heading, the test that runs every
// command of that heading's sh blocks (and fails on one it cannot run).
var readmeRunners = map[string]string{
	"## Send one signed event (like `stripe trigger`)":                "TestREADMESendExamplesRunAsWritten",
	"### Five minutes with curl (a frontend developer's walkthrough)": "TestREADMECurlWalkthroughRunsAsWritten",
	"### The providers' own registration APIs, mocked":                "TestREADMERegistrationExamplesRunAsWritten",
	"## Your own provider: `--profile-file`":                          "TestREADMEProfileFileExamplesRunAsWritten",
	"## The conformance suite: `esimhooks check`":                     "TestREADMECheckExampleRunsAsWritten",
	"### Scenarios": "TestREADMEPlayExamplesRunAsWritten",
	"### In CI":     "TestREADMECIExampleRunsAsWritten",
	"### Airalo: the encoding rule and which SDK accepts what": "TestREADMEAiraloVerifyExampleRuns, TestREADMEAiraloWarningExampleRuns",
	"## The command line": "TestREADMECommandLineExamplesRunAsWritten",
}

// readmeNotRun lists the README's commands that no test runs as written,
// each with the reason; the runners skip them too.
var readmeNotRun = map[string]string{
	"go run ./cmd/esimhooks serve      # the mock provider: API, dashboard, metrics on 127.0.0.1": "serve runs until interrupted (serve_test.go starts it as a child)",
	"go run ./cmd/esimhooks serve": "serve runs until interrupted (serve_test.go starts it as a child)",
	"go run ./cmd/esimhooks serve --profile-file ./my-providers      # acme.yaml + acme/v2/esim.ready.schema.json": "serve runs until interrupted; TestANewProviderNeedsNoGoCode serves the same directory layout",
	"go run ./cmd/esimhooks serve --scenarios ./my-scenarios               # offered in the API and dashboard too": "serve runs until interrupted",
	"go run ./openapi/gen -profile-file ./my-providers -out .    # writes acme.yaml":                               "another command (openapi/gen, tested in its own package); TestANewProviderNeedsNoGoCode checks the document it generates",
	"curl -sN $B/api/stream":                                                                                                  "a Server-Sent Events stream runs until interrupted",
	"go run ./cmd/esimhooks tail --provider esimfly":                                                                          "tail follows the stream until interrupted",
	"go test -race ./...               # every test (CI runs exactly this via .ci/run)":                                       "the test suite itself",
	"go test -race ./...                                   # everything (what CI runs)":                                       "the test suite itself",
	"go test -short ./...                                  # quicker: trims the faulty-receiver matrix":                       "the test suite itself",
	"go test -fuzz=FuzzStringifyJS ./providers/jsonv       # also FuzzPHPRoundTrip, FuzzEncodeAiralo, FuzzFlatten, FuzzParse": "fuzzing runs until interrupted; its seed corpus runs with go test",
	"go test -fuzz=FuzzHMACVerify ./providers/signing      # also FuzzStandardVerify":                                         "fuzzing runs until interrupted; its seed corpus runs with go test",
	"go test ./mockserver/api -run '^$' -fuzz FuzzControlAPI -fuzztime 5m":                                                    "fuzzing for five minutes; its seed corpus runs with go test",
	"go run ./cmd/esimhooks bench                          # --cpuprofile cpu.prof, then go tool pprof":                       "a benchmark of the full default size; bench_test.go runs bench small",
	"npm install --prefix .ci/npm @redocly/cli@2    # .ci/run does this":                                                      "needs the npm registry; .ci/run runs it",
	".ci/npm/node_modules/.bin/redocly lint          # every document of redocly.yaml":                                        "TestRedoclyLint (openapi) runs this lint, with --format json, and fails on any error",

	// The receiver kits (examples/receivers).
	`RECEIVER_SECRET="$SECRET" node examples/receivers/node/server.js --provider esimfly --variant 2026-09 --addr 127.0.0.1:9000`:         "a receiver kit runs until interrupted; examples/receivers TestKits starts each kit the same way and grades it",
	`RECEIVER_SECRET="$SECRET" python3 examples/receivers/python/receiver.py --provider roamify --addr 127.0.0.1:9000`:                    "a receiver kit runs until interrupted; examples/receivers TestKits starts each kit the same way and grades it",
	`RECEIVER_PROVIDER=airalo RECEIVER_SECRET="$SECRET" PHP_CLI_SERVER_WORKERS=4 php -S 127.0.0.1:9000 examples/receivers/php/router.php`: "a receiver kit runs until interrupted; examples/receivers TestKits starts each kit the same way and grades it",
	"source <(esimhooks completion bash)    # bash, this shell; add the line to ~/.bashrc to keep it":                                     "loads completion into the reader's shell; TestBashCompletionScript runs the script in bash",
	"source <(esimhooks completion zsh)     # zsh, after compinit; or save it as _esimhooks in $fpath":                                    "loads completion into the reader's shell; TestZshAndFishScripts checks the script",
	"esimhooks completion fish | source     # fish; or save it in ~/.config/fish/completions/esimhooks.fish":                              "loads completion into the reader's shell; TestZshAndFishScripts checks the script",

	"go test -run '^$' -bench . ./internal/benchkit/ ./mockserver/engine/ ./mockserver/sqlite/ ./providers/...":         "benchmarks measure, they do not pass or fail; go test compiles them",
	"go run ./cmd/esimhooks bench --scenario storm --storm-endpoints 1   # add --receivers inprocess for the old setup": "a 25-second measurement; bench_test.go runs the storm bench small",
}

// readmeExamples returns, per heading, the README's example commands:
// the commands of sh blocks, and lines of other code blocks that run
// "go run" (such as the CI yaml) or are a transcript's "$ command".
func readmeExamples(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	heading, fence, lang := "", false, ""
	var block []string
	for _, l := range strings.Split(readmeText(t), "\n") {
		switch {
		case strings.HasPrefix(l, "```") && !fence:
			fence, lang, block = true, strings.TrimPrefix(l, "```"), nil
		case strings.HasPrefix(l, "```"):
			fence = false
			if lang == "sh" {
				out[heading] = append(out[heading], shellBlocks("```sh\n"+strings.Join(block, "\n")+"\n```")...)
				continue
			}
			for _, b := range block {
				if strings.Contains(b, "go run ") && !strings.HasPrefix(strings.TrimSpace(b), "//") || strings.HasPrefix(b, "$ ") {
					out[heading] = append(out[heading], strings.TrimSpace(b))
				}
			}
		case fence:
			block = append(block, l)
		case strings.HasPrefix(l, "#"):
			heading = l
		}
	}
	return out
}

// TestREADMEEveryExampleIsRunOrListed: each example command is under a
// heading whose test runs it, or listed in readmeNotRun; and each listed
// command is still in the README.
func TestREADMEEveryExampleIsRunOrListed(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for heading, cmds := range readmeExamples(t) {
		for _, cmd := range cmds {
			n++
			seen[cmd] = true
			if _, ok := readmeNotRun[cmd]; ok {
				continue
			}
			if _, ok := readmeRunners[heading]; !ok {
				t.Errorf("README example under %q is run by no test and not listed in readmeNotRun:\n%s", heading, cmd)
			}
		}
		if r, ok := readmeRunners[heading]; ok && len(cmds) == 0 {
			t.Errorf("%s runs the examples under %q, which has none", r, heading)
		}
	}
	for cmd := range readmeNotRun {
		if !seen[cmd] {
			t.Errorf("readmeNotRun lists %q, which the README no longer has", cmd)
		}
	}
	for h := range readmeRunners {
		readmeHeadingSection(t, h) // fails if the heading is gone
	}
	if n < 40 {
		t.Errorf("found %d example commands, expected at least 40: is the README parsed?", n)
	}
}

// readmeCLIArgs parses cmd, an example "go run ./cmd/esimhooks …", with
// env for its variables; ok is false when cmd is listed in readmeNotRun.
func readmeCLIArgs(t *testing.T, cmd string, env map[string]string) (args []string, ok bool) {
	t.Helper()
	if why, skip := readmeNotRun[cmd]; skip {
		t.Logf("not run: %s (%s)", cmd, why)
		return nil, false
	}
	words, err := shellWords(cmd, env)
	if err != nil {
		t.Fatal(err)
	}
	args, stdin, ok := cliExample(words)
	if !ok || stdin != "" {
		t.Fatalf("%q: not a command this test can run; make it one or extend the test", cmd)
	}
	return args, true
}

// setFlag replaces the value of --name in args with val (failing if
// args has no --name).
func setFlag(t *testing.T, args []string, name, val string) {
	t.Helper()
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			args[i+1] = val
			return
		}
	}
	t.Fatalf("%q has no --%s", args, name)
}

// TestREADMECheckExampleRunsAsWritten runs the section's check command
// against the reference receiver on a loopback port, standing in for the
// staging addresses (the section says so: "Against examples/receiver"),
// with its reports written to a temporary directory. It must pass with
// the counts the section's sample output shows, and write both reports.
func TestREADMECheckExampleRunsAsWritten(t *testing.T) {
	// The section's own text, before its first subsection (In CI,
	// Scenarios, … have their own entries).
	section, _, _ := strings.Cut(readmeHeadingSection(t, "## The conformance suite: `esimhooks check`"), "\n### ")
	cmds := shellBlocks(section)
	if len(cmds) != 1 {
		t.Fatalf("found %d commands in the section, this test runs exactly 1", len(cmds))
	}
	args, _ := readmeCLIArgs(t, cmds[0], map[string]string{"ROAMIFY_SECRET": "s"})
	srv := hookReceiver(t, flagValue(args, "provider"), "", "s")
	setFlag(t, args, "target", srv.URL+"/hook")
	setFlag(t, args, "probe", srv.URL+"/probe")
	dir := t.TempDir()
	for _, f := range []string{"report-json", "junit-report"} {
		setFlag(t, args, f, filepath.Join(dir, flagValue(args, f)))
	}
	code, out, errs := cli(t, "", args...)
	if code != 0 {
		t.Fatalf("%s\nexits %d\nstdout:\n%s\nstderr:\n%s", cmds[0], code, out, errs)
	}
	counts := regexp.MustCompile(`\d+ passed, \d+ failed, \d+ blocked, \d+ skipped`)
	want := counts.FindString(section)
	if got := counts.FindString(out + errs); want == "" || got != want {
		t.Errorf("check prints %q; the README's sample shows %q", got, want)
	}
	var report any
	data, err := os.ReadFile(flagValue(args, "report-json"))
	if err != nil || json.Unmarshal(data, &report) != nil {
		t.Errorf("--report-json: %v %.200s", err, data)
	}
	if data, err := os.ReadFile(flagValue(args, "junit-report")); err != nil || !strings.Contains(string(data), "<testsuite") {
		t.Errorf("--junit-report: %v %.200s", err, data)
	}
}

// TestREADMEPlayExamplesRunAsWritten runs the Scenarios section's play
// commands: --list must list the scenario the section shows; the named
// scenario (with the probe) and the section's own YAML (as
// ./my-scenario.yaml, "…" filled with the same receiver and secret, no
// probe as written) must pass against the reference receiver on a
// loopback port.
func TestREADMEPlayExamplesRunAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "### Scenarios")
	y := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	if y == nil {
		t.Fatal("the section no longer shows a scenario file")
	}
	name := regexp.MustCompile(`(?m)^name: (\S+)$`).FindStringSubmatch(y[1])
	provider := regexp.MustCompile(`(?m)^provider: (\S+)$`).FindStringSubmatch(y[1])
	if name == nil || provider == nil {
		t.Fatalf("the section's scenario has no name or provider:\n%s", y[1])
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "my-scenario.yaml")
	if err := os.WriteFile(file, []byte(y[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	ran := 0
	var to, secret string
	for _, cmd := range shellBlocks(section) {
		args, ok := readmeCLIArgs(t, cmd, nil)
		if !ok {
			continue
		}
		ran++
		if len(args) < 2 || args[0] != "play" {
			t.Fatalf("%q: not a play command", cmd)
		}
		if args[1] == "--list" {
			code, out, errs := cli(t, "", args...)
			if code != 0 || !strings.Contains(out, name[1]) {
				t.Errorf("%s: exit %d, the list lacks %s:\n%s%s", cmd, code, name[1], out, errs)
			}
			continue
		}
		if args[1] == "./my-scenario.yaml" {
			args[1] = file
			if to == "" {
				t.Fatalf("%q: no command before it gives the receiver", cmd)
			}
			setFlag(t, args, "to", to)
			setFlag(t, args, "secret", secret)
		} else {
			pu := loopbackOnly(t, flagValue(args, "to"))
			secret = flagValue(args, "secret")
			srv := hookReceiver(t, provider[1], "", secret)
			to = srv.URL + pu.RequestURI()
			setFlag(t, args, "to", to)
			setFlag(t, args, "probe", srv.URL+loopbackOnly(t, flagValue(args, "probe")).RequestURI())
		}
		if code, out, errs := cli(t, "", args...); code != 0 {
			t.Errorf("%s\nexits %d\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
		}
	}
	if ran != 3 {
		t.Errorf("ran %d play commands, want 3", ran)
	}
}

// TestREADMEProfileFileExamplesRunAsWritten runs the section's send with
// the throwaway ACME profile of TestANewProviderNeedsNoGoCode as
// acme.yaml and "…" filled with a receiver that verifies ACME's signature.
func TestREADMEProfileFileExamplesRunAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "## Your own provider: `--profile-file`")
	dir := acmeDir(t)
	ran := 0
	for _, cmd := range shellBlocks(section) {
		if strings.HasPrefix(cmd, "go run ./openapi/gen ") {
			if _, listed := readmeNotRun[cmd]; !listed {
				t.Errorf("%q: not a command this test can run; list it in readmeNotRun or extend the test", cmd)
			}
			continue
		}
		args, ok := readmeCLIArgs(t, cmd, nil)
		if !ok {
			continue
		}
		ran++
		srv, got := acmeReceiver(t, "acme-secret")
		setFlag(t, args, "profile-file", filepath.Join(dir, flagValue(args, "profile-file")))
		setFlag(t, args, "to", srv.URL+"/hook")
		setFlag(t, args, "secret", "acme-secret")
		if code, out, errs := cli(t, "", args...); code != 0 {
			t.Errorf("%s\nexits %d\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
			continue
		}
		select {
		case <-got:
		default:
			t.Errorf("%s: the receiver verified no delivery", cmd)
		}
	}
	if ran != 1 {
		t.Errorf("ran %d commands, want 1", ran)
	}
}

// TestREADMERegistrationExamplesRunAsWritten plays the mocked
// registration APIs' curl block against an in-process mock server ($B)
// and reference receivers standing in for http://127.0.0.1:3000/hook
// (each with the secret the provider signs with): every request must
// succeed, TOKEN=$(curl … | jq -r PATH) taking PATH of the answer, and
// the simulator's notification must reach Airalo's receiver and be
// acknowledged.
func TestREADMERegistrationExamplesRunAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "### The providers' own registration APIs, mocked")
	base := mockServer(t)
	const hook = "http://127.0.0.1:3000/hook"
	// The Airalo receiver holds the client_secret the block's token call sends.
	airalo := hookReceiver(t, "airalo", "", "my-secret")
	other := hookReceiver(t, "esimaccess", "", "")
	env := map[string]string{"B": base}
	subst := regexp.MustCompile(`^([A-Z_]+)=\$\((curl .*) \| jq -r (\.[a-z_.]+)\)$`)
	ran := 0
	for _, cmd := range shellBlocks(section) {
		assign, line := "", cmd
		if m := subst.FindStringSubmatch(cmd); m != nil {
			assign, line = m[1], m[2]
		}
		words, err := shellWords(line, env)
		if err != nil || len(words) == 0 || words[0] != "curl" {
			t.Fatalf("%q: not a command this test can run (%v); make it one or extend the test", cmd, err)
		}
		rcv := other
		if strings.Contains(line, "/airalo/") {
			rcv = airalo
		}
		req := curlRequest(t, cmd, words, func(s string) string { return strings.ReplaceAll(s, hook, rcv.URL+"/hook") })
		status, answer := doRequest(t, req)
		ran++
		if status/100 != 2 {
			t.Errorf("%s\n→ %d %s", cmd, status, answer)
			continue
		}
		if assign != "" {
			m := subst.FindStringSubmatch(cmd)
			p, err := jsonv.Parse(answer)
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			path, _ := jsonv.ParsePath(strings.TrimPrefix(m[3], "."))
			v, ok := jsonv.Get(p, path)
			s, isString := v.(string)
			if !ok || !isString || s == "" {
				t.Fatalf("%s: the answer has no %s: %s", cmd, m[3], answer)
			}
			env[assign] = s
		}
		if strings.Contains(line, "/simulator/webhook") && !strings.Contains(string(answer), `"success":"Notification sent"`) {
			t.Errorf("%s: answered %s; the README shows {\"success\":\"Notification sent\"}", cmd, answer)
		}
	}
	if ran < 6 {
		t.Errorf("ran %d requests, want every one (6)", ran)
	}
	allDelivered(t, base, 1)
}

// TestREADMECIExampleRunsAsWritten runs the check command of the CI step
// (yaml) in-process: "go run …/cmd/esimhooks@latest" fetches the released
// module, which a test of this tree cannot and should not; its arguments
// run against the reference receiver standing in for $STAGING_URL's
// webhook and probe, the JUnit report in a temporary directory. With
// --strict it must pass and write the report.
func TestREADMECIExampleRunsAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "### In CI")
	y := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	if y == nil {
		t.Fatal("the section no longer shows the CI step")
	}
	_, run, ok := strings.Cut(y[1], "run: |\n")
	if !ok {
		t.Fatal("the CI step has no run: | script")
	}
	script, _, _ := strings.Cut(run, "\n- ")
	cmds := shellBlocks("```sh\n" + script + "\n```")
	if len(cmds) != 1 {
		t.Fatalf("the CI script has %d commands, this test runs exactly 1: %q", len(cmds), cmds)
	}
	words, err := shellWords(cmds[0], map[string]string{"STAGING_URL": "https://staging.example.com", "ESIMFLY_SECRET": "s"})
	if err != nil {
		t.Fatal(err)
	}
	const latest = "go run github.com/esimhooks/esimhooks/cmd/esimhooks@latest"
	if len(words) < 4 || strings.Join(words[:3], " ") != latest {
		t.Fatalf("%q: not %s …", cmds[0], latest)
	}
	args := words[3:]
	srv := hookReceiver(t, flagValue(args, "provider"), "", flagValue(args, "secret"))
	setFlag(t, args, "target", srv.URL+"/hook")
	setFlag(t, args, "probe", srv.URL+"/probe")
	setFlag(t, args, "junit-report", filepath.Join(t.TempDir(), flagValue(args, "junit-report")))
	if code, out, errs := cli(t, "", args...); code != 0 {
		t.Fatalf("%s\nexits %d\nstdout:\n%s\nstderr:\n%s", cmds[0], code, out, errs)
	}
	if data, err := os.ReadFile(flagValue(args, "junit-report")); err != nil || !strings.Contains(string(data), "<testsuite") {
		t.Errorf("--junit-report: %v %.200s", err, data)
	}
}
