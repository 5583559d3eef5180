package openapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	catalogue "github.com/esimhooks/esimhooks/providers"
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

func keys(doc *openapi3.T) []string {
	var out []string
	for k := range doc.Webhooks {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
