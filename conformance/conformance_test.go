package conformance

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	"github.com/onsi/gomega"
)

// The flags of the Ginkgo way of running the suite:
//
//	go test ./conformance -run TestConformance -args --provider roamify \
//	    --target https://staging.example.com/hooks/roamify --secret … \
//	    --probe https://staging.example.com/conformance-probe
//
// or `ginkgo ./conformance -- --provider …`. Ginkgo's own flags
// (--ginkgo.label-filter, --ginkgo.junit-report, --ginkgo.json-report,
// --ginkgo.v) apply too; --label-filter is the same as
// --ginkgo.label-filter.
var (
	flagProvider    = flag.String("provider", "", "provider, or provider@variant")
	flagVariant     = flag.String("variant", "", "provider variant (default: the provider's default)")
	flagTarget      = flag.String("target", "", "the receiver's webhook URL; without it TestConformance is skipped")
	flagSecret      = flag.String("secret", os.Getenv("ESIMHOOKS_SECRET"), "signing secret (default $ESIMHOOKS_SECRET)")
	flagProbe       = flag.String("probe", "", "base URL of the receiver's probe")
	flagStrict      = flag.Bool("strict", false, "SHOULD requirements count too")
	flagProduction  = flag.Bool("production", false, "check TLS-001 (HTTPS with a valid certificate)")
	flagCAFile      = flag.String("ca-file", "", "PEM file of extra root certificates")
	flagInsecure    = flag.Bool("insecure", false, "skip certificate verification")
	flagLabelFilter = flag.String("label-filter", "", "Ginkgo label filter over requirement labels")
	flagDryRun      = flag.Bool("dry-run", false, "list what would run, sending nothing")
	flagReportJSON  = flag.String("report-json", "", "write the summary to this file")
	flagRunTimeout  = flag.Duration("run-timeout", DefaultTimeout, "bound on the whole run")
	flagHeaders     headerFlag
)

func init() {
	flag.Var(&flagHeaders, "header", "extra header 'Name: value' (repeatable)")
}

// headerFlag collects repeated --header values.
type headerFlag []string

func (h *headerFlag) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlag) Set(s string) error { *h = append(*h, s); return nil }

// TestConformance is the Ginkgo entry point: it runs the suite against
// --target, as `esimhooks check` does, and fails when the run does not
// pass (SHOULD failures count with --strict only).
func TestConformance(t *testing.T) {
	if *flagTarget == "" {
		t.Skip("no --target: run with -args --provider P --target URL [--secret S] [--probe URL]")
	}
	gomega.RegisterFailHandler(Fail)
	o := Options{
		Provider: *flagProvider, Variant: *flagVariant, Target: *flagTarget, Secret: *flagSecret,
		Probe: *flagProbe, Strict: *flagStrict, Production: *flagProduction, CAFile: *flagCAFile,
		Insecure: *flagInsecure, LabelFilter: *flagLabelFilter, DryRun: *flagDryRun,
		ReportJSON: *flagReportJSON, Timeout: *flagRunTimeout, Output: os.Stdout, GinkgoOutput: os.Stdout,
	}
	for _, h := range flagHeaders {
		name, value, err := ParseHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if o.Headers == nil {
			o.Headers = map[string][]string{}
		}
		o.Headers[name] = append(o.Headers[name], value)
	}
	suiteCfg, reporterCfg := GinkgoConfiguration()
	gt := &recordingT{}
	o.goTest = &goTestRun{t: gt, suite: suiteCfg, reporter: reporterCfg}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout+time.Minute)
	defer cancel()
	sum, err := Run(ctx, o)
	if code := ExitCode(sum, err); code != 0 {
		if err != nil {
			t.Fatalf("exit code %d: %v", code, err)
		}
		t.Fatalf("exit code %d: the receiver failed a requirement (see the table above)", code)
	}
}

// recordingT is the GinkgoTestingT of TestConformance: whether the run
// passed is the summary's call (a failed SHOULD does not fail without
// --strict), so Ginkgo's Fail is only noted.
type recordingT struct{ failed bool }

// Fail notes that a spec failed.
func (r *recordingT) Fail() { r.failed = true }
