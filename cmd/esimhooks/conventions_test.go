package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// The CLI conventions of issue 14: version, usage and exit codes, one-line
// errors naming the flag, one latency format.

func TestVersionAndDashDashVersion(t *testing.T) {
	bi, _ := debug.ReadBuildInfo()
	want := versionText(bi)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errs := cli(t, "", args...)
		if code != 0 || out != want+"\n" || errs != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", args, code, out, errs, want)
		}
	}
	// A test binary is built from the work tree and records no commit.
	if !strings.HasPrefix(want, "esimhooks (devel) (commit unknown) "+runtime.Version()+" ") {
		t.Errorf("version of a test binary: %q", want)
	}
	// What a release build records.
	got := versionText(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "78c8a67d5b2a0e1f00aa11bb22cc33dd44ee55ff"}, {Key: "vcs.time", Value: "2026-12-03T13:00:00Z"},
		{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"},
	}})
	if want := "esimhooks v1.4.0 (commit 78c8a67d5b2a+dirty, 2026-12-03T13:00:00Z) go1.26.8 darwin/arm64"; got != want {
		t.Errorf("release build:\n got %q\nwant %q", got, want)
	}
	if got := versionText(nil); !strings.HasPrefix(got, "esimhooks (devel) (commit unknown) go") {
		t.Errorf("no build info: %q", got)
	}
}

func TestUsageAndHelpExitCodes(t *testing.T) {
	// No command: the usage, on stderr, exit 2.
	code, out, errs := cli(t, "")
	if code != 2 || out != "" || !strings.Contains(errs, "Usage: esimhooks COMMAND") || !strings.Contains(errs, "  send ") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// Asked for: stdout, exit 0.
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if code, out, _ := cli(t, "", args...); code != 0 || !strings.Contains(out, "Usage: esimhooks COMMAND") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	// help CMD and CMD --help print the command's usage alike.
	_, direct, _ := cli(t, "", "send", "--help")
	code, viaHelp, _ := cli(t, "", "help", "send")
	if code != 0 || viaHelp != direct || !strings.Contains(direct, "  --provider string") || !strings.Contains(direct, "  --to string") {
		t.Errorf("help send: exit %d\n%s\nsend --help:\n%s", code, viaHelp, direct)
	}
	code, _, errs = cli(t, "", "help", "sned")
	if code != 2 || !strings.Contains(errs, `unknown command "sned"`) || !strings.Contains(errs, "did you mean send?") {
		t.Errorf("help sned: exit %d, %q", code, errs)
	}
	// A flag before any command.
	code, _, errs = cli(t, "", "--provider", "airalo")
	if line, ok := errorLine(errs); code != 2 || !ok || !strings.HasPrefix(line, "esimhooks: --provider: unknown flag before the command (only --help and --version come first") {
		t.Errorf("--provider first: exit %d, %q", code, errs)
	}
	// The hidden completion helper is no command of the list.
	if _, out, _ := cli(t, "", "help"); strings.Contains(out, "__complete") {
		t.Error("__complete is listed")
	}
}

// TestBadFlagsAreOneLineAndAHint: an unknown flag or a bad value is one
// line naming the flag and what is wrong, then where the help is; never
// the usage.
func TestBadFlagsAreOneLineAndAHint(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--frob"}, "esimhooks send: --frob: unknown flag"},
		{[]string{"send", "--provder", "airalo"}, "esimhooks send: --provder: unknown flag (did you mean --provider?)"},
		{[]string{"send", "--seed", "x"}, `esimhooks send: --seed "x": must be a non-negative integer`},
		{[]string{"send", "--duplicates", "many"}, `esimhooks send: --duplicates "many": want a whole number, e.g. 0`},
		{[]string{"send", "--dry-run=maybe"}, `esimhooks send: --dry-run "maybe": want true or false`},
		{[]string{"send", "--to"}, "esimhooks send: --to: needs a value (the receiver's URL)"},
		{[]string{"check", "--timeout", "5"}, `esimhooks check: --timeout "5": want a duration such as 500ms, 10s or 2m`},
		{[]string{"events", "stray"}, `esimhooks events: unexpected argument "stray": esimhooks events takes flags only`},
		{[]string{"completion", "tcsh"}, `esimhooks completion: want a shell: bash, zsh or fish, not "tcsh"`},
	} {
		code, out, errs := cli(t, "", c.args...)
		cmd := c.args[0]
		want := c.want + "\nrun 'esimhooks " + cmd + " --help' for its flags\n"
		if code != 2 || errs != want || out != "" {
			t.Errorf("%v: exit %d, stdout %q\nstderr %q\nwant   %q", c.args, code, out, errs, want)
		}
	}
}

// TestEveryCommandChecksProviderNamesAlike: the commands that take
// --provider, --variant or --event refuse an unknown one with the same
// line, naming the flag, the valid choices and the nearest name.
func TestEveryCommandChecksProviderNamesAlike(t *testing.T) {
	const unknown = `--provider: unknown provider "esimfy" (valid: airalo, esimaccess, esimfly, roamify, simplifytrip, standard); did you mean esimfly?`
	for _, args := range [][]string{
		{"send", "--event", "x", "--to", "http://127.0.0.1:1/"},
		{"generate", "--event", "x"},
		{"events"},
		{"sign", "--secret", "s"},
		{"verify", "--secret", "s"},
		{"check", "--target", "http://127.0.0.1:1/"},
		{"tail", "--server", "http://127.0.0.1:1"},
		{"bench", "--store", "memory"},
	} {
		all := append([]string{args[0], "--provider", "esimfy"}, args[1:]...)
		code, _, errs := cli(t, "", all...)
		if line, ok := errorLine(errs); code != 2 || !ok || line != "esimhooks "+args[0]+": "+unknown {
			t.Errorf("%v: exit %d, stderr %q", all, code, errs)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--provider", "esimfly", "--variant", "2026-05", "--event", "x"}, `--variant: unknown variant of esimfly "2026-05" (valid: 2025-01, 2026-04, 2026-09); did you mean 2026-04 or 2026-09?`},
		{[]string{"send", "--provider", "esimfly@2026-05", "--event", "x"}, `--provider: unknown variant of esimfly "2026-05"`},
		{[]string{"generate", "--provider", "airalo", "--event", "async_ordr"}, `--event: unknown event of airalo@default "async_ordr"`},
		{[]string{"tail", "--provider", "airalo", "--event", "esim.activated"}, `--event: unknown event of airalo "esim.activated" (valid: async_order,`},
		{[]string{"tail", "--event", "async_ordr"}, `--event: unknown event "async_ordr" (valid: `},
		{[]string{"bench", "--provider", "airalo", "--event", "async_ordr"}, `--event: unknown event of airalo "async_ordr" (valid: async_order,`},
		{[]string{"events", "--provider", "esimfly", "--variant", "2030"}, `--variant: unknown variant of esimfly "2030"`},
		{[]string{"play", "airalo-async-ordr", "--to", "http://127.0.0.1:1/"}, `no scenario file or library scenario "airalo-async-ordr" (library: airalo-async-order, `},
		{[]string{"play", "airalo-async-ordr", "--to", "http://127.0.0.1:1/"}, `); did you mean airalo-async-order?`},
		{[]string{"check", "--provider", "esimaccess", "--target", "http://127.0.0.1:1/"}, `--target http://127.0.0.1:1/ unreachable: `},
	} {
		code, _, errs := cli(t, "", c.args...)
		if line, ok := errorLine(errs); code != 2 || !ok || !strings.Contains(line, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
	}
	// A --profile-file provider is known to tail as to every command.
	dir := acmeDir(t)
	code, _, errs := cli(t, "", "tail", "--profile-file", dir, "--provider", "acme", "--event", "esim.ready", "--server", "http://127.0.0.1:1")
	if code != 2 || !strings.Contains(errs, "--server http://127.0.0.1:1: cannot reach the mock server") {
		t.Errorf("tail with a --profile-file provider: exit %d, %q", code, errs)
	}
}

// TestErrorsNameTheFlagNotThePackage: no "mockserver: " and the like, and
// the flag to use.
func TestErrorsNameTheFlagNotThePackage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--store", "memory", "--addr", "0.0.0.0:0"}, "esimhooks serve: --addr 0.0.0.0:0 listens beyond this machine: the control API would be open to the network; add --token"},
		{[]string{"serve", "--store", "memory", "--token", "short"}, "esimhooks serve: --token: the token has 5 characters; at least 16 are required"},
		{[]string{"sign", "--provider", "standard", "--secret", "bad"}, "esimhooks sign: --secret: invalid secret: "},
		{[]string{"send", "--provider", "roamify", "--event", "esim/esim_status", "--secret", "s", "--dry-run", "--set", "x:={bad"}, `esimhooks send: --set "x:={bad": the value after := must be JSON (a string needs quotes: x:="{bad"): offset 1: `},
	} {
		code, _, errs := cli(t, "", c.args...)
		if line, ok := errorLine(errs); code != 2 || !ok || !strings.HasPrefix(line, c.want) || packagePrefix.MatchString(line) {
			t.Errorf("%v: exit %d, stderr %q, want a line starting %q", c.args, code, errs, c.want)
		}
	}
	// An unreachable receiver is no command-line error: no help hint.
	code, _, errs := cli(t, "", "send", "--provider", "esimaccess", "--event", "ORDER_STATUS", "--to", "http://127.0.0.1:1/hook")
	if code != 2 || !regexp.MustCompile(`^esimhooks send: --to http://127.0.0.1:1/hook is unreachable: .*connection refused\n$`).MatchString(errs) {
		t.Errorf("unreachable --to: exit %d, %q", code, errs)
	}
	// verify's verdict is no error line, but no package either.
	code, out, _ := cli(t, `{"a":1}`, "verify", "--provider", "roamify", "--secret", "k", "--header", "X-Roamify-Signature: abc")
	if code != 1 || !strings.HasPrefix(out, "signature INVALID for roamify@overview: malformed signature: ") {
		t.Errorf("verify: exit %d, %q", code, out)
	}
	// A server that wants a token it was not given: tail names --token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"title":"Missing or wrong bearer token"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	code, _, errs = cli(t, "", "tail", "--server", srv.URL)
	if line, _ := errorLine(errs); code != 2 || !strings.HasPrefix(line, "esimhooks tail: --token is required: the mock server at "+srv.URL+" requires its bearer token (or set ESIMHOOKS_TOKEN)") {
		t.Errorf("tail without a token: exit %d, %q", code, errs)
	}
	code, _, errs = cli(t, "", "tail", "--server", srv.URL, "--token", "0123456789abcdef")
	if line, _ := errorLine(errs); code != 2 || !strings.HasPrefix(line, "esimhooks tail: --token: the mock server at "+srv.URL+" refuses this token") {
		t.Errorf("tail with a wrong token: exit %d, %q", code, errs)
	}
}

func TestUserMessageDropsPackagePrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"mockserver: refusing to listen":                             "refusing to listen",
		"--secret: signing: invalid secret: want whsec_":             "--secret: invalid secret: want whsec_",
		"--db x.db: sqlite: open x.db: the database file is corrupt": "--db x.db: open x.db: the database file is corrupt",
		"scenario: x (jsonv: offset 1: bad)":                         "x (offset 1: bad)",
		"the probe: GET /x answered 500":                             "the probe: GET /x answered 500",
		"--scenarios: no such directory":                             "--scenarios: no such directory",
	} {
		if got := userMessage(in); got != want {
			t.Errorf("userMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPackagePrefixesCoverTheModule: every package of the module is in
// packagePrefix, so a library error that reaches the CLI never shows one.
func TestPackagePrefixesCoverTheModule(t *testing.T) {
	names := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") && path != "../.." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		// tools.go (//go:build tools) only pins tool dependencies.
		if len(f.Comments) == 0 || f.Comments[0].List[0].Text != "//go:build tools" {
			names[f.Name.Name] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	delete(names, "main")
	if len(names) < 10 {
		t.Fatalf("found only %v", names)
	}
	for n := range names {
		if userMessage(n+": boom") != "boom" {
			t.Errorf("package %s is missing from packagePrefix", n)
		}
	}
}

// TestSendPrintsSubMillisecondLatencies: a loopback answer takes well
// under a millisecond, which send prints as "0.4 ms", not "0s".
func TestSendPrintsSubMillisecondLatencies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	code, out, errs := cli(t, "", "send", "--provider", "esimaccess", "--event", "ORDER_STATUS", "--to", srv.URL, "--duplicates", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := regexp.MustCompile(`(?m)^  (delivery|duplicate \d)\s+200 in (\S+ \S+): acknowledged$`).FindAllStringSubmatch(out, -1)
	if len(lines) != 3 {
		t.Fatalf("want three answer lines:\n%s", out)
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^(\d+\.\d ms|\d+ ms|\d+\.\d s)$`).MatchString(l[2]) {
			t.Errorf("latency %q is not in the CLI's format", l[2])
		}
	}
	// The format itself, as send and tail use it.
	for d, want := range map[time.Duration]string{400 * time.Microsecond: "0.4 ms", 35 * time.Millisecond: "35 ms"} {
		if got := latency(d); got != want || got != wire.FormatLatency(d) {
			t.Errorf("latency(%v) = %q, want %q", d, got, want)
		}
	}
	a := streamedAttempt{DeliveryID: "dlv_1", Provider: "airalo", Variant: "default", Event: "async_order", Attempt: 1, URL: "http://x/", Status: 200, LatencyMS: 0.42, Outcome: "delivered"}
	if got := formatAttempt(a); !strings.Contains(got, " 200   0.4 ms  delivered") {
		t.Errorf("tail line %q", got)
	}
}

// TestReportFlagsExplainThemselves: --report-json is esimhooks' summary,
// --ginkgo-json-report Ginkgo's report, --json-report its alias; the help
// says which is which, and the alias writes the same file.
func TestReportFlagsExplainThemselves(t *testing.T) {
	_, help, _ := cli(t, "", "check", "--help")
	for _, want := range []string{
		"--report-json string\n    \twrite esimhooks' summary",
		"not Ginkgo's --ginkgo-json-report",
		"--ginkgo-json-report string\n    \twrite Ginkgo's own JSON report",
		"--json-report string\n    \talias of --ginkgo-json-report",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("check --help lacks %q", want)
		}
	}
	dir := t.TempDir()
	for _, flag := range []string{"--ginkgo-json-report", "--json-report"} {
		file := filepath.Join(dir, strings.TrimLeft(flag, "-")+".json")
		code, _, errs := cli(t, "", "check", "--provider", "esimaccess", "--target", "http://127.0.0.1:1/hook", "--dry-run", "--label-filter", "ACK-001", flag, file)
		data, err := os.ReadFile(file)
		if code != 0 || err != nil || !bytes.Contains(data, []byte(`"SuiteDescription"`)) {
			t.Errorf("%s: exit %d (%s), %v, %.100s", flag, code, errs, err, data)
		}
	}
}

// TestHelpListsFlagsAsTyped: the flag lists write --name, as users type
// it, not Go's -name.
func TestHelpListsFlagsAsTyped(t *testing.T) {
	for _, c := range commandNames() {
		_, out, _ := cli(t, "", c, "--help")
		if regexp.MustCompile(`(?m)^  -[a-z]`).MatchString(out) {
			t.Errorf("%s --help lists a -flag:\n%s", c, out)
		}
	}
}

// TestREADMECommandLineExamplesRunAsWritten runs each "$ esimhooks …" of
// the README's command-line section and compares what it prints with the
// lines under it.
func TestREADMECommandLineExamplesRunAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "## The command line")
	n := 0
	for _, block := range regexp.MustCompile("(?s)```\n(.*?)```").FindAllStringSubmatch(section, -1) {
		for _, ex := range regexp.MustCompile(`(?m)^\$ `).Split(block[1], -1)[1:] {
			cmd, want, _ := strings.Cut(ex, "\n")
			words, err := shellWords(cmd, nil)
			if err != nil || len(words) < 2 || words[0] != "esimhooks" {
				t.Fatalf("%q: not an esimhooks command (%v)", cmd, err)
			}
			n++
			code, out, errs := cli(t, "", words[1:]...)
			if got := errs + out; code != 2 || got != want {
				t.Errorf("$ %s\nexit %d, printed:\n%s\nthe README shows:\n%s", cmd, code, got, want)
			}
		}
	}
	if n < 4 {
		t.Errorf("found %d examples: is the section parsed?", n)
	}
}
