package openapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	catalogue "github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
	"github.com/esimhooks/esimhooks/schemas"
)

// expectedWebhooks is the event list per provider document, taken from the
// provider catalogue: a document and the profiles cannot drift apart.
var expectedWebhooks = func() map[string][]string {
	out := map[string][]string{}
	for _, p := range catalogue.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			for _, ev := range v.Events {
				key := ev.Name
				if !v.Default {
					key = v.Name + "/" + ev.Name
				}
				out[p.Name] = append(out[p.Name], key)
			}
		}
	}
	return out
}()

// defaultVariant and the header parameters each variant's webhooks carry.
var (
	defaultVariant = map[string]string{"airalo": "default", "esimfly": "2025-01", "esimaccess": "open-api",
		"roamify": "overview", "simplifytrip": "default", "standard": "v1"}
	variantHeaders = map[string][]string{
		"airalo/default":           {"airalo-signature"},
		"esimfly/2025-01":          {"X-eSIMfly-Signature", "X-eSIMfly-Event", "X-eSIMfly-Delivery-ID"},
		"esimfly/2026-04":          {"X-Webhook-Signature", "User-Agent", "X-Webhook-Event", "X-Webhook-Id", "X-Webhook-Timestamp"},
		"esimfly/2026-09":          {"X-Webhook-Signature", "User-Agent", "X-Webhook-Event", "X-Webhook-Id", "X-Webhook-Timestamp"},
		"esimaccess/open-api":      nil,
		"esimaccess/api-reference": nil,
		"roamify/overview":         {"X-Roamify-Signature"},
		"roamify/per-type":         {"X-Roamify-Signature"},
		"simplifytrip/default":     {"X-Simplify-Trip-Signature"},
		"standard/v1":              {"webhook-id", "webhook-timestamp", "webhook-signature"},
	}
	// a valid value for each header (event headers get the event name)
	headerSamples = map[string]string{
		"airalo-signature":          strings.Repeat("ab", 64),
		"X-eSIMfly-Signature":       strings.Repeat("0f", 32),
		"X-eSIMfly-Delivery-ID":     "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
		"X-Webhook-Signature":       "sha256=" + strings.Repeat("c3", 32),
		"X-Webhook-Timestamp":       "2026-04-02T09:15:00.000Z",
		"X-Webhook-Id":              "wh_del_01HZX",
		"User-Agent":                "eSIMfly-Webhook/1.0",
		"X-Roamify-Signature":       strings.Repeat("9e", 32),
		"X-Simplify-Trip-Signature": strings.Repeat("1d", 32),
		"webhook-id":                "msg_p5jXN8AQM9LWM0D4loKWxJek",
		"webhook-timestamp":         "1614265330",
		"webhook-signature":         "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,bm9wZQ==",
	}
)

// split returns the variant and event of a webhook key.
func split(provider, key string) (variant, event string) {
	for pv := range variantHeaders {
		p, v, _ := strings.Cut(pv, "/")
		if p == provider && v != defaultVariant[provider] {
			if e, ok := strings.CutPrefix(key, v+"/"); ok {
				return v, e
			}
		}
	}
	return defaultVariant[provider], key
}

type webhook struct {
	provider, key, variant, event string
	op                            *openapi3.Operation
}

func webhooks(t *testing.T, doc *openapi3.T, provider string) []webhook {
	t.Helper()
	var out []webhook
	for _, key := range slices.Sorted(maps.Keys(doc.Webhooks)) {
		item := doc.Webhooks[key]
		if item == nil || item.Post == nil {
			t.Fatalf("%s: webhook %q has no post operation", provider, key)
		}
		if n := len(item.Operations()); n != 1 {
			t.Errorf("%s: webhook %q has %d operations", provider, key, n)
		}
		v, e := split(provider, key)
		out = append(out, webhook{provider, key, v, e, item.Post})
	}
	return out
}

func load(t *testing.T, provider string) *openapi3.T {
	t.Helper()
	doc, err := Load(provider + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestProviders(t *testing.T) {
	got := Providers()
	want := slices.Sorted(maps.Keys(expectedWebhooks))
	if !slices.Equal(got, want) {
		t.Fatalf("Providers() = %v, want %v", got, want)
	}
	got[0] = "mutated"
	if Providers()[0] == "mutated" {
		t.Error("Providers returns its internal slice")
	}
	for _, p := range want {
		if _, err := FS.ReadFile(p + ".yaml"); err != nil {
			t.Error(err)
		}
	}
}

func TestLoadAndValidate(t *testing.T) {
	for _, p := range Providers() {
		t.Run(p, func(t *testing.T) {
			doc := load(t, p)
			if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
				t.Errorf("openapi = %q", doc.OpenAPI)
			}
			if doc.Info == nil || doc.Info.Title == "" || doc.Info.Description == "" {
				t.Error("info lacks title or description")
			}
			if doc.Info.Extensions["x-esimhooks-provider"] != p {
				t.Errorf("x-esimhooks-provider = %v", doc.Info.Extensions["x-esimhooks-provider"])
			}
			// also loadable without the extension
			if _, err := Load(p); err != nil {
				t.Error(err)
			}
		})
	}
	for _, bad := range []string{"nope.yaml", "../schemas/common.schema.json", "/etc/passwd"} {
		if _, err := Load(bad); err == nil {
			t.Errorf("Load(%q) succeeded", bad)
		}
	}
}

func TestWebhookKeys(t *testing.T) {
	for p, want := range expectedWebhooks {
		doc := load(t, p)
		got := slices.Sorted(maps.Keys(doc.Webhooks))
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("%s webhooks:\n got %v\nwant %v", p, got, want)
		}
	}
}

func TestOperations(t *testing.T) {
	opIDs := map[string]bool{}
	for _, p := range Providers() {
		doc := load(t, p)
		for _, w := range webhooks(t, doc, p) {
			op := w.op
			name := p + " " + w.key
			if opIDs[op.OperationID] {
				t.Errorf("%s: duplicate operationId %q", name, op.OperationID)
			}
			opIDs[op.OperationID] = true
			if op.Summary == "" || op.Description == "" {
				t.Errorf("%s: no summary or description", name)
			}
			if op.Extensions["x-esimhooks-event"] != w.event || op.Extensions["x-esimhooks-variant"] != w.variant {
				t.Errorf("%s: x-esimhooks-event/variant = %v/%v, want %s/%s", name,
					op.Extensions["x-esimhooks-event"], op.Extensions["x-esimhooks-variant"], w.event, w.variant)
			}
			for _, x := range []string{"x-ack-deadline", "x-ack-success", "x-retry-schedule", "x-idempotency-key"} {
				if _, ok := op.Extensions[x]; !ok {
					t.Errorf("%s: no %s", name, x)
				}
			}

			// headers
			var got []string
			for _, pr := range op.Parameters {
				if pr.Value == nil {
					t.Fatalf("%s: unresolved parameter %s", name, pr.Ref)
				}
				prm := pr.Value
				if prm.In != openapi3.ParameterInHeader || !prm.Required {
					t.Errorf("%s: parameter %s is not a required header", name, prm.Name)
				}
				got = append(got, prm.Name)
				sample, ok := headerSamples[prm.Name]
				if strings.HasSuffix(prm.Name, "-Event") {
					sample, ok = w.event, true
				}
				if !ok {
					t.Errorf("%s: no sample for header %s", name, prm.Name)
					continue
				}
				if err := prm.Schema.Value.VisitJSON(sample, openapi3.EnableJSONSchema2020()); err != nil {
					t.Errorf("%s: header %s: %v", name, prm.Name, err)
				}
				// Delivery ids have no documented format (eSIMfly's sample
				// "uuid-v4-here" is in the profile's notes, not a pattern).
				if err := prm.Schema.Value.VisitJSON("x"+sample, openapi3.EnableJSONSchema2020()); err == nil &&
					prm.Name != "X-Webhook-Id" && prm.Name != "webhook-id" && prm.Name != "X-eSIMfly-Delivery-ID" {
					t.Errorf("%s: header %s accepts a bad value", name, prm.Name)
				}
			}
			if want := variantHeaders[p+"/"+w.variant]; !slices.Equal(got, want) {
				t.Errorf("%s: headers %v, want %v", name, got, want)
			}

			// responses
			ack := "2XX"
			if p == "airalo" {
				ack = "200"
			}
			if op.Responses.Value(ack) == nil || op.Responses.Default() == nil {
				t.Errorf("%s: responses lack %s or default: %v", name, ack, slices.Collect(maps.Keys(op.Responses.Map())))
			}
			if p == "airalo" && op.Responses.Value("2XX") != nil {
				t.Errorf("%s: airalo acknowledges with 200 only", name)
			}
			if (op.Responses.Value("4XX") != nil) != (p == "simplifytrip") {
				t.Errorf("%s: 4XX response only for simplifytrip (no retry after a 4xx)", name)
			}
		}
	}
}

func TestRequestBodiesResolve(t *testing.T) {
	for _, p := range Providers() {
		doc := load(t, p)
		for _, w := range webhooks(t, doc, p) {
			name := p + " " + w.key
			rb := w.op.RequestBody
			if rb == nil || rb.Value == nil || !rb.Value.Required {
				t.Errorf("%s: no required requestBody", name)
				continue
			}
			mt := rb.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				t.Errorf("%s: no resolved application/json schema", name)
				continue
			}
			file := schemas.EventPath(p, w.variant, w.event)
			want := "#/components/schemas/" + componentName(file, "")
			if mt.Schema.Ref != want {
				t.Errorf("%s: schema $ref %q, want %q", name, mt.Schema.Ref, want)
			}
			s := mt.Schema.Value
			if !s.Type.Is("object") || len(s.Required) == 0 || len(s.Examples) == 0 {
				t.Errorf("%s: schema is not an object with required properties and examples", name)
			}
			// It is the schema file's, bundled: its examples, without its $id.
			var src struct {
				Examples []any `json:"examples"`
			}
			raw, err := fs.ReadFile(schemas.FS, file)
			if err != nil || json.Unmarshal(raw, &src) != nil {
				t.Fatalf("%s: reading %s: %v", name, file, err)
			}
			if s.SchemaID != "" || !reflect.DeepEqual(deepCopy(t, s.Examples), deepCopy(t, src.Examples)) {
				t.Errorf("%s: $id %q, examples differ from %s", name, s.SchemaID, file)
			}
			// every reference inside is resolved
			err = mt.Schema.WalkSubtree(func(at string, ref *openapi3.SchemaRef) error {
				if ref.Value == nil {
					t.Errorf("%s: unresolved schema at %s (%s)", name, at, ref.Ref)
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// Each webhook's example (the schema's examples[0]) validates with
// kin-openapi's own VisitJSON, both on the document as loaded (external
// references: kin-openapi falls back to its OpenAPI 3.0 validator) and on the
// bundled one (component references: its JSON Schema 2020-12 validator); and
// dropping a required property makes both reject it.
func TestExamplesValidateWithKinOpenAPI(t *testing.T) {
	for _, p := range Providers() {
		for _, internalize := range []bool{false, true} {
			doc := load(t, p)
			mode := "as loaded"
			if internalize {
				mode = "bundled"
				var err error
				if doc, err = LoadBundled(p); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range webhooks(t, doc, p) {
				name := p + " " + w.key + " (" + mode + ")"
				sref := w.op.RequestBody.Value.Content.Get("application/json").Schema
				if internalize && !strings.HasPrefix(sref.Ref, "#/components/schemas/") {
					t.Errorf("%s: ref %q not internalized", name, sref.Ref)
				}
				s := sref.Value
				for i, ex := range s.Examples {
					if err := s.VisitJSON(ex, openapi3.EnableJSONSchema2020()); err != nil {
						t.Errorf("%s: examples[%d]: %v", name, i, err)
					}
					// the same example through the schemas package
					data, _ := json.Marshal(ex)
					if err := schemas.ValidateJSON(schemas.EventPath(p, w.variant, w.event), data); err != nil {
						t.Errorf("%s: examples[%d] (schemas package): %v", name, i, err)
					}
				}
				bad := deepCopy(t, s.Examples[0]).(map[string]any)
				delete(bad, s.Required[0])
				if err := s.VisitJSON(bad, openapi3.EnableJSONSchema2020()); err == nil {
					t.Errorf("%s: example without %q accepted", name, s.Required[0])
				}
			}
		}
	}
}

func deepCopy(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every event schema under schemas/ is described by some webhook.
func TestEverySchemaHasAWebhook(t *testing.T) {
	described := map[string]bool{}
	for _, p := range Providers() {
		doc := load(t, p)
		for _, w := range webhooks(t, doc, p) {
			described[schemas.EventPath(p, w.variant, w.event)] = true
		}
	}
	for _, path := range schemas.Paths() {
		parts := strings.Split(path, "/")
		if len(parts) != 3 || !slices.Contains(Providers(), parts[0]) {
			continue // shared definitions and project schemas
		}
		if !described[path] {
			t.Errorf("schema %s has no webhook", path)
		}
	}
}

func TestConcurrentLoad(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		for _, p := range Providers() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := Load(p); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
}

func TestReadFromURIRefusesOutside(t *testing.T) {
	for _, ref := range []string{"https://example.com/x.json", "/etc/passwd", "../../etc/passwd", "go.mod",
		"../go.mod", "../schemas/nope.schema.json"} {
		doc := []byte(`openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
webhooks:
  x:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '` + ref + `'}
      responses: {'200': {description: ok}}
`)
		loader := NewLoader(context.Background()) // kin-openapi loaders cache what they visited
		if _, err := loader.LoadFromDataWithPath(doc, mustURL("openapi/t.yaml")); err == nil {
			t.Errorf("ref %q was read", ref)
		}
	}
}

func mustURL(p string) *url.URL { return &url.URL{Path: p} }

// On the bundled document kin-openapi applies the 2020-12 keywords its
// OpenAPI 3.0 fallback ignores (const, if/then).
func TestBundledEnforces2020Keywords(t *testing.T) {
	cases := []struct {
		provider, key string
		mutate        func(m map[string]any)
	}{
		{"esimfly", "order.failed", func(m map[string]any) { m["event"] = "order.completed" }},
		{"roamify", "esim/esim_usage", func(m map[string]any) { m["data"].(map[string]any)["data_units"] = "GB" }},
		{"simplifytrip", "PURCHASE_ORDER_SUCCESS", func(m map[string]any) {
			delete(m["data"].(map[string]any)["items"].([]any)[0].(map[string]any), "eSims")
		}},
		{"airalo", "async_order_failed", func(m map[string]any) { m["data"].(map[string]any)["sims"] = []any{} }},
		{"roamify", "per-type/refund/rejected", func(m map[string]any) {
			delete(m["data"].(map[string]any), "rejection_reason")
		}},
	}
	for _, c := range cases {
		doc, err := LoadBundled(c.provider)
		if err != nil {
			t.Fatal(err)
		}
		s := doc.Webhooks[c.key].Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		m := deepCopy(t, s.Examples[0]).(map[string]any)
		c.mutate(m)
		if err := s.VisitJSON(m, openapi3.EnableJSONSchema2020()); err == nil {
			t.Errorf("%s %s: invalid document accepted", c.provider, c.key)
		}
	}
}

func TestBundledComponentNames(t *testing.T) {
	doc, err := LoadBundled("esimfly")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"esimfly.2025-01.order.completed", "esimfly.2026-04.esim.provisioned",
		"common.iccid", "esimfly.common.orderedEsim"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("no component %q in %v", name, slices.Sorted(maps.Keys(doc.Components.Schemas)))
		}
	}
	ref := doc.Webhooks["order.completed"].Post.RequestBody.Value.Content.Get("application/json").Schema.Ref
	if ref != "#/components/schemas/esimfly.2025-01.order.completed" {
		t.Errorf("ref = %q", ref)
	}
}

// Every webhook of a signed variant requires its signature as an apiKey
// security scheme in the header the profile signs in, described as the
// profile's scheme; an unsigned variant's webhooks require nothing (an
// empty list, not a missing one). Every document names a server and a
// license, as linters and code generators expect.
func TestSignatureSecuritySchemes(t *testing.T) {
	cat := catalogue.MustBuiltin()
	for _, p := range Providers() {
		doc := load(t, p)
		if len(doc.Servers) == 0 || doc.Servers[0].Variables["webhook_url"] == nil {
			t.Errorf("%s: no server with a webhook_url variable", p)
		}
		if doc.Info.License == nil || doc.Info.License.Identifier != License {
			t.Errorf("%s: license %+v", p, doc.Info.License)
		}
		for _, w := range webhooks(t, doc, p) {
			name := p + " " + w.key
			v, err := cat.Variant(p, w.variant)
			if err != nil {
				t.Fatal(err)
			}
			sec := w.op.Security
			if sec == nil {
				t.Errorf("%s: no security", name)
				continue
			}
			header := map[string]string{signing.SchemeHMACHex: v.Signature.Header,
				signing.SchemeStandardWebhooks: "webhook-signature"}[v.Signature.Scheme]
			if header == "" {
				if len(*sec) != 0 {
					t.Errorf("%s: unsigned variant with security %v", name, *sec)
				}
				continue
			}
			if len(*sec) != 1 || len((*sec)[0]) != 1 {
				t.Errorf("%s: security %v, want one requirement of one scheme", name, *sec)
				continue
			}
			for scheme, scopes := range (*sec)[0] {
				ref := doc.Components.SecuritySchemes[scheme]
				if ref == nil || ref.Value == nil {
					t.Errorf("%s: scheme %q not defined", name, scheme)
					continue
				}
				s := ref.Value
				if s.Type != "apiKey" || s.In != "header" || s.Name != header || len(scopes) != 0 {
					t.Errorf("%s: scheme %q = %s in %s named %s (scopes %v), want apiKey in header %s",
						name, scheme, s.Type, s.In, s.Name, scopes, header)
				}
				if s.Description != signatureProse(v.Signature) {
					t.Errorf("%s: scheme %q says %q, the profile %q", name, scheme, s.Description, signatureProse(v.Signature))
				}
				// The header is also a parameter, whose schema holds its format.
				if w.op.Parameters.GetByInAndName("header", header) == nil {
					t.Errorf("%s: no %s parameter", name, header)
				}
			}
		}
	}
}
