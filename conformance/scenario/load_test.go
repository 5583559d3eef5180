package scenario

import (
	"errors"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/esimhooks/esimhooks/internal/attack"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/scenarios"
)

// TestShippedLibrary loads every shipped scenario and checks the library's
// conventions: file names, one seed per scenario, payloads that still match
// their event schemas after the overrides, and the coverage the library
// promises for each provider.
func TestShippedLibrary(t *testing.T) {
	lib, err := Shipped(providers.MustBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := scenarios.FS.ReadDir(".")
	yamls := 0
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".yaml") {
			yamls++
		}
	}
	if len(lib) != yamls || len(lib) < 25 {
		t.Fatalf("loaded %d scenarios from %d files", len(lib), yamls)
	}
	seeds := map[uint64]string{}
	tags := map[string]map[string]bool{}
	for _, sc := range lib {
		if want := "scenarios/" + sc.Name + ".yaml"; sc.File != want {
			t.Errorf("%s: file %s, want %s", sc.Name, sc.File, want)
		}
		if !strings.HasPrefix(sc.Name, sc.Provider+"-") {
			t.Errorf("%s: name does not start with its provider %q", sc.Name, sc.Provider)
		}
		if other, dup := seeds[sc.Seed]; dup {
			t.Errorf("%s: seed %d is already the seed of %s", sc.Name, sc.Seed, other)
		}
		seeds[sc.Seed] = sc.Name
		if tags[sc.Provider] == nil {
			tags[sc.Provider] = map[string]bool{}
		}
		for _, tag := range sc.Tags {
			tags[sc.Provider][tag] = true
		}
		w := payload.NewWorld(sc.Seed, payload.Epoch)
		for i, pl := range plan(sc, w, testRand()) {
			if pl.err != nil {
				t.Errorf("%s step %d: %v", sc.Name, i+1, pl.err)
				continue
			}
			if err := sc.Steps[i].Event.Validate(pl.d.Payload); err != nil && !errors.Is(err, providers.ErrNoSchema) {
				t.Errorf("%s step %d (%s): the payload no longer matches its schema:\n%v", sc.Name, i+1, sc.StepLabel(i), err)
			}
			// Airalo's text is ASCII-only, as Event.Generate makes it: a
			// non-ASCII package name splits its SDKs (providers.md).
			if text, err := jsonv.Compact(pl.d.Payload); sc.Variant.ASCIIText() && (err != nil || strings.ContainsFunc(string(text), func(r rune) bool { return r > unicode.MaxASCII })) {
				t.Errorf("%s step %d (%s): text not ASCII-only (%v): %s", sc.Name, i+1, sc.StepLabel(i), err, text)
			}
		}
	}
	for _, p := range []string{"airalo", "esimaccess", "esimfly", "roamify", "simplifytrip", "standard"} {
		for _, tag := range []string{"lifecycle", "idempotency", "concurrency", "retry"} {
			if !tags[p][tag] {
				t.Errorf("%s: no scenario tagged %s", p, tag)
			}
		}
	}
	for p, tag := range map[string]string{"airalo": "usage", "esimaccess": "usage", "roamify": "usage", "esimfly": "balance",
		"standard": "usage"} {
		if !tags[p][tag] {
			t.Errorf("%s: no scenario tagged %s", p, tag)
		}
	}
	for _, p := range []string{"esimfly", "esimaccess", "roamify", "simplifytrip", "standard"} {
		if !tags[p]["ordering"] {
			t.Errorf("%s: no out-of-order scenario", p)
		}
	}
}

const head = "name: broken\ntitle: Broken\nprovider: esimfly\nseed: 1\n"

// TestBrokenFiles checks that every broken file gets an error naming the
// file, the line and column of the fault, and the reason.
func TestBrokenFiles(t *testing.T) {
	tests := []struct {
		name, yaml string
		where      string // file:line:col
		reason     []string
	}{
		{"bad YAML", head + "steps:\n  - event: order.created\n  foo: [\n",
			"broken.yaml", []string{"syntax error", "line "}},
		{"duplicate key", head + "steps:\n  - event: order.created\n    event: order.completed\n",
			"broken.yaml:7:5", []string{`duplicate key "event"`}},
		{"unknown field", head + "steps:\n  - event: order.created\n    retry: 2\n",
			"broken.yaml:7:12", []string{`unknown field "retry"`, "retries"}},
		{"unknown top-level field", head + "stepz: []\nsteps:\n  - event: order.created\n",
			"broken.yaml:5:8", []string{`unknown field "stepz"`, "steps"}},
		{"unknown event", head + "steps:\n  - event: order.created\n  - event: order.complete\n",
			"broken.yaml:7:12", []string{`unknown event of esimfly@2025-01 "order.complete"`, "valid: order.created, order.completed"}},
		{"unknown provider", "name: broken\ntitle: Broken\nprovider: esimfy\nseed: 1\nsteps:\n  - event: x\n",
			"broken.yaml:3:11", []string{`unknown provider "esimfy"`, "esimfly"}},
		{"unknown variant", head + "variant: v2024\nsteps:\n  - event: order.created\n",
			"broken.yaml:5:10", []string{`unknown variant of esimfly "v2024"`, "2026-04"}},
		{"reserved event", head + "variant: \"2026-09\"\nsteps:\n  - event: order.completed\n",
			"broken.yaml:7:12", []string{"order.completed of esimfly@2026-09", "not emitted"}},
		{"bad duration", head + "steps:\n  - event: order.created\n    delay: 5 minutes\n",
			"broken.yaml:7:12", []string{`"5 minutes" is not a duration`}},
		{"bad offset", head + "steps:\n  - event: order.created\n    at: yesterday\n",
			"broken.yaml:7:9", []string{`"yesterday" is not a duration`}},
		{"missing step", head + "steps:\n  - {id: created, event: order.created}\n  - resend: create\n",
			"broken.yaml:7:13", []string{`no earlier step has id "create"`, "earlier ids: created"}},
		{"later step", head + "steps:\n  - resend: later\n  - {id: later, event: order.created}\n",
			"broken.yaml:6:13", []string{`no earlier step has id "later"`}},
		{"duplicate step id", head + "steps:\n  - {id: a, event: order.created}\n  - {id: a, event: order.completed}\n",
			"broken.yaml:7:10", []string{`step id "a" is already used by step 1`}},
		{"event and resend", head + "steps:\n  - {id: a, event: order.created}\n  - {event: order.created, resend: a}\n",
			"broken.yaml:7:5", []string{"event or resend, not both"}},
		{"neither event nor resend", head + "steps:\n  - {duplicates: 1}\n",
			"broken.yaml:6:5", []string{"a step needs event"}},
		{"too many retries", head + "steps:\n  - event: order.created\n    retries: 9\n",
			"broken.yaml:7:14", []string{"retries at most 5 times, not 9"}},
		{"concurrent alone", head + "steps:\n  - event: order.created\n    concurrent: true\n",
			"broken.yaml:7:17", []string{"no duplicates"}},
		{"bad ack", head + "steps:\n  - event: order.created\n    expect: {ack: 3xx}\n",
			"broken.yaml:7:19", []string{"enum", `"2xx"`}},
		{"override through a string", head + "steps:\n  - event: order.created\n    set: {data.status.code: 1}\n",
			"broken.yaml:7:29", []string{"data.status.code", "cannot set a member of a string"}},
		{"bad placeholder", head + "steps:\n  - event: order.created\n    set: {data.status: '{{nope}}'}\n",
			"broken.yaml:7:24", []string{`unknown function "nope"`}},
		{"newest without resources", head + "steps:\n  - event: balance.low\nexpect: {resources: newest}\n",
			"broken.yaml:7:21", []string{"none of the scenario's events changes a resource"}},
		{"alias bomb", head + attack.AliasBomb() + "steps:\n  - event: order.created\n",
			"broken.yaml:", []string{"more than 100000 values"}},
		{"deep nesting", head + "x: " + attack.NestedArrays(100) + "\nsteps:\n  - event: order.created\n",
			"broken.yaml:", []string{"nesting deeper than 64"}},
		{"missing seed", "name: broken\ntitle: Broken\nprovider: esimfly\nsteps:\n  - event: order.created\n",
			"broken.yaml:1:1", []string{"required", "seed"}},
	}
	cat := providers.MustBuiltin()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("broken.yaml", []byte(tt.yaml), cat)
			if err == nil {
				t.Fatal("loaded")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			msg := err.Error()
			for _, want := range append([]string{tt.where}, tt.reason...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// TestLoadResolves checks defaults and references after loading.
func TestLoadResolves(t *testing.T) {
	sc, err := Load("ok.yaml", []byte(head+`variant: "2025-01"
steps:
  - {id: first, event: order.created}
  - {event: order.created, at: 1m, retries: 0, expect: {ack: any}, expect_applied: 2}
  - {id: again, resend: first, delay: 2s}
  - resend: again
expect:
  resources: {"{{iccid}}": activated, "ORD-0": null}
`), providers.MustBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	st := sc.Steps
	if st[0].Retries != DefaultRetryCap || st[0].Ack != Ack2xx || st[0].Applied != nil {
		t.Errorf("defaults: retries %d, ack %q, applied %v", st[0].Retries, st[0].Ack, st[0].Applied)
	}
	if st[1].Retries != 0 || st[1].Ack != AckAny || *st[1].Applied != 2 || st[1].At.Minutes() != 1 || st[1].occurrence != 1 {
		t.Errorf("step 2: %+v", st[1])
	}
	if st[2].Resend != 0 || st[3].Resend != 0 || st[2].Delay.Seconds() != 2 {
		t.Errorf("resends: %d, %d (delay %s)", st[2].Resend, st[3].Resend, st[2].Delay)
	}
	if got := sc.StepLabel(3); got != "resend first" {
		t.Errorf("label = %q", got)
	}
	want := []ResourceExpect{{ID: "{{iccid}}", Status: "activated"}, {ID: "ORD-0", Absent: true}}
	if len(sc.Expect.Resources) != 2 || sc.Expect.Resources[0] != want[0] || sc.Expect.Resources[1] != want[1] {
		t.Errorf("resources = %+v", sc.Expect.Resources)
	}
	// Two occurrences of one event are two events, not duplicates.
	pl := plan(sc, payload.NewWorld(sc.Seed, payload.Epoch), testRand())
	if pl[0].key == pl[1].key || pl[2].key != pl[0].key || pl[3].d != pl[0].d {
		t.Error("keys: occurrences share one, or a redelivery has another")
	}
}

func TestLibrary(t *testing.T) {
	cat := providers.MustBuiltin()
	ok := head + "steps:\n  - event: order.created\n"
	lib, err := Library(fstest.MapFS{
		"b.yaml":     {Data: []byte(strings.Replace(ok, "name: broken", "name: b", 1))},
		"a.yml":      {Data: []byte(strings.Replace(ok, "name: broken", "name: a", 1))},
		"notes.txt":  {Data: []byte("not a scenario")},
		"sub/c.yaml": {Data: []byte("not: [read")},
	}, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(lib) != 2 || lib[0].Name != "a" || lib[1].Name != "b" || lib[0].File != "a.yml" {
		t.Fatalf("library = %v", names(lib))
	}
	_, err = Library(fstest.MapFS{
		"one.yaml": {Data: []byte(ok)},
		"two.yaml": {Data: []byte(ok)},
		"bad.yaml": {Data: []byte(head + "steps: []\n")},
	}, cat)
	for _, want := range []string{`two.yaml: name "broken" is already used by one.yaml`, "bad.yaml:5:8: /steps: minItems"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := LoadDir(path.Join(t.TempDir(), "none"), cat); err == nil {
		t.Error("a missing directory loaded")
	}
}

func names(lib []*Scenario) []string {
	var out []string
	for _, sc := range lib {
		out = append(out, sc.Name)
	}
	return out
}
