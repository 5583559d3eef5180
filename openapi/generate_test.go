package openapi

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	catalogue "github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// TestCommittedDocumentsAreCurrent fails when a provider document in this
// directory is not what Generate makes of its profile today (or a shipped
// provider has none): run go generate ./openapi.
func TestCommittedDocumentsAreCurrent(t *testing.T) {
	for _, p := range catalogue.MustBuiltin().Profiles() {
		want, err := Generate(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FS.ReadFile(p.Name + ".yaml")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("openapi/%s.yaml is not current (%v): run go generate ./openapi", p.Name, err)
		}
	}
}

// TestGeneratedDocumentsCarryTheProfiles generates the document of every
// shipped profile, loads it (its bundled schemas resolved, the document
// validated by kin-openapi) and checks that it documents every
// event with the profile's delivery facts, signature header, schema,
// notes and source, and header schemas that accept what the mock sends.
func TestGeneratedDocumentsCarryTheProfiles(t *testing.T) {
	for _, p := range catalogue.MustBuiltin().Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			data, err := Generate(p)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := LoadData(context.Background(), p.Name+".yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			checkDeliveryExtensions(t, p, doc)
			n := 0
			for _, v := range p.Variants {
				n += len(v.Events)
			}
			if len(doc.Webhooks) != n {
				t.Errorf("%d webhooks for %d events: %v", len(doc.Webhooks), n, keys(doc))
			}
			for _, v := range p.Variants {
				for _, e := range v.Events {
					key := e.Name
					if !v.Default {
						key = v.Name + "/" + e.Name
					}
					op := doc.Webhooks[key].Post
					if h := v.Signature.Header; h != "" && op.Parameters.GetByInAndName("header", h) == nil {
						t.Errorf("%s: no %s header parameter", key, h)
					}
					if got := op.Extensions["x-esimhooks-variant"]; got != v.Name {
						t.Errorf("%s: x-esimhooks-variant %v", key, got)
					}
					if ref := op.RequestBody.Value.Content["application/json"].Schema.Ref; e.Schema != "" && ref != "#/components/schemas/"+componentName(e.Schema, "") {
						t.Errorf("%s: body schema %q, profile names %s", key, ref, e.Schema)
					}
					// Every header parameter accepts what the mock really
					// sends for this event.
					h := sentHeaders(t, v, e)
					for _, pr := range op.Parameters {
						prm := pr.Value
						got := h.Get(prm.Name)
						if got == "" {
							t.Errorf("%s: documented header %s is not sent", key, prm.Name)
							continue
						}
						if err := prm.Schema.Value.VisitJSON(got, openapi3.EnableJSONSchema2020()); err != nil {
							t.Errorf("%s: header %s: %q: %v", key, prm.Name, got, err)
						}
					}
				}
			}
			for _, n := range append(slices.Clone(p.Variants[0].Notes), p.Variants[0].Source) {
				if !strings.Contains(doc.Info.Description, n) {
					t.Errorf("info description lacks %q", n)
				}
			}
		})
	}
}

// sentHeaders are the headers of one signed delivery of e.
func sentHeaders(t *testing.T, v *catalogue.Variant, e *catalogue.Event) http.Header {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	pl, err := e.Generate(payload.NewWorld(1, payload.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	d, err := v.NewDelivery(e, pl, v.NewDeliveryID(r))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := v.NewSecret(rand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	var signer signing.Signer
	if v.Signature.Scheme != signing.SchemeNone {
		if signer, err = v.Signer(secret); err != nil {
			t.Fatal(err)
		}
	}
	h, err := d.Request(signer, payload.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func keys(doc *openapi3.T) []string {
	var out []string
	for k := range doc.Webhooks {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkDeliveryExtensions checks that doc has a webhook for every event of
// p, whose delivery extensions say what p says.
func checkDeliveryExtensions(t *testing.T, p *catalogue.Profile, doc *openapi3.T) {
	t.Helper()
	for _, v := range p.Variants {
		var sched []string
		for _, d := range v.Retry.Schedule {
			sched = append(sched, d.String())
		}
		for _, ev := range v.Events {
			key := ev.Name
			if !v.Default {
				key = v.Name + "/" + ev.Name
			}
			item := doc.Webhooks[key]
			if item == nil || item.Post == nil {
				t.Errorf("%s: no webhook %s", p.Name, key)
				continue
			}
			ext := item.Post.Extensions
			check := func(name, want string) {
				if got := fmt.Sprint(ext[name]); got != want {
					t.Errorf("%s %s: %s = %s, profile says %s", p.Name, key, name, got, want)
				}
			}
			check("x-ack-deadline", v.Ack.Deadline.String())
			check("x-ack-success", v.Ack.Success)
			check("x-retry-schedule", "["+strings.Join(sched, " ")+"]")
			if v.Retry.NoRetryOn4xx {
				check("x-no-retry-on-4xx", "true")
			}
		}
	}
}
