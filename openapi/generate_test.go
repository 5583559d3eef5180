package openapi

import (
	"context"
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

// TestGeneratedDocumentsCarryTheProfiles generates the document of every
// shipped profile, loads it (references into ../schemas/ resolved, the
// document validated by kin-openapi) and checks that it documents exactly
// the webhooks the hand-written document does, with the profile's delivery
// facts and signature header.
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
			hand := load(t, p.Name)
			if got, want := keys(doc), keys(hand); !slices.Equal(got, want) {
				t.Errorf("generated webhooks %v\nhand-written    %v", got, want)
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
					if ref := op.RequestBody.Value.Content["application/json"].Schema.Ref; e.Schema != "" && !strings.HasSuffix(ref, "/schemas/"+e.Schema) {
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
