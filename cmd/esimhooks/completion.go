package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/esimhooks/esimhooks/providers"
)

func init() {
	register("completion", "print a shell completion script: completion bash|zsh|fish", runCompletion)
	// __complete is what the scripts call; hidden from the command list.
	register("__complete", "", runComplete)
}

// Completion, as cobra does it: the scripts are thin and ask the binary
// itself, "esimhooks __complete WORD… CURRENT", for the candidates, so that
// they always match the binary's commands, flags and catalogue (with the
// --profile-file profiles already on the command line). The answer is one
// candidate a line, "value<TAB>description", then a directive line:
// ":0" nothing more, ":1" complete file names, ":2" directory names.
const (
	directiveNone  = 0
	directiveFiles = 1
	directiveDirs  = 2
)

// candidate is one completion.
type candidate struct{ value, desc string }

func runCompletion(ctx context.Context, e *env, args []string) error {
	fs := newFlags("completion", "bash|zsh|fish", e)
	shell := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		shell, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	script, ok := completionScripts[shell]
	if !ok {
		return &exitError{code: 2, msg: fmt.Sprintf("want a shell: bash, zsh or fish, not %q", shell), help: true}
	}
	_, err := io.WriteString(e.stdout, script)
	return err
}

func runComplete(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		args = []string{""}
	}
	cands, directive := complete(ctx, args[:len(args)-1], args[len(args)-1])
	for _, c := range cands {
		if c.desc != "" {
			fmt.Fprintf(e.stdout, "%s\t%s\n", c.value, oneClause(c.desc))
		} else {
			fmt.Fprintln(e.stdout, c.value)
		}
	}
	fmt.Fprintf(e.stdout, ":%d\n", directive)
	return nil
}

// complete returns the candidates for word cur after the words before it
// (the command line after "esimhooks"), and what the shell should complete
// on its own.
func complete(ctx context.Context, before []string, cur string) ([]candidate, int) {
	if len(before) == 0 {
		if strings.HasPrefix(cur, "-") {
			return matching(cur, []candidate{{"--help", "print the commands"}, {"--version", "print the version"}}), directiveNone
		}
		cands := []candidate{{"help", "print the commands, or a command's flags"}}
		for _, n := range commandNames() {
			cands = append(cands, candidate{n, commands[n].summary})
		}
		return matching(cur, cands), directiveNone
	}
	name := before[0]
	switch name {
	case "help":
		if len(before) > 1 {
			return nil, directiveNone
		}
		var cands []candidate
		for _, n := range commandNames() {
			cands = append(cands, candidate{n, commands[n].summary})
		}
		return matching(cur, cands), directiveNone
	case "completion":
		if len(before) > 1 {
			return nil, directiveNone
		}
		return matching(cur, []candidate{{"bash", ""}, {"fish", ""}, {"zsh", ""}}), directiveNone
	}
	fs := flagsOf(ctx, name)
	if fs == nil {
		return nil, directiveNone
	}
	words := before[1:]
	// --flag=value
	if strings.HasPrefix(cur, "-") {
		if flagName, val, ok := strings.Cut(strings.TrimLeft(cur, "-"), "="); ok {
			if f := fs.Lookup(flagName); f != nil && !isBool(f) {
				cands, directive := flagValues(fs, f.Name, words, val)
				for i := range cands {
					cands[i].value = "--" + f.Name + "=" + cands[i].value
				}
				return cands, directive
			}
			return nil, directiveNone
		}
		var cands []candidate
		fs.VisitAll(func(f *flag.Flag) { cands = append(cands, candidate{"--" + f.Name, f.Usage}) })
		return matching(cur, cands), directiveNone
	}
	// --flag value
	if n := len(words); n > 0 && strings.HasPrefix(words[n-1], "-") && !strings.Contains(words[n-1], "=") {
		if f := fs.Lookup(strings.TrimLeft(words[n-1], "-")); f != nil && !isBool(f) {
			return flagValues(fs, f.Name, words[:n-1], cur)
		}
	}
	// An argument: play's scenario.
	if name == "play" && !slices.ContainsFunc(words, func(w string) bool { return !strings.HasPrefix(w, "-") }) {
		var cands []candidate
		if lib, err := library(catalogueOf(words), lastValue(words, "scenarios")); err == nil {
			for _, s := range lib {
				cands = append(cands, candidate{s.Name, s.Title})
			}
		}
		return matching(cur, cands), directiveFiles
	}
	return nil, directiveNone
}

// flagsOf returns the flags of the named command: it runs the command with
// --help, output discarded, and newFlags hands the flag set over.
func flagsOf(ctx context.Context, name string) *flag.FlagSet {
	c, ok := visible(name)
	if !ok || name == "completion" {
		return nil
	}
	rec := &flagRecorder{Writer: io.Discard}
	_ = c.run(ctx, &env{strings.NewReader(""), rec, io.Discard, func(string) string { return "" }}, []string{"--help"})
	return rec.fs
}

// fileFlags complete to file names, dirFlags to directories.
var (
	fileFlags = []string{"profile-file", "payload", "db", "ca-file", "report-json", "report-html", "junit-report", "ginkgo-json-report", "json-report"}
	dirFlags  = []string{"scenarios"}
)

// flagValues returns the candidates for the value of flag name, given the
// words before it (for --provider, --variant and --profile-file).
func flagValues(fs *flag.FlagSet, name string, words []string, cur string) ([]candidate, int) {
	switch {
	case slices.Contains(fileFlags, name):
		return nil, directiveFiles
	case slices.Contains(dirFlags, name):
		return nil, directiveDirs
	}
	var cands []candidate
	cat := catalogueOf(words)
	provider, variant := lastValue(words, "provider"), lastValue(words, "variant")
	switch name {
	case "provider":
		for _, p := range cat.Profiles() {
			cands = append(cands, candidate{p.Name, p.Title})
			if strings.Contains(cur, "@") {
				for _, v := range p.Variants {
					cands = append(cands, candidate{v.ID(), v.Description})
				}
			}
		}
	case "variant":
		for _, p := range cat.Profiles() {
			if provider != "" && p.Name != strings.Split(provider, "@")[0] {
				continue
			}
			for _, v := range p.Variants {
				desc := v.Description
				if v.Default {
					desc = strings.TrimSuffix("default: "+desc, ": ")
				}
				cands = append(cands, candidate{v.Name, desc})
			}
		}
	case "event":
		var variants []*providers.Variant
		_, takesVariant := lookup(fs, "variant")
		switch {
		case provider == "":
			for _, p := range cat.Profiles() {
				variants = append(variants, p.Variants...)
			}
		case takesVariant || strings.Contains(provider, "@"):
			// The event of the variant the command will use.
			if v, err := cat.Variant(provider, variant); err == nil {
				variants = append(variants, v)
			}
		default:
			if p, err := cat.Profile(provider); err == nil {
				variants = p.Variants
			}
		}
		for _, v := range variants {
			for _, ev := range v.Events {
				if !slices.ContainsFunc(cands, func(c candidate) bool { return c.value == ev.Name }) {
					cands = append(cands, candidate{ev.Name, ev.Description})
				}
			}
		}
	case "encoding":
		for _, enc := range providers.Encodings {
			cands = append(cands, candidate{enc, ""})
		}
	case "store":
		cands = []candidate{{"sqlite", "a file, survives restarts"}, {"memory", "throwaway"}}
	case "log-format":
		cands = []candidate{{"text", ""}, {"json", ""}}
	case "log-level":
		cands = []candidate{{"debug", ""}, {"info", ""}, {"warn", ""}, {"error", ""}}
	}
	return matching(cur, cands), directiveNone
}

// catalogueOf is the catalogue with the --profile-file profiles of words
// (the shipped one when they do not load: completion never fails).
func catalogueOf(words []string) *providers.Catalogue {
	pf := providerFlags{}
	for i := range words {
		if v, ok := valueOf(words, i, "profile-file"); ok {
			pf.profileFiles = append(pf.profileFiles, v)
		}
	}
	if cat, err := pf.catalogue(); err == nil {
		return cat
	}
	return providers.MustBuiltin()
}

// lastValue is the value the last --name in words gives, or "".
func lastValue(words []string, name string) string {
	val := ""
	for i := range words {
		if v, ok := valueOf(words, i, name); ok {
			val = v
		}
	}
	return val
}

// valueOf returns the value words[i] gives flag name: "--name=v", or
// "--name" followed by "v".
func valueOf(words []string, i int, name string) (string, bool) {
	w := words[i]
	if !strings.HasPrefix(w, "-") {
		return "", false
	}
	n, v, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
	if n != name {
		return "", false
	}
	if hasValue {
		return v, true
	}
	if i+1 < len(words) {
		return words[i+1], true
	}
	return "", false
}

func lookup(fs *flag.FlagSet, name string) (*flag.Flag, bool) {
	f := fs.Lookup(name)
	return f, f != nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// matching keeps the candidates that start with prefix.
func matching(prefix string, cands []candidate) []candidate {
	return slices.DeleteFunc(cands, func(c candidate) bool { return !strings.HasPrefix(c.value, prefix) })
}

// oneClause is the first line and clause of a description, for a menu.
func oneClause(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	for _, sep := range []string{"; ", ". ", " ("} {
		s, _, _ = strings.Cut(s, sep)
	}
	return strings.ReplaceAll(s, "\t", " ")
}
