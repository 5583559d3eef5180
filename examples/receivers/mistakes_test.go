//go:build unix

package receivers_test

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/conformance"
	"github.com/esimhooks/esimhooks/providers"
)

// sampleMistake is a mistake of a provider's own sample (issue 14; the
// README's "Receiver kits" says what each sample gets wrong), put into a
// copy of a kit by replacing its correct lines.
type sampleMistake struct {
	name, kit, provider, variant string
	// file is the kit's file, relative to examples/receivers.
	file string
	// edits are old → new replacements; each old occurs exactly once.
	edits [][2]string
	// failed are the requirements the suite must fail, exactly; empty
	// means the run must stop in the preflight (exit 2, nothing graded).
	failed []string
	// stop is a fragment of the preflight's line when failed is empty.
	stop string
}

var sampleMistakes = []sampleMistake{
	{
		// eSIMfly's seed (2025-01) compares with crypto.timingSafeEqual
		// without checking the lengths first: it throws, Express answers 500.
		name: "esimfly-express-timingSafeEqual", kit: "node", provider: "esimfly", variant: "2025-01",
		file:   "node/server.js",
		edits:  [][2]string{{"return a.length === b.length && crypto.timingSafeEqual(a, b);", "return crypto.timingSafeEqual(a, b);"}},
		failed: []string{"SIG-006"},
	},
	{
		// eSIMfly's seed Flask sample hashes json.dumps(payload), whose
		// ", " and ": " separators never reproduce the compact body sent.
		name: "esimfly-flask-json-dumps", kit: "python", provider: "esimfly", variant: "2025-01",
		file:  "python/receiver.py",
		edits: [][2]string{{"    signed = raw\n", "    signed = json.dumps(json.loads(raw)).encode()\n"}},
		stop:  "the receiver rejected a correctly signed delivery (401",
	},
	{
		// NestJS receivers read a guessed x-airalo-signature header and
		// verify only when it is present: every forgery gets through.
		name: "airalo-nestjs-guessed-header", kit: "node", provider: "airalo", variant: "default",
		file: "node/server.js",
		edits: [][2]string{
			{"hmacHex('airalo-signature',", "hmacHex('x-airalo-signature',"},
			{"if (!given) return [401, `missing ${sig.header}`];", "if (!given) return null;"},
		},
		failed: []string{"SIG-001", "SIG-002", "SIG-003", "SIG-005", "SIG-006"},
	},
}

// TestKitsCatchTheSamplesMistakes puts each of the providers' sample
// mistakes into a copy of a kit and grades it: the suite must fail exactly
// the requirements the mistake breaks, which also shows that TestKits
// would fail a kit that made it.
func TestKitsCatchTheSamplesMistakes(t *testing.T) {
	t.Parallel()
	cat := providers.MustBuiltin()
	for _, m := range sampleMistakes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			i := slices.IndexFunc(kits, func(k kit) bool { return k.name == m.kit })
			k := kits[i]
			tool := requireKit(t, k)
			v, err := cat.Variant(m.provider, m.variant)
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(m.file)
			if err != nil {
				t.Fatal(err)
			}
			text := string(src)
			for _, e := range m.edits {
				if n := strings.Count(text, e[0]); n != 1 {
					t.Fatalf("%s holds %q %d times, want once: update the mistake to the kit", m.file, e[0], n)
				}
				text = strings.Replace(text, e[0], e[1], 1)
			}
			dir := t.TempDir()
			copyPath := filepath.Join(dir, m.file)
			if err := os.MkdirAll(filepath.Dir(copyPath), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(copyPath, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			sem <- struct{}{}
			res, p := grade(t, k, tool, dir, v)
			<-sem
			if len(m.failed) == 0 {
				if res.Code != 2 || !strings.Contains(res.Stderr, m.stop) {
					t.Fatalf("exit %d, want 2 with %q on stderr:\n%s", res.Code, m.stop, res.Stderr)
				}
				t.Logf("%s: the run stopped in the preflight as it should: %s", m.name, lastLine(res.Stderr))
				return
			}
			if res.Summary == nil {
				t.Fatalf("no summary (exit %d):\n%s\nkit output:\n%s", res.Code, res.Stderr, p.output())
			}
			var failed []string
			for _, r := range res.Summary.Requirements {
				if r.Outcome == conformance.OutcomeFailed || r.Outcome == conformance.OutcomeBlocked {
					failed = append(failed, r.ID)
				}
			}
			sort.Strings(failed)
			if !slices.Equal(failed, m.failed) || res.Code != 1 {
				t.Fatalf("failed %v (exit %d), want exactly %v (exit 1):\n%s", failed, res.Code, m.failed, res.Stderr)
			}
			t.Logf("%s: failed %v as it should", m.name, failed)
		})
	}
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
