package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers/signing"
)

// TestTriggerEncodingChoosesTheAiraloNonASCIIForm: a trigger's encoding
// picks how Airalo's non-ASCII text goes on the wire (php: \uXXXX for the
// PHP SDK, php-utf8: literal UTF-8 for the Node and Python SDKs); either
// way the mock signs the bytes it sends.
func TestTriggerEncodingChoosesTheAiraloNonASCIIForm(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	_, secret := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "airalo"})
	for _, tc := range []struct {
		encoding, want string
		accepts        map[string]bool
	}{
		{"", `"package_name":"Caf\u00e9"`, map[string]bool{"raw": true, "php": true, "node": false, "python-dict": false}},
		{"php-utf8", `"package_name":"Café"`, map[string]bool{"raw": true, "php": false, "node": true, "python-dict": true}},
	} {
		req := map[string]any{"provider": "airalo", "event": "low_data_75", "overrides": map[string]any{"package_name": "Café"}}
		if tc.encoding != "" {
			req["encoding"] = tc.encoding
		}
		code, _, data := call(t, "POST", s.URL+"/api/triggers", req)
		wantStatus(t, code, http.StatusAccepted, data)
		var res triggerResultView
		json.Unmarshal(data, &res)
		if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "non-ASCII") {
			t.Errorf("encoding %q: no non-ASCII warning in %s", tc.encoding, data)
		}
		got := rcv.nextPost(t)
		if !bytes.Contains(got.Body, []byte(tc.want)) {
			t.Errorf("encoding %q: body %s, want %s", tc.encoding, got.Body, tc.want)
		}
		verify(t, "airalo", "", secret, got)
		for _, v := range signing.CheckAiralo(got.Body, secret, got.Header.Get(signing.HeaderAiralo)) {
			if want, ok := tc.accepts[v.SDK.Key]; ok && v.Accepts != want {
				t.Errorf("encoding %q: %s accepts=%v (%s), want %v", tc.encoding, v.SDK.Name, v.Accepts, v.Reason, want)
			}
		}
	}
	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "airalo", "event": "low_data_75", "encoding": "utf16"})
	if code != http.StatusBadRequest && code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown encoding: %d %s", code, data)
	}
	var p Problem
	json.Unmarshal(data, &p)
	if len(p.Errors) == 0 || p.Errors[0].Pointer != "/encoding" {
		t.Errorf("unknown encoding: problem %s", data)
	}
}

func TestTriggerWithinTheAiraloRuleHasNoWarnings(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "airalo"})
	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "airalo", "event": "async_order", "seed": 3})
	wantStatus(t, code, http.StatusAccepted, data)
	rcv.nextPost(t)
	if strings.Contains(string(data), `"warnings"`) {
		t.Errorf("a generated body drew warnings: %s", data)
	}
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "airalo", "event": "low_data_75",
		"overrides": map[string]any{"remaining_percentage": 9007199254740993}})
	wantStatus(t, code, http.StatusAccepted, data)
	rcv.nextPost(t)
	if !strings.Contains(string(data), "Node SDK (string or object) will reject this body: it re-prints the number 9007199254740993") {
		t.Errorf("no Node warning for an integer beyond 2^53: %s", data)
	}
}
