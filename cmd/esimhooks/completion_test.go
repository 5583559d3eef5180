package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// completions runs "esimhooks __complete ARGS…" and returns the values and
// the directive line.
func completions(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errs := cli(t, "", append([]string{"__complete"}, args...)...)
	if code != 0 || errs != "" {
		t.Fatalf("__complete %q: exit %d, %s", args, code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var values []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, lines[len(lines)-1]
}

func eventsOf(t *testing.T, provider, variant string) []string {
	v, err := providers.MustBuiltin().Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range v.Events {
		names = append(names, ev.Name)
	}
	return names
}

func TestCompleteFromTheCatalogue(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"se"}, []string{"send", "serve"}, ":0"},
		{[]string{"help", "ch"}, []string{"check"}, ":0"},
		{[]string{"completion", ""}, []string{"bash", "fish", "zsh"}, ":0"},
		{[]string{"--ver"}, []string{"--version"}, ":0"},
		{[]string{"send", "--provider", "ai"}, []string{"airalo"}, ":0"},
		{[]string{"send", "--provider=es"}, []string{"--provider=esimaccess", "--provider=esimfly"}, ":0"},
		{[]string{"send", "--provider", "esimfly@2026"}, []string{"esimfly@2026-04", "esimfly@2026-09"}, ":0"},
		{[]string{"send", "--provider", "airalo", "--event", ""}, eventsOf(t, "airalo", ""), ":0"},
		{[]string{"send", "--provider", "esimfly", "--variant", "2026-09", "--event", "esim.p"}, []string{"esim.provisioned", "esim.profile.updated"}, ":0"},
		{[]string{"generate", "--provider", "roamify@per-type", "--event", "refund/"}, []string{"refund/refunded", "refund/rejected"}, ":0"},
		{[]string{"events", "--provider", "esimfly", "--variant", ""}, []string{"2025-01", "2026-04", "2026-09"}, ":0"},
		{[]string{"tail", "--provider", "roamify", "--event", "refund/"}, []string{"refund/refunded", "refund/rejected"}, ":0"},
		{[]string{"send", "--encoding", "php"}, []string{"php", "php-utf8"}, ":0"},
		{[]string{"serve", "--store", ""}, []string{"sqlite", "memory"}, ":0"},
		{[]string{"send", "--pro"}, []string{"--profile-file", "--provider"}, ":0"},
		{[]string{"check", "--report-j"}, []string{"--report-json"}, ":0"},
		{[]string{"check", "--profile-file", ""}, nil, ":1"},
		{[]string{"serve", "--scenarios", ""}, nil, ":2"},
		{[]string{"send", "--to", ""}, nil, ":0"},
		{[]string{"play", "airalo-async"}, []string{"airalo-async-order"}, ":1"},
		{[]string{"frobnicate", ""}, nil, ":0"},
	} {
		got, directive := completions(t, c.args...)
		if !slices.Equal(got, c.want) || directive != c.directive {
			t.Errorf("complete %q: got %q %s, want %q %s", c.args, got, directive, c.want, c.directive)
		}
	}
	// Every flag of a command is offered.
	got, _ := completions(t, "check", "--")
	for _, want := range []string{"--provider", "--variant", "--target", "--secret", "--report-json", "--ginkgo-json-report", "--json-report", "--label-filter"} {
		if !slices.Contains(got, want) {
			t.Errorf("check --: %q lacks %s", got, want)
		}
	}
}

// TestCompletionSeesProfileFiles: a --profile-file already on the line adds
// its provider and events.
func TestCompletionSeesProfileFiles(t *testing.T) {
	dir := acmeDir(t)
	if got, _ := completions(t, "send", "--profile-file", dir, "--provider", "ac"); !slices.Equal(got, []string{"acme"}) {
		t.Errorf("provider from --profile-file: %q", got)
	}
	if got, _ := completions(t, "send", "--profile-file="+dir, "--provider", "acme", "--event", "esim."); !slices.Equal(got, []string{"esim.ready"}) {
		t.Errorf("event of a --profile-file provider: %q", got)
	}
}

// TestBashCompletionScript runs the bash script in bash against this
// binary (TestMain re-runs it as esimhooks): completing a line gives what
// __complete gives, with "--flag=" words split as bash splits them.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	_, script, _ := cli(t, "", "completion", "bash")
	dir := t.TempDir()
	file := filepath.Join(dir, "esimhooks.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	// esimhooks is this test binary; COMP_WORDS as bash splits the line
	// (COMP_WORDBREAKS has "=").
	driver := `esimhooks() { local IFS=$'\x1f'; ESIMHOOKS_CHILD_ARGS="$*" "$ESIMHOOKS_TEST_BINARY" -test.run='^$'; }
source "$1"
t() {
    COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<< "$3"
    [[ $COMP_LINE =~ [[:space:]]$ ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]}-1))
    COMPREPLY=()
    _esimhooks
    echo "$1|${COMPREPLY[*]}"
}
t provider 'esimhooks send --provider ai' 'esimhooks send --provider ai'
t events 'esimhooks send --provider airalo --event low_data_' 'esimhooks send --provider airalo --event low_data_'
t equals 'esimhooks send --provider=esimf' 'esimhooks send --provider = esimf'
t command 'esimhooks ta' 'esimhooks ta'
t flags 'esimhooks tail --se' 'esimhooks tail --se'
t files "esimhooks check --profile-file $2/esimh" "esimhooks check --profile-file $2/esimh"
`
	cmd := exec.Command(bash, "-c", driver, "driver", file, dir)
	cmd.Env = append(os.Environ(), "ESIMHOOKS_TEST_BINARY="+os.Args[0])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]string{
		"provider": "airalo",
		"events":   "low_data_75 low_data_90 low_data_3days low_data_1days",
		"equals":   "esimfly",
		"command":  "tail",
		"flags":    "--server",
		"files":    file,
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "|")
		got[k] = v
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: bash completes %q, want %q\n%s", k, got[k], w, out)
		}
	}
}

// TestZshAndFishScripts checks the scripts' syntax where the shell is
// installed, and their shape (they ask __complete, split values from
// descriptions, honour the directive, register for esimhooks) anyway.
func TestZshAndFishScripts(t *testing.T) {
	for _, c := range []struct {
		shell, check string
		want         []string
	}{
		{"zsh", "-n", []string{"#compdef esimhooks", `"${words[1]}" __complete "${(@)words[2,CURRENT]}"`, "_describe", "1) _files ;;", "2) _files -/ ;;", "compdef _esimhooks esimhooks"}},
		{"fish", "--no-execute", []string{"__complete $words[2..-1] (commandline -ct)", "__fish_complete_path", "__fish_complete_directories", "complete -c esimhooks -f -a '(__esimhooks_complete)'"}},
	} {
		code, script, _ := cli(t, "", "completion", c.shell)
		if code != 0 {
			t.Fatalf("completion %s: exit %d", c.shell, code)
		}
		for _, w := range c.want {
			if !strings.Contains(script, w) {
				t.Errorf("%s script lacks %q", c.shell, w)
			}
		}
		if strings.Count(script, "{") != strings.Count(script, "}") {
			t.Errorf("%s script: unbalanced braces", c.shell)
		}
		path, err := exec.LookPath(c.shell)
		if err != nil {
			t.Logf("%s is not installed: its script is checked by shape only", c.shell)
			continue
		}
		file := filepath.Join(t.TempDir(), "esimhooks."+c.shell)
		if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(path, c.check, file).CombinedOutput(); err != nil {
			t.Errorf("%s %s: %v\n%s", c.shell, c.check, err, out)
		}
	}
}
