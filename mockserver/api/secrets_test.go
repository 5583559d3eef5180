package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestStandardWebhooksEndpointsSignWithEverySecret: an endpoint created
// with several secrets, or rotated keeping the previous ones, sends one v1
// signature per secret, so a receiver holding any one of them verifies;
// other providers sign with one secret.
func TestStandardWebhooksEndpointsSignWithEverySecret(t *testing.T) {
	const a, b, c = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	code, _, data := call(t, "POST", s.URL+"/api/endpoints", map[string]any{"url": rcv.URL + "/std", "provider": "standard", "secrets": []string{a, b}})
	wantStatus(t, code, http.StatusCreated, data)
	m := decode(t, data)
	id := m["id"].(string)
	if m["secret"] != a || len(m["secrets"].([]any)) != 2 {
		t.Fatalf("answer %s", data)
	}
	sigs := func(want ...string) {
		t.Helper()
		code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "standard", "event": "order.created", "endpoint_ids": []string{id}})
		wantStatus(t, code, http.StatusAccepted, data)
		got := rcv.nextPost(t)
		if n := len(strings.Fields(got.Header.Get("Webhook-Signature"))); n != len(want) {
			t.Errorf("webhook-signature %q: %d signatures, want %d", got.Header.Get("Webhook-Signature"), n, len(want))
		}
		for _, secret := range want {
			verify(t, "standard", "", secret, got) // each key alone verifies
		}
		v, _ := providers.MustBuiltin().Variant("standard", "")
		other, _ := v.Signer("whsec_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC")
		if other.Verify(got.Header, got.Body) == nil {
			t.Error("a key the endpoint does not hold verifies")
		}
	}
	sigs(a, b)

	code, _, data = call(t, "POST", s.URL+"/api/endpoints/"+id+"/rotate-secret", map[string]any{"secret": c, "keep_previous": true})
	wantStatus(t, code, http.StatusOK, data)
	if m := decode(t, data); m["secret"] != c || len(m["secrets"].([]any)) != 3 {
		t.Fatalf("rotation answer %s", data)
	}
	sigs(c, a, b)
	code, _, data = call(t, "POST", s.URL+"/api/endpoints/"+id+"/rotate-secret", map[string]any{"secret": c})
	wantStatus(t, code, http.StatusOK, data)
	if m := decode(t, data); m["secrets"] != nil {
		t.Fatalf("a single secret is answered with secrets: %s", data)
	}
	sigs(c)
	if strings.Contains(string(data), a) {
		t.Error("a replaced secret is still shown")
	}

	for _, tc := range []struct {
		path string
		body map[string]any
		ptr  string
	}{
		{"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "esimfly", "secrets": []string{"x", "y"}}, "/secrets"},
		{"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "standard", "secrets": []string{a, "whsec_not*base64"}}, "/secrets/1"},
		{"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "standard", "secret": a + " " + b}, "/secret"},
	} {
		code, _, data := call(t, "POST", s.URL+tc.path, tc.body)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if !strings.Contains(string(data), `"pointer":"`+tc.ptr+`"`) || strings.Contains(string(data), "not*base64") {
			t.Errorf("%v: problem %s", tc.body, data)
		}
	}
	code, _, data = call(t, "POST", s.URL+"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "standard", "secret": a, "secrets": []string{b}})
	wantStatus(t, code, http.StatusBadRequest, data)
	fly, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "esimfly"})
	code, _, data = call(t, "POST", s.URL+"/api/endpoints/"+fly+"/rotate-secret", map[string]any{"keep_previous": true})
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
}
