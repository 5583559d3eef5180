package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/esimhooks/esimhooks/conformance/scenario"
	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
)

func init() {
	register("play", "play a scenario (a file or a shipped name) against a receiver and check its expectations", runPlay)
}

func runPlay(ctx context.Context, e *env, args []string) error {
	fs := newFlags("play", "FILE|NAME --to URL [--secret S] [--probe URL] [--time-scale X] | --list", e)
	var pf providerFlags // the scenario names its provider
	pf.registerProfiles(fs)
	to := fs.String("to", "", "the receiver's URL")
	secret := fs.String("secret", "", "the signing secret (not needed for providers without a signature)")
	probe := fs.String("probe", "", "base URL of the receiver's probe (see openapi/probe.yaml); without it probe expectations are skipped")
	scale := fs.Float64("time-scale", 1, "multiply the scenario's delays and retry waits by this (0 = no waiting)")
	dir := fs.String("scenarios", "", "a directory of extra scenario files")
	list := fs.Bool("list", false, "list the scenario library and exit")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	var extra multi
	fs.Var(&extra, "header", "an extra header 'Name: value' (not signed); repeatable")
	// The scenario may come before the flags: play FILE --to URL.
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	cat, err := pf.catalogue()
	if err != nil {
		return err
	}
	lib, err := library(cat, *dir)
	if err != nil {
		return err
	}
	if *list {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPROVIDER\tSTEPS\tTITLE")
		for _, s := range lib {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, s.VariantID(), len(s.Steps), s.Title)
		}
		return tw.Flush()
	}
	if target == "" {
		return &exitError{code: 2, msg: "name a scenario file or one of the library's names (esimhooks play --list)", help: true}
	}
	sc, err := pickScenario(cat, lib, target)
	if err != nil {
		return err
	}
	if err := checkURL(*to); err != nil {
		return err
	}
	if sc.Variant.Signature.Scheme != "none" && *secret == "" {
		return usageErr("--secret is required for %s", sc.VariantID())
	}
	h := http.Header{}
	if err := addHeaderFlags(h, extra); err != nil {
		return err
	}
	tlsConf, err := wire.TLSConfig("", *insecure)
	if err != nil {
		return err
	}
	res, err := scenario.Play(ctx, sc, scenario.Target{URL: *to, Secret: *secret, Probe: *probe, Headers: h, TLS: tlsConf},
		scenario.Options{TimeScale: *scale, Progress: func(s scenario.StepResult) {
			mark := "✓"
			for _, x := range s.Expectations {
				if x.Outcome == scenario.Failed {
					mark = "✗"
				}
			}
			fmt.Fprintf(e.stderr, "  %s %s\n", mark, s.Label)
		}})
	if res == nil {
		return usageErr("%v", err)
	}
	scenario.Print(e.stdout, res)
	if err != nil {
		return failErr("%v", err)
	}
	if !res.Passed() {
		return failErr("scenario %s failed", sc.Name)
	}
	return nil
}

func library(cat *providers.Catalogue, dir string) ([]*scenario.Scenario, error) {
	lib, err := scenario.LibraryWith(cat, dir)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return lib, nil
}

func pickScenario(cat *providers.Catalogue, lib []*scenario.Scenario, target string) (*scenario.Scenario, error) {
	if _, err := os.Stat(target); err == nil {
		sc, err := scenario.LoadFile(target, cat)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		return sc, nil
	}
	var names []string
	for _, s := range lib {
		if s.Name == target {
			return s, nil
		}
		names = append(names, s.Name)
	}
	msg := fmt.Sprintf("no scenario file or library scenario %q (library: %s)", target, strings.Join(names, ", "))
	if near := providers.Nearest(target, names); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return nil, usageErr("%s", msg)
}
