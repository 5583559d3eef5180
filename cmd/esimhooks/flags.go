package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/esimhooks/esimhooks/providers"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, usage string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: esimhooks %s %s\n\nFlags:\n", name, usage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args; --help prints the usage and ends the command with 0.
func parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		// The flag package has printed the usage already.
		return &exitError{0, ""}
	}
	if err != nil {
		return usageErr("%v (see esimhooks %s --help)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (see esimhooks %s --help)", fs.Arg(0), fs.Name())
	}
	return nil
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
		return nil, nil, usageErr("%v", err)
	}
	return cat, v, nil
}
