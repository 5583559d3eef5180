package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
)

func init() {
	register("check", "grade a webhook receiver requirement by requirement (conformance suite)", runCheck)
}

func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags("check", "--provider P [--variant V] --target URL [--secret S] [--probe URL] [--strict] [--production] [...]", e)
	var pf providerFlags
	pf.register(fs)
	var o conformance.Options
	fs.StringVar(&o.Target, "target", "", "the receiver's webhook URL")
	fs.StringVar(&o.Secret, "secret", "", "the signing secret the receiver verifies with (all providers but esimaccess)")
	fs.StringVar(&o.Probe, "probe", "", "base URL of the receiver's probe (openapi/probe.yaml); without it probe requirements are skipped")
	fs.BoolVar(&o.Strict, "strict", false, "fail on any applicable SHOULD too")
	fs.BoolVar(&o.Production, "production", false, "require HTTPS with a valid certificate and TLS ≥ 1.2 (TLS-001)")
	fs.StringVar(&o.CAFile, "ca-file", "", "PEM file of extra CAs for a staging endpoint behind a private CA")
	fs.BoolVar(&o.Insecure, "insecure", false, "skip certificate verification (self-signed staging; not with --production)")
	fs.StringVar(&o.LabelFilter, "label-filter", "", "run only the requirements matching this Ginkgo label filter, e.g. 'SIG || IDM', 'MUST && !probe'")
	fs.BoolVar(&o.DryRun, "dry-run", false, "list what would run and why the rest is skipped, sending nothing")
	fs.StringVar(&o.ReportJSON, "report-json", "", "write esimhooks' summary (the verdict, and every requirement: id, level, outcome, evidence) to FILE; not Ginkgo's --ginkgo-json-report")
	fs.StringVar(&o.JUnitReport, "junit-report", "", "write a JUnit XML report to FILE (for CI): one test case per requirement, classname esimhooks.<category>")
	fs.StringVar(&o.ReportHTML, "report-html", "", "write a self-contained HTML report to FILE (to share, or keep as a CI artifact): verdict, every requirement with evidence and, for a failure, how to fix it")
	fs.StringVar(&o.JSONReport, "ginkgo-json-report", "", "write Ginkgo's own JSON report (its spec tree and timings, for Ginkgo tooling) to FILE; the verdict per requirement is --report-json")
	fs.StringVar(&o.JSONReport, "json-report", "", "alias of --ginkgo-json-report (Ginkgo's name for it); not --report-json")
	fs.DurationVar(&o.Timeout, "timeout", conformance.DefaultTimeout, "bound the whole run (a positive duration)")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", conformance.DefaultRequestTimeout, "bound each request that is not timed against the provider's deadline")
	fs.DurationVar(&o.ProbeWait, "probe-wait", conformance.DefaultProbeWait, "how long to wait for an effect to show in the probe (a receiver may apply from a queue)")
	fs.StringVar(&o.Scenarios, "scenarios", "", "a directory of extra scenario files played by SCN-001 with the shipped ones")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed for the generated events (0: random; the summary reports it)")
	list := fs.Bool("requirements", false, "print the requirement catalogue as a Markdown table and exit")
	var headers multi
	fs.Var(&headers, "header", "an extra header 'Name: value' a gateway needs, sent with every request and never signed; repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *list {
		writeRequirements(e.stdout)
		return nil
	}
	// There is no unbounded run: zero and negative bounds are refused.
	for _, b := range []struct {
		name string
		d    time.Duration
	}{{"timeout", o.Timeout}, {"request-timeout", o.RequestTimeout}, {"probe-wait", o.ProbeWait}} {
		if b.d <= 0 {
			return usageErr("--%s %s: want a positive duration, e.g. --%s %s", b.name, b.d, b.name, fs.Lookup(b.name).DefValue)
		}
	}
	// The provider and variant are checked as every command checks them.
	cat, _, err := pf.resolve()
	if err != nil {
		return err
	}
	o.Catalogue, o.Provider, o.Variant = cat, pf.provider, pf.variant
	o.Headers = http.Header{}
	if err := addHeaderFlags(o.Headers, headers); err != nil {
		return err
	}
	o.Output = e.stdout
	sum, err := conformance.Run(ctx, o)
	switch code := conformance.ExitCode(sum, err); code {
	case 0:
		return nil
	case 2:
		return usageErr("%v", trimUsage(err))
	default:
		if err != nil {
			return failErr("%v", err)
		}
		return &exitError{code: 1}
	}
}

// trimUsage drops the "usage: " prefix the conformance errors carry.
func trimUsage(err error) error {
	var ue *conformance.UsageError
	if errors.As(err, &ue) {
		return ue
	}
	return err
}
