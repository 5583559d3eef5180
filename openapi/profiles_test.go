package openapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	catalogue "github.com/esimhooks/esimhooks/providers"
)

// TestDeliveryExtensionsMatchTheProfiles fails when a webhook's
// x-ack-deadline, x-ack-success, x-retry-schedule or x-no-retry-on-4xx
// says something other than the provider profile it documents.
func TestDeliveryExtensionsMatchTheProfiles(t *testing.T) {
	for _, p := range catalogue.MustBuiltin().Profiles() {
		doc, err := Load(p.Name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		checkDeliveryExtensions(t, p, doc)
	}
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
