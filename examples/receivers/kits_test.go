//go:build unix

package receivers_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
	"github.com/esimhooks/esimhooks/conformance/conformancetest"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/internal/runtimes"
	"github.com/esimhooks/esimhooks/providers"
)

// The receiver kits are proven the way a partner's receiver is graded: each
// kit is started in its own runtime on loopback, for every variant of every
// shipped provider (the variants the Go reference receiver serves), and the
// whole conformance suite runs against it with its probe, --strict: every
// applicable requirement, MUST and SHOULD, must pass. The Go reference
// receiver runs alongside, configured and graded the same way. A variant
// added to the catalogue fails here until every kit serves it. These runs are also
// the suite's proof that it grades receivers it did not write, in languages
// other than Go.
//
// Each suite run goes in a child process (conformancetest: this test
// binary re-executed), because Ginkgo's suite is global; that is also what
// lets runs go in parallel.

// parallel is how many suite runs go at once: the runs mostly wait on
// loopback, and a 2-core machine also runs the kits' runtimes.
const parallel = 3

// startTimeout bounds a kit's start, up to the line saying where it listens.
const startTimeout = 30 * time.Second

// kit is one language's receiver and how to start it.
type kit struct {
	name string
	// tool is the runtime (in PATH).
	tool string
	// args start the kit in dir; port is "0" where the kit reports the
	// port it got, else a free port to listen on.
	args func(dir, port string) []string
	// env is added to the provider's RECEIVER_* variables.
	env func(t *testing.T) []string
	// choosesPort is false for a kit that cannot listen on port 0 and
	// report it (php -S).
	choosesPort bool
	// missing says why the kit cannot run here, or "".
	missing func() string
	// prepare, if set, builds the kit and returns its path as tool, or
	// why it cannot run here.
	prepare func() (tool, missing string)
}

// listening matches the line a kit prints once it listens: the kits'
// "webhook: URL", or the PHP built-in server's banner.
var listening = regexp.MustCompile(`(?:webhook: +|Development Server \()(http://127\.0\.0\.1:\d+)`)

var kits = []kit{
	{
		// The Go reference receiver, configured the same way, graded by
		// the same test: the yardstick the kits are held to.
		name: "go", choosesPort: true,
		args:    func(_, port string) []string { return []string{"--addr", "127.0.0.1:" + port} },
		prepare: buildGoReceiver,
	},
	{
		name: "node", tool: "node", choosesPort: true,
		args: func(dir, port string) []string {
			return []string{filepath.Join(dir, "node", "server.js"), "--addr", "127.0.0.1:" + port}
		},
		env: func(*testing.T) []string { return []string{"NODE_PATH=" + runtimes.NodeModules()} },
		missing: func() string {
			if !runtimes.HasNodePackage("express") {
				return fmt.Sprintf("npm package express is not installed in %s (run .ci/run, or set %s)", runtimes.NodeModules(), runtimes.NodeModulesEnv)
			}
			return ""
		},
	},
	{
		name: "php", tool: "php",
		args: func(dir, port string) []string {
			return []string{"-S", "127.0.0.1:" + port, filepath.Join(dir, "php", "router.php")}
		},
		env: func(t *testing.T) []string {
			// PHP keeps its state in a file; several workers serve
			// concurrent deliveries, as a PHP host does.
			return []string{"RECEIVER_STATE=" + filepath.Join(t.TempDir(), "state.json"), "PHP_CLI_SERVER_WORKERS=4"}
		},
	},
	{
		name: "python", tool: "python3", choosesPort: true,
		args: func(dir, port string) []string {
			return []string{filepath.Join(dir, "python", "receiver.py"), "--addr", "127.0.0.1:" + port}
		},
	},
}

func TestMain(m *testing.M) {
	if conformancetest.IsChild() {
		os.Exit(conformancetest.ChildMain())
	}
	code := m.Run()
	if goBuild.dir != "" {
		os.RemoveAll(goBuild.dir)
	}
	os.Exit(code)
}

// goBuild is the Go reference receiver, built once per test binary.
var goBuild struct {
	once          sync.Once
	dir, bin, why string
}

// buildGoReceiver builds examples/receiver (without -race: it is the
// receiver under test, not the code under test).
func buildGoReceiver() (string, string) {
	goBuild.once.Do(func() {
		gotool, ok := runtimes.Find("go")
		if !ok {
			goBuild.why = "go is not in PATH"
			return
		}
		dir, err := os.MkdirTemp("", "esimhooks-kits-")
		if err != nil {
			goBuild.why = err.Error()
			return
		}
		goBuild.dir, goBuild.bin = dir, filepath.Join(dir, "receiver")
		out, err := exec.Command(gotool, "build", "-o", goBuild.bin, "github.com/esimhooks/esimhooks/examples/receiver").CombinedOutput()
		if err != nil {
			goBuild.why = fmt.Sprintf("go build ./examples/receiver: %v\n%s", err, out)
		}
	})
	return goBuild.bin, goBuild.why
}

// sem bounds the suite runs of every test of the package.
var sem = make(chan struct{}, parallel)

// TestKits runs the suite against every kit for every variant (-short: the
// providers' default variants), a few runs at a time.
func TestKits(t *testing.T) {
	t.Parallel()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var vs []*providers.Variant
	for _, p := range providers.MustBuiltin().Profiles() {
		if testing.Short() {
			vs = append(vs, p.Default())
		} else {
			vs = append(vs, p.Variants...)
		}
	}
	passed := &passedSets{byVariant: map[string]map[string]string{}}
	t.Cleanup(func() { passed.compare(t) }) // after every subtest
	for _, k := range kits {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			tool := requireKit(t, k)
			var runs sync.WaitGroup
			for _, v := range vs {
				runs.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					t.Run(v.ID(), func(t *testing.T) {
						if ids := checkKit(t, k, tool, dir, v); ids != "" {
							passed.add(v.ID(), k.name, ids)
						}
					})
				})
			}
			runs.Wait()
		})
	}
}

// passedSets records which requirements each kit passed for each variant.
type passedSets struct {
	mu        sync.Mutex
	byVariant map[string]map[string]string // variant → kit → passed IDs
}

func (p *passedSets) add(variant, kit, ids string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byVariant[variant] == nil {
		p.byVariant[variant] = map[string]string{}
	}
	p.byVariant[variant][kit] = ids
}

// compare checks that every kit passed, for each variant, exactly the
// requirements the Go reference receiver passed: what applies depends on
// the provider, never on the language the receiver is written in.
func (p *passedSets) compare(t *testing.T) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for variant, kits := range p.byVariant {
		ref, ok := kits["go"]
		if !ok {
			continue
		}
		for kit, ids := range kits {
			if ids != ref {
				t.Errorf("%s: the %s kit passed %s, the Go receiver %s", variant, kit, ids, ref)
			}
		}
	}
}

// requireKit returns the path of k's runtime, or skips t with the reason
// k cannot run here.
func requireKit(t *testing.T, k kit) string {
	t.Helper()
	if k.prepare != nil {
		tool, why := k.prepare()
		if why != "" {
			t.Fatalf("the %s kit cannot run: %s", k.name, why)
		}
		return tool
	}
	tool, ok := runtimes.Find(k.tool)
	if !ok {
		t.Skipf("%s is not in PATH: the %s kit is not run", k.tool, k.name)
	}
	if k.missing != nil {
		if why := k.missing(); why != "" {
			t.Skipf("%s: the %s kit is not run", why, k.name)
		}
	}
	return tool
}

// checkKit starts k for v and grades it: exit 0, verdict passed, nothing
// failed or blocked, and no probe requirement skipped for want of the probe.
// It returns the IDs of the passed requirements, or "" when the run failed.
func checkKit(t *testing.T, k kit, tool, dir string, v *providers.Variant) string {
	res, p := grade(t, k, tool, dir, v)
	if res.Summary == nil {
		t.Fatalf("no summary (exit %d):\n%s\nkit output:\n%s", res.Code, res.Stderr, p.output())
	}
	s := res.Summary
	var bad []string
	for _, r := range s.Requirements {
		switch {
		case r.Outcome == conformance.OutcomeFailed || r.Outcome == conformance.OutcomeBlocked:
			bad = append(bad, fmt.Sprintf("%s %s: %s", r.ID, r.Outcome, r.Evidence))
		case r.Outcome == conformance.OutcomeSkipped && strings.Contains(r.Evidence, "needs --probe"):
			bad = append(bad, r.ID+" skipped although the probe was given")
		}
	}
	if len(bad) > 0 || s.Verdict != conformance.VerdictPassed || res.Code != 0 {
		t.Errorf("%s kit × %s: verdict %q, exit %d, want passed and 0:\n  %s\nkit output:\n%s",
			k.name, v.ID(), s.Verdict, res.Code, strings.Join(bad, "\n  "), p.output())
		return ""
	}
	passed, _, skipped := s.Counts()
	t.Logf("%s kit × %s: %d passed, %d skipped (not applicable) in %s", k.name, v.ID(), passed, skipped, res.Elapsed.Round(time.Millisecond))
	var ids []string
	for _, r := range s.Requirements {
		if r.Outcome == conformance.OutcomePassed {
			ids = append(ids, r.ID)
		}
	}
	return strings.Join(ids, " ")
}

// grade starts k (its files under dir) for v with a fresh secret and runs
// the suite against it, --strict, with its probe.
func grade(t *testing.T, k kit, tool, dir string, v *providers.Variant) (conformancetest.Result, *process) {
	t.Helper()
	secret := receivertest.Secret(t, v) // eSIM Access's kits ignore it: it signs nothing
	p := startKit(t, k, tool, dir, v, secret)
	co := conformancetest.Options{Provider: v.Provider.Name, Variant: v.Name, Target: p.base + "/hook", Probe: p.base + "/probe", Secret: secret,
		Strict: true, Timeout: 2 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return conformancetest.Run(ctx, t, co), p
}

// process is a running kit: its base URL and the tail of its output.
type process struct {
	base string
	mu   sync.Mutex
	tail []string
}

// output returns the kit's last lines of output.
func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

func (p *process) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tail = append(p.tail, line); len(p.tail) > 40 {
		p.tail = p.tail[1:]
	}
}

// startKit starts k for v in its own process group, waits for the line
// saying where it listens, and stops the group (PHP's workers included)
// when t ends. A kit that cannot listen on port 0 gets a free port; if
// another process takes that port first, it is started again.
func startKit(t *testing.T, k kit, tool, dir string, v *providers.Variant, secret string) *process {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := "0"
		if !k.choosesPort {
			port = freePort(t)
		}
		p, exited := tryStart(t, k, tool, dir, v, secret, port)
		if !exited {
			return p
		}
		if k.choosesPort || attempt == 3 || !strings.Contains(p.output(), "Failed to listen") {
			t.Fatalf("the %s kit did not start for %s:\n%s", k.name, v.ID(), p.output())
		}
	}
}

// tryStart starts k once; exited reports that it ended before listening.
func tryStart(t *testing.T, k kit, tool, dir string, v *providers.Variant, secret, port string) (p *process, exited bool) {
	cmd := exec.Command(tool, k.args(dir, port)...)
	cmd.Env = append(os.Environ(), "RECEIVER_PROVIDER="+v.Provider.Name, "RECEIVER_VARIANT="+v.Name, "RECEIVER_SECRET="+secret)
	if k.env != nil {
		cmd.Env = append(cmd.Env, k.env(t)...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p = &process{}
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.add(sc.Text())
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
	}()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group: PHP's workers too
		<-done
		_ = cmd.Wait()
	}
	select {
	case p.base = <-ready:
		t.Cleanup(stop)
		return p, false
	case <-done:
		stop()
		return p, true
	case <-time.After(startTimeout):
		stop()
		t.Fatalf("the %s kit said nothing about listening within %s:\n%s", k.name, startTimeout, p.output())
		return nil, true
	}
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
