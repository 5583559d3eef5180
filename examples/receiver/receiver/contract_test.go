package receiver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/openapi"
)

// TestProbeMatchesContract checks the probe's answers against
// openapi/probe.yaml: every status it answers is documented, and every body
// validates against the documented schema.
func TestProbeMatchesContract(t *testing.T) {
	doc, err := openapi.LoadBundled("probe")
	if err != nil {
		t.Fatal(err)
	}
	applied := doc.Paths.Find("/events/{key}").Get.Responses.Status(http.StatusOK).Value.Content.Get("application/json").Schema.Value
	for _, bad := range []any{map[string]any{"applied": 0.0}, map[string]any{"applied": "1"}, map[string]any{}} {
		if applied.VisitJSON(bad) == nil {
			t.Fatalf("probe.yaml's event schema accepts %v", bad)
		}
	}
	v := receivertest.Variant(t, "esimfly", "")
	c := serve(t, v, nil)
	d := c.Delivery(v.Public()[0], 31, start)
	if st := c.Send(d); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	id := d.Event.Effects(d.Payload)[0].ID
	for _, tc := range []struct {
		template, value string
		status          int
	}{
		{"/events/{key}", d.Key(), http.StatusOK},
		{"/events/{key}", "never-sent", http.StatusNotFound},
		{"/resources/{id}", id, http.StatusOK},
		{"/resources/{id}", "no/such id", http.StatusNotFound},
	} {
		path := tc.template[:strings.Index(tc.template, "{")] + url.PathEscape(tc.value)
		resp, err := http.Get(c.Probe + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, tc.status)
			continue
		}
		item := doc.Paths.Find(tc.template)
		if item == nil || item.Get == nil {
			t.Fatalf("probe.yaml has no GET %s", tc.template)
		}
		r := item.Get.Responses.Status(resp.StatusCode)
		if r == nil || r.Value == nil {
			t.Errorf("GET %s: status %d is not documented", path, resp.StatusCode)
			continue
		}
		mt := r.Value.Content.Get(resp.Header.Get("Content-Type"))
		if mt == nil {
			t.Errorf("GET %s: content type %q is not documented for %d", path, resp.Header.Get("Content-Type"), resp.StatusCode)
			continue
		}
		var got any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if err := mt.Schema.Value.VisitJSON(got); err != nil {
			t.Errorf("GET %s (%d): body %s does not match probe.yaml: %v", path, resp.StatusCode, body, err)
		}
	}
}
