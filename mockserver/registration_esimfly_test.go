package mockserver

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

var esimflyAuth = []string{"RT-AccessCode", "fly-1", "RT-RequestID", "0b7c7b4e-6d3f-4a5e-9a39-1c1f4c3c7f10", "RT-Timestamp", "1776079539762", "RT-Signature", "abc"}

func TestEsimflyWebhooks(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	u := s.URL + "/esimfly/api/v1/business/webhooks"

	code, _, data := call(t, "PUT", u, map[string]any{"webhook_url": rcv.URL}, "RT-AccessCode", "fly-1")
	wantStatus(t, code, http.StatusUnauthorized, data)
	if m := decode(t, data); m["success"] != false || m["code"] != "AUTH_MISSING" {
		t.Fatalf("401 %s", data)
	}
	for _, body := range []string{`{}`, `{"webhook_url":"ftp://x"}`, `{"webhook_url":"http://127.0.0.1:1/","events":["esim.exploded"]}`, `[1]`} {
		code, _, data = call(t, "PUT", u, body, esimflyAuth...)
		wantStatus(t, code, http.StatusBadRequest, data)
		if m := decode(t, data); m["success"] != false || m["code"] != "VALIDATION_FAILED" || m["error"] == "" {
			t.Errorf("%s: %s", body, data)
		}
	}

	// Nothing set yet.
	code, _, data = call(t, "GET", u, nil, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	m := decode(t, data)
	if m["webhook"] != nil || len(m["available_events"].([]any)) < 2 || len(m["recent_deliveries"].([]any)) != 0 {
		t.Fatalf("GET before PUT %s", data)
	}

	code, _, data = call(t, "PUT", u, map[string]any{"webhook_url": rcv.URL + "/fly", "events": []string{"esim.provisioned"}}, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	m = decode(t, data)
	hook := m["webhook"].(map[string]any)
	secret, _ := hook["secret"].(string)
	if m["success"] != true || !strings.HasPrefix(secret, "whsec_") || hook["url"] != rcv.URL+"/fly" {
		t.Fatalf("PUT %s", data)
	}
	ep, err := s.store.GetEndpoint(context.Background(), esimflyEndpointID(accountKey("fly-1")))
	if err != nil || ep.Variant != "2026-04" || ep.Source != "esimfly" || ep.Secret != secret {
		t.Fatalf("endpoint %+v %v", ep, err)
	}

	attempts, unsubscribe := s.Engine().Subscribe(4)
	defer unsubscribe()
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "variant": "2026-04", "event": "esim.provisioned"})
	wantStatus(t, code, http.StatusAccepted, data)
	got := rcv.nextPost(t)
	if got.Path != "/fly" || !strings.HasPrefix(got.Header.Get("X-Webhook-Signature"), "sha256=") {
		t.Fatalf("delivered %s %v", got.Path, got.Header)
	}
	verify(t, "esimfly", "2026-04", secret, got)
	waitAttempt(t, attempts)

	// GET: settings without the secret, and the delivery.
	code, _, data = call(t, "GET", u, nil, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	if strings.Contains(string(data), secret) || strings.Contains(string(data), `"secret"`) {
		t.Fatalf("GET shows the secret: %s", data)
	}
	m = decode(t, data)
	recent := m["recent_deliveries"].([]any)
	if len(recent) != 1 {
		t.Fatalf("recent deliveries %s", data)
	}
	d := recent[0].(map[string]any)
	if d["event"] != "esim.provisioned" || d["status"] != "delivered" || d["attempts"] != float64(1) || d["order_reference"] == nil || d["delivered_at"] == nil {
		t.Errorf("recent delivery %v", d)
	}

	// PUT again replaces the secret (eSIMfly's rotation).
	code, _, data = call(t, "PUT", u, map[string]any{"webhook_url": rcv.URL + "/fly"}, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	if again := decode(t, data)["webhook"].(map[string]any)["secret"]; again == secret {
		t.Error("PUT did not issue a new secret")
	}
	code, _, data = call(t, "DELETE", u, nil, esimflyAuth...)
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
}
