package conformance

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified
	"github.com/onsi/ginkgo/v2/types"

	"github.com/esimhooks/esimhooks/providers"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds a whole run: a hostile target that hangs on
	// every request still gets its verdict by then.
	DefaultTimeout = 3 * time.Minute
	// DefaultRequestTimeout bounds each request that is not timed against
	// the provider's deadline (those get the deadline plus a margin).
	DefaultRequestTimeout = 10 * time.Second
	// DefaultProbeWait is how long the suite waits for an effect to show
	// in the probe (a receiver may apply events from a queue).
	DefaultProbeWait = 5 * time.Second
)

// Options configures Run: the flags of `esimhooks check`.
type Options struct {
	// Provider is a provider name, or "name@variant".
	Provider string
	// Variant is the provider's variant; empty is the default.
	Variant string
	// Target is the receiver's webhook URL (http or https).
	Target string
	// Secret is the signing secret the receiver verifies with; required
	// for every provider that signs (all but esimaccess). Never logged.
	Secret string
	// Probe is the base URL of the receiver's probe; empty skips the
	// requirements that need it.
	Probe string
	// Strict makes every applicable SHOULD count towards passing.
	Strict bool
	// Production enables TLS-001 (HTTPS with a valid certificate).
	Production bool
	// CAFile is a PEM file of extra root certificates for the target and
	// the probe (a staging endpoint behind a private CA).
	CAFile string
	// Insecure skips certificate verification (self-signed staging). It
	// cannot be combined with Production.
	Insecure bool
	// Headers are added to every request (a partner gateway's API key);
	// they never replace a header the provider sends and are not signed.
	Headers http.Header
	// LabelFilter is a Ginkgo label filter over the requirement labels
	// (IDs, MUST/SHOULD, categories, probe, production); see labels.go.
	LabelFilter string
	// DryRun lists what would run and why the rest is skipped, sending
	// nothing.
	DryRun bool
	// ReportJSON, JUnitReport and JSONReport are files to write: the
	// summary (see Summary), the JUnit report (one test case per
	// requirement, see junit.go) and Ginkgo's JSON
	// report.
	ReportJSON, JUnitReport, JSONReport string
	// ReportHTML is a file to write the self-contained HTML report to
	// (report_html.go).
	ReportHTML string
	// Output receives the progress lines and the final table; nil
	// discards them.
	Output io.Writer
	// GinkgoOutput receives Ginkgo's own console report; nil discards it.
	GinkgoOutput io.Writer
	// Timeout bounds the whole run; 0 means DefaultTimeout, a negative
	// value is refused (there is no unbounded run).
	Timeout time.Duration
	// RequestTimeout bounds each untimed request; 0 means
	// DefaultRequestTimeout, a negative value is refused.
	RequestTimeout time.Duration
	// ProbeWait bounds the wait for an effect to show in the probe (the
	// preflight's included); 0 means DefaultProbeWait, a negative value is
	// refused.
	ProbeWait time.Duration
	// Catalogue holds the provider profiles; nil means the shipped ones.
	Catalogue *providers.Catalogue
	// Seed makes the generated events reproducible; 0 draws one (the
	// summary reports it).
	Seed uint64
	// Scenarios is a directory of extra scenario files; SCN-001 plays
	// them with the shipped library's scenarios for the run's variant.
	Scenarios string

	// goTest is set by the go test entry point (conformance_test.go): the
	// Ginkgo configuration from the ginkgo flags and the test's T.
	goTest *goTestRun
}

// goTestRun is how the go test entry point runs the suite: with Ginkgo's
// flags (parallel runs under the ginkgo CLI included) and its *testing.T.
type goTestRun struct {
	t        GinkgoTestingT
	suite    types.SuiteConfig
	reporter types.ReporterConfig
}

// ErrUsage is wrapped by every error of bad usage or configuration: an
// unknown provider, a bad flag value, a target unreachable at the start.
// ExitCode maps it to 2.
var ErrUsage = errors.New("usage")

// UsageError is a bad usage or configuration, in one line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrUsage) true.
func (e *UsageError) Unwrap() error { return ErrUsage }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ParseHeader reads one --header value, "Name: value".
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return "", "", usagef("--header %q: want 'Name: value'", s)
	}
	return textproto.CanonicalMIMEHeaderKey(name), value, nil
}

// withDefaults returns o with zero durations replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ProbeWait == 0 {
		o.ProbeWait = DefaultProbeWait
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.GinkgoOutput == nil {
		o.GinkgoOutput = io.Discard
	}
	return o
}

// resolve checks o and returns the provider catalogue and the variant it
// selects. Every error wraps ErrUsage.
func (o Options) resolve() (*providers.Catalogue, *providers.Variant, error) {
	v, cat, err := o.resolveVariant()
	return cat, v, err
}

func (o Options) resolveVariant() (*providers.Variant, *providers.Catalogue, error) {
	if o.Provider == "" {
		return nil, nil, usagef("--provider is required")
	}
	cat := o.Catalogue
	if cat == nil {
		var err error
		if cat, err = providers.Builtin(); err != nil {
			return nil, nil, usagef("%v", err)
		}
	}
	v, err := cat.Variant(o.Provider, o.Variant)
	if err != nil {
		return nil, nil, usagef("%v", err)
	}
	if o.Target == "" {
		return nil, nil, usagef("--target is required")
	}
	if err := checkURL("--target", o.Target); err != nil {
		return nil, nil, err
	}
	if o.Probe != "" {
		if err := checkURL("--probe", o.Probe); err != nil {
			return nil, nil, err
		}
	}
	if o.Secret == "" && v.Signature.Scheme != "none" && !o.DryRun {
		return nil, nil, usagef("--secret is required: %s signs every delivery (%s)", v.ID(), v.Signature.Scheme)
	}
	if o.Secret != "" {
		if _, err := v.Signer(o.Secret); err != nil {
			// The error names the format, never the secret.
			return nil, nil, usagef("--secret does not suit %s: %v", v.ID(), err)
		}
	}
	if o.Insecure && o.Production {
		return nil, nil, usagef("--insecure and --production exclude each other: production needs a valid certificate")
	}
	if o.LabelFilter != "" {
		if _, err := parseLabelFilter(o.LabelFilter); err != nil {
			return nil, nil, err
		}
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{{"--timeout", o.Timeout}, {"--request-timeout", o.RequestTimeout}, {"--probe-wait", o.ProbeWait}} {
		if d.d < 0 {
			return nil, nil, usagef("%s %s: want a positive duration", d.flag, d.d)
		}
	}
	for name := range o.Headers {
		if strings.ContainsAny(name, " \t\r\n:") {
			return nil, nil, usagef("--header %q: bad header name", name)
		}
	}
	return v, cat, nil
}

func checkURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("%s %q: want an http:// or https:// URL", flag, s)
	}
	return nil
}
