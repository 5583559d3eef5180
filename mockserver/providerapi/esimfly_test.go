package providerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
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
	got := rcv.NextPost(t)
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

// TestEsimfly2026_09Webhooks registers a 2026-09 webhook (?variant=),
// checks the documented answers, rotates the secret with a second PUT and
// shows that deliveries after it are signed with the new secret only.
func TestEsimfly2026_09Webhooks(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	u := s.URL + "/esimfly/api/v1/business/webhooks"

	code, _, data := call(t, "PUT", u+"?variant=2025-01", map[string]any{"webhook_url": rcv.URL}, esimflyAuth...)
	wantStatus(t, code, http.StatusBadRequest, data)
	if m := decode(t, data); m["code"] != "VALIDATION_FAILED" || !strings.Contains(string(data), "dashboard only") {
		t.Fatalf("2025-01 has no API: %s", data)
	}

	events := []string{"esim.installed", "esim.status.changed", "esim.usage.threshold"}
	code, _, data = call(t, "PUT", u+"?variant=2026-09", map[string]any{"webhook_url": rcv.URL + "/fly", "events": events}, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	m := decode(t, data)
	hook := m["webhook"].(map[string]any)
	first, _ := hook["secret"].(string)
	if m["success"] != true || m["message"] != "Webhook settings updated" || !strings.HasPrefix(first, "whsec_") ||
		fmt.Sprint(hook["events"]) != fmt.Sprint(events) ||
		m["note"] != "Save your webhook_secret - it is used to verify webhook signatures via X-Webhook-Signature header." {
		t.Fatalf("PUT %s", data)
	}
	ep, err := s.store.GetEndpoint(context.Background(), esimflyEndpointID(accountKey("fly-1")))
	if err != nil || ep.Variant != "2026-09" {
		t.Fatalf("endpoint %+v %v", ep, err)
	}

	// GET without ?variant= shows the stored edition: all six events,
	// order.completed (reserved) included.
	code, _, data = call(t, "GET", u, nil, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	m = decode(t, data)
	var names []string
	for _, a := range m["available_events"].([]any) {
		ev := a.(map[string]any)
		if ev["description"] == "" {
			t.Errorf("available event without description: %v", ev)
		}
		names = append(names, ev["event"].(string))
	}
	want := "[esim.provisioned esim.installed esim.profile.updated esim.status.changed esim.usage.threshold order.completed]"
	if fmt.Sprint(names) != want {
		t.Errorf("available_events %v, want %s", names, want)
	}
	if w := m["webhook"].(map[string]any); fmt.Sprint(w["events"]) != fmt.Sprint(events) || w["api_key_name"] != "default" || w["url"] != rcv.URL+"/fly" {
		t.Errorf("GET webhook %v", w)
	}

	attempts, unsubscribe := s.Engine().Subscribe(8)
	defer unsubscribe()
	trigger := func(event string, force bool) (int, []byte) {
		code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "variant": "2026-09", "event": event, "force": force})
		return code, data
	}
	code, data = trigger("esim.installed", false)
	wantStatus(t, code, http.StatusAccepted, data)
	got := rcv.NextPost(t)
	verify(t, "esimfly", "2026-09", first, got)
	var body struct{ Timestamp string }
	_ = json.Unmarshal(got.Body, &body)
	if got.Header.Get("X-Webhook-Timestamp") != body.Timestamp || got.Header.Get("X-Webhook-Event") != "esim.installed" {
		t.Errorf("headers %v, body timestamp %s", got.Header, body.Timestamp)
	}
	waitAttempt(t, attempts)

	// A second PUT (no ?variant=: the edition is kept) rotates the secret;
	// the old one stops being used.
	code, _, data = call(t, "PUT", u, map[string]any{"webhook_url": rcv.URL + "/fly", "events": events}, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	second, _ := decode(t, data)["webhook"].(map[string]any)["secret"].(string)
	if !strings.HasPrefix(second, "whsec_") || second == first {
		t.Fatalf("rotation: %s", data)
	}
	if ep, _ := s.store.GetEndpoint(context.Background(), esimflyEndpointID(accountKey("fly-1"))); ep.Variant != "2026-09" {
		t.Errorf("a re-PUT changed the edition to %q", ep.Variant)
	}
	code, data = trigger("esim.status.changed", false)
	wantStatus(t, code, http.StatusAccepted, data)
	got = rcv.NextPost(t)
	verify(t, "esimfly", "2026-09", second, got)
	v, _ := providers.MustBuiltin().Variant("esimfly", "2026-09")
	old, _ := v.Signer(first)
	if err := old.Verify(got.Header, got.Body); err == nil {
		t.Error("a delivery after rotation verifies with the old secret")
	}
	waitAttempt(t, attempts)

	// order.completed is reserved: refused unless forced.
	code, data = trigger("order.completed", false)
	wantStatus(t, code, http.StatusBadRequest, data)
	if !strings.Contains(string(data), `"/event"`) || !strings.Contains(string(data), "not emitted") {
		t.Errorf("unforced reserved trigger: %s", data)
	}
	code, data = trigger("order.completed", true)
	wantStatus(t, code, http.StatusAccepted, data)
	if n := len(decode(t, data)["deliveries"].([]any)); n != 0 {
		t.Errorf("forced order.completed reached %d endpoints not subscribed to it", n)
	}
}
