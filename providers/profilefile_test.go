package providers_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/attack"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

const userProfile = `name: acme
title: ACME eSIM
variants:
  - name: v2
    source: ACME's webhook page
    envelope: '{kind, at, data}'
    encoding: js
    discriminator: [/kind]
    delivery_id: uuid
    headers:
      - {name: X-Acme-Delivery, value: "{{var delivery_id}}"}
    signature: {scheme: hmac-hex, hash: sha256, header: X-Acme-Signature, message: raw}
    ack: {deadline: 4s, success: 2xx}
    retry: {schedule: [0s, 30s, 5m]}
    idempotency: {from: header, name: X-Acme-Delivery}
    registration: {check: none}
    events:
      - name: esim.ready
        description: The eSIM is ready.
        schema: esim.ready.json
        time: /at
        resources: [{id: /data/iccid, status: "=ready"}]
        payload:
          kind: esim.ready
          at: "{{time iso8601}}"
          data: {iccid: "{{iccid}}"}
`

func TestAUserProfileFileLoadsValidatesAndGenerates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "acme.yaml")
	os.WriteFile(file, []byte(userProfile), 0o600)
	os.WriteFile(filepath.Join(dir, "esim.ready.json"), []byte(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["kind","data"],"properties":{"data":{"type":"object","required":["iccid"],"properties":{"iccid":{"type":"string","pattern":"^[0-9]{19,20}$"}}}}}`), 0o600)
	p, err := providers.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cat := providers.MustBuiltin()
	cat.Add(p)
	v, err := cat.Variant("acme", "")
	if err != nil || !v.Default {
		t.Fatalf("variant: %v %+v", err, v)
	}
	ev, _ := v.Event("esim.ready")
	pl, err := ev.Generate(payload.NewWorld(3, payload.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Validate(pl); err != nil {
		t.Fatal(err)
	}
	bad, _ := providers.Override{Path: "data.iccid", Raw: "12"}.Apply(pl)
	if err := ev.Validate(bad); err == nil || !strings.Contains(err.Error(), "/data/iccid: pattern") {
		t.Errorf("user schema violation: %v", err)
	}
	if effects := ev.Effects(pl); len(effects) != 1 || effects[0].Status != "ready" {
		t.Errorf("effects %v", effects)
	}
}

func TestBrokenProfileFilesNameFileLineAndRule(t *testing.T) {
	cases := map[string]struct {
		edit func(string) string
		want []string
	}{
		"unknown field": {func(s string) string {
			return strings.Replace(s, "    encoding: js", "    encoding: js\n    colour: red", 1)
		},
			[]string{"acme.yaml:4:5", "additionalProperties"}},
		"bad enum": {func(s string) string { return strings.Replace(s, "encoding: js", "encoding: xml", 1) },
			[]string{"acme.yaml:7:15", "/variants/0/encoding", "enum"}},
		"missing required": {func(s string) string { return strings.Replace(s, "    registration: {check: none}\n", "", 1) },
			[]string{"acme.yaml:4:5", "required", "registration"}},
		"yaml syntax": {func(s string) string { return strings.Replace(s, "title: ACME eSIM", "title: [ACME", 1) },
			[]string{"acme.yaml", "syntax"}},
		"bad template": {func(s string) string { return strings.Replace(s, "{{iccid}}", "{{icid}}", 1) },
			[]string{"acme.yaml:26:25", `unknown function "icid"`}},
		"alias bomb": {func(s string) string { return s + attack.AliasBomb() },
			[]string{"acme.yaml:", "more than 100000 values"}},
		"deep nesting": {func(s string) string { return s + "deep: " + attack.NestedArrays(100) + "\n" },
			[]string{"acme.yaml:", "nesting deeper than 64"}},
		"duplicate event": {func(s string) string {
			i := strings.Index(s, "      - name: esim.ready")
			return s + s[i:]
		}, []string{"duplicate event"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "acme.yaml")
			os.WriteFile(file, []byte(c.edit(userProfile)), 0o600)
			os.WriteFile(filepath.Join(dir, "esim.ready.json"), []byte(`{"type":"object"}`), 0o600)
			_, err := providers.LoadFile(file)
			if err == nil || !errors.Is(err, providers.ErrInvalidProfile) {
				t.Fatalf("got %v, want ErrInvalidProfile", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestIdentifyTellsEveryEventApart(t *testing.T) {
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			for _, ev := range v.Events {
				d, h, _ := delivery(t, v.ID(), ev.Name, 11)
				got, _, err := v.Identify(h, d.Body)
				if err != nil || got != ev {
					t.Errorf("%s %s identified as %v (%v)", v.ID(), ev.Name, got, err)
				}
			}
			_, _, err := v.Identify(nil, []byte(`{"event":"x.y","type":"x.y","eventType":"X","notifyType":"X","event_category":"x","event_type":"y"}`))
			if !errors.Is(err, providers.ErrUnidentified) {
				t.Errorf("%s: unknown event: %v", v.ID(), err)
			}
		}
	}
}

func TestLoadDirLoadsTheDirectorysProfilesAndConventionalSchemas(t *testing.T) {
	dir := t.TempDir()
	// The schema sits where a shipped one would: <provider>/<variant>/<event>.schema.json.
	os.MkdirAll(filepath.Join(dir, "acme", "v2"), 0o700)
	os.WriteFile(filepath.Join(dir, "acme.yaml"), []byte(strings.Replace(userProfile, "        schema: esim.ready.json\n", "", 1)), 0o600)
	os.WriteFile(filepath.Join(dir, "acme", "v2", "esim.ready.schema.json"), []byte(`{"type":"object","required":["nope"]}`), 0o600)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a profile"), 0o600)
	profs, err := providers.LoadDir(dir)
	if err != nil || len(profs) != 1 || profs[0].Name != "acme" {
		t.Fatalf("LoadDir: %v %v", profs, err)
	}
	ev, _ := profs[0].Variants[0].Event("esim.ready")
	if ev.Schema != "acme/v2/esim.ready.schema.json" || ev.Shipped {
		t.Fatalf("schema %q shipped %v", ev.Schema, ev.Shipped)
	}
	pl, _ := ev.Generate(payload.NewWorld(1, payload.Epoch))
	if err := ev.Validate(pl); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("the conventional schema is not the one applied: %v", err)
	}
	if doc, err := ev.SchemaDocument(); err != nil || !strings.Contains(string(doc), `"nope"`) {
		t.Errorf("SchemaDocument: %s %v", doc, err)
	}

	if _, err := providers.LoadDir(t.TempDir()); !errors.Is(err, providers.ErrInvalidProfile) || !strings.Contains(err.Error(), "holds no *.yaml") {
		t.Errorf("empty directory: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("name: [\n"), 0o600)
	if _, err := providers.LoadDir(dir); !errors.Is(err, providers.ErrInvalidProfile) || !strings.Contains(err.Error(), "broken.yaml") {
		t.Errorf("a broken profile in the directory: %v", err)
	}
}
