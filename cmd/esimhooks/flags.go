package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// newFlags returns a flag set that reports errors instead of exiting. Its
// usage is printed for --help only (parse); a bad flag is one line.
func newFlags(name, usage string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(e.stdout, strings.TrimSpace("Usage: esimhooks "+name+" "+usage))
		printFlags(e.stdout, fs)
	}
	if r, ok := e.stdout.(*flagRecorder); ok {
		r.fs = fs
	}
	return fs
}

// printFlags lists fs's flags as flag.PrintDefaults does, but written as
// users type them: "--to URL".
func printFlags(w io.Writer, fs *flag.FlagSet) {
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if n++; n == 1 {
			fmt.Fprint(w, "\nFlags:\n")
		}
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" && def != "[]" {
			if kind == "string" {
				def = strconv.Quote(def)
			}
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	})
}

// flagRecorder is the stdout of a command that completion runs with
// --help to learn its flags: newFlags hands it the command's flag set.
type flagRecorder struct {
	io.Writer
	fs *flag.FlagSet
}

// parse parses args; --help prints the usage and ends the command with 0,
// and a bad flag ends it with one line naming the flag (flagError), not
// the usage.
func parse(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on errors too
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return &exitError{code: 0}
	}
	if err != nil {
		return flagError(fs, err)
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q: esimhooks %s takes flags only", fs.Arg(0), fs.Name()), help: true}
	}
	return nil
}

// The flag package's parse errors (flag.FlagSet.parseOne), which flagError
// rewrites to name the flag as users write it.
var (
	errUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	errNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	errBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]*): (.*)$`)
	errBoolFlag  = regexp.MustCompile(`^invalid boolean flag ([^:]*): (.*)$`)
	errSyntax    = regexp.MustCompile(`^bad flag syntax: (.*)$`)
)

// flagError turns a flag parse error into one line that starts with the
// flag: `--seed "x": must be a non-negative integer`, `--frob: unknown
// flag (did you mean --from?)`, `--to: needs a value`.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if m := errUndefined.FindStringSubmatch(msg); m != nil {
		name, _, _ := strings.Cut(m[1], "=")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "--" + name + ": unknown flag"
		if near := providers.Nearest(name, names); near != "" {
			msg += " (did you mean --" + strings.ReplaceAll(near, " or ", " or --") + "?)"
		}
	} else if m := errNeedsArg.FindStringSubmatch(msg); m != nil {
		msg = "--" + m[1] + ": needs a value (" + valueHint(fs.Lookup(m[1])) + ")"
	} else if m := errBadValue.FindStringSubmatch(msg); m != nil {
		problem := m[3]
		if problem == "parse error" || problem == "value out of range" {
			problem = "want " + valueHint(fs.Lookup(m[2]))
		}
		msg = "--" + m[2] + " " + m[1] + ": " + problem
	} else if m := errBoolFlag.FindStringSubmatch(msg); m != nil {
		msg = "--" + m[1] + ": " + m[2]
	} else if m := errSyntax.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%q: bad flag syntax (flags are --name or --name=value)", m[1])
	}
	return &exitError{code: 2, msg: msg, help: true}
}

// valueHint says what a flag's value looks like, from its type.
func valueHint(f *flag.Flag) string {
	if f == nil {
		return "see its help"
	}
	switch g, _ := f.Value.(flag.Getter); g.Get().(type) {
	case bool:
		return "true or false"
	case int, int64:
		return "a whole number, e.g. " + f.DefValue
	case uint, uint64:
		return "a whole number ≥ 0, e.g. " + f.DefValue
	case float64:
		return "a number, e.g. " + f.DefValue
	case time.Duration:
		return "a duration such as 500ms, 10s or 2m"
	}
	u, _, _ := strings.Cut(oneClause(f.Usage), ": ")
	return u
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// providerFlags are the flags every command that picks an event shares.
type providerFlags struct {
	provider, variant string
	profileFiles      multi
}

func (p *providerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.provider, "provider", "", "provider: "+strings.Join(providers.MustBuiltin().Names(), ", ")+" (or one from --profile-file); provider@variant also works")
	fs.StringVar(&p.variant, "variant", "", "provider variant (default: the seed document's form)")
	p.registerProfiles(fs)
}

// registerProfiles registers --profile-file alone, for commands that serve
// every provider.
func (p *providerFlags) registerProfiles(fs *flag.FlagSet) {
	fs.Var(&p.profileFiles, "profile-file", "load an extra provider profile (YAML/JSON, validated against schemas/profile.schema.json), or every *.yaml profile of a directory laid out like the shipped ones; repeatable")
}

// catalogue returns the shipped profiles plus any --profile-file.
func (p *providerFlags) catalogue() (*providers.Catalogue, error) {
	cat, err := providers.Builtin()
	if err != nil {
		return nil, err
	}
	for _, f := range p.profileFiles {
		profs, err := providers.LoadPath(f)
		if err != nil {
			return nil, usageErr("--profile-file %s: %v", f, err)
		}
		for _, prof := range profs {
			if err := cat.Add(prof); err != nil {
				return nil, usageErr("--profile-file %s: %v", f, err)
			}
		}
	}
	return cat, nil
}

// resolve returns the selected variant; the provider is required.
func (p *providerFlags) resolve() (*providers.Catalogue, *providers.Variant, error) {
	cat, err := p.catalogue()
	if err != nil {
		return nil, nil, err
	}
	if p.provider == "" {
		return nil, nil, usageErr("--provider is required (valid: %s)", strings.Join(cat.Names(), ", "))
	}
	v, err := cat.Variant(p.provider, p.variant)
	if err != nil {
		return nil, nil, p.lookupErr(err)
	}
	return cat, v, nil
}

// lookupErr is the usage error of a catalogue lookup: an unknown name
// starts with the flag that gave it, `--provider: unknown provider
// "esimfy" (valid: …); did you mean esimfly?`. Every command that takes
// --provider, --variant or --event reports unknown names this way.
func (p *providerFlags) lookupErr(err error) error {
	var u *providers.UnknownError
	if !errors.As(err, &u) {
		return usageErr("%v", err)
	}
	flag := "--provider"
	switch {
	case strings.HasPrefix(u.What, "event"):
		flag = "--event"
	case strings.HasPrefix(u.What, "variant") && !strings.Contains(p.provider, "@"):
		flag = "--variant"
	}
	return usageErr("%s: %v", flag, err)
}

// checkFilter validates the --provider and --event a command filters by
// (tail): the provider must be in the catalogue, and the event one of its
// events, or of any provider's when no provider is given.
func (p *providerFlags) checkFilter(event string) error {
	if p.provider == "" && event == "" {
		return nil
	}
	cat, err := p.catalogue()
	if err != nil {
		return err
	}
	profiles := cat.Profiles()
	if p.provider != "" {
		prof, err := cat.Profile(p.provider)
		if err != nil {
			return p.lookupErr(err)
		}
		profiles = []*providers.Profile{prof}
	}
	if event == "" {
		return nil
	}
	var names []string
	for _, prof := range profiles {
		for _, v := range prof.Variants {
			for _, ev := range v.Events {
				if ev.Name == event {
					return nil
				}
				if !slices.Contains(names, ev.Name) {
					names = append(names, ev.Name)
				}
			}
		}
	}
	what := "event"
	if p.provider != "" {
		what += " of " + p.provider
	}
	return p.lookupErr(&providers.UnknownError{What: what, Name: event, Choices: names})
}
