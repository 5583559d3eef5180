package providerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// airaloData returns the "data" object of an Airalo answer.
func airaloData(t *testing.T, data []byte) map[string]any {
	t.Helper()
	m := decode(t, data)
	d, _ := m["data"].(map[string]any)
	if d == nil {
		t.Fatalf("no data object in %s", data)
	}
	return d
}

func TestAiraloAuth(t *testing.T) {
	s := newTestServer(t)
	for _, u := range []string{"/airalo/v2/notifications/opt-in", "/airalo/v2/simulator/webhook"} {
		code, _, data := call(t, "POST", s.URL+u, `{"type":"async_orders"}`)
		wantStatus(t, code, http.StatusUnauthorized, data)
		if m := decode(t, data); m["meta"].(map[string]any)["message"] != "Unauthenticated." {
			t.Errorf("401 body %s", data)
		}
	}
	code, _, data := call(t, "GET", s.URL+"/airalo/v2/nope", nil, "Authorization", "Bearer x")
	wantStatus(t, code, http.StatusNotFound, data)
	code, hdr, data := call(t, "DELETE", s.URL+"/airalo/v2/notifications/opt-in", nil, "Authorization", "Bearer x")
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
	if hdr.Get("Allow") != "POST, GET" {
		t.Errorf("Allow %q", hdr.Get("Allow"))
	}
}

func TestAiraloOptInValidation(t *testing.T) {
	s := newTestServer(t)
	auth := []string{"Authorization", "Bearer partner-token"}
	for _, tc := range []struct{ body, field string }{
		{`{}`, "type"},
		{`{"type":"sms_low_data","webhook_url":"http://127.0.0.1:1/"}`, "type"},
		{`{"type":"webhook_low_data"}`, "webhook_url"},
		{`{"type":"async_orders","webhook_url":"not a url"}`, "webhook_url"},
		{`{"type":"email_low_data"}`, "email"},
		{`{"type":"webhook_credit_limit","webhook_url":"http://127.0.0.1:1/","levels":[50,55]}`, "levels"},
		{`{"type":"webhook_credit_limit","webhook_url":"http://127.0.0.1:1/","levels":80}`, "levels"},
	} {
		code, _, data := call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in", tc.body, auth...)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if msg, _ := airaloData(t, data)[tc.field].(string); msg == "" {
			t.Errorf("%s: %s does not name %s", tc.body, data, tc.field)
		}
		if m := decode(t, data); m["meta"].(map[string]any)["message"] != "the parameter is invalid" {
			t.Errorf("meta %s", data)
		}
	}
	eps, _ := s.store.ListEndpoints(context.Background())
	if len(eps) != 0 {
		t.Fatalf("invalid opt-ins registered %d endpoints", len(eps))
	}
}

func TestAiraloOptInHeadCheck(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	auth := []string{"Authorization", "Bearer partner-token"}

	// HEAD answering anything but 200 fails the opt-in: nothing is saved.
	for _, status := range []int32{http.StatusNotFound, http.StatusNoContent, http.StatusFound} {
		rcv.Head.Store(status)
		code, _, data := call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
			map[string]any{"type": "webhook_low_data", "webhook_url": rcv.URL + "/airalo"}, auth...)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if msg, _ := airaloData(t, data)["webhook_url"].(string); !strings.Contains(msg, "HEAD") {
			t.Errorf("HEAD %d: %s", status, data)
		}
		if got := rcv.Next(t); got.Method != http.MethodHead || got.Path != "/airalo" {
			t.Fatalf("check was %s %s", got.Method, got.Path)
		}
	}
	// Unreachable URL fails too.
	code, _, data := call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "async_orders", "webhook_url": "http://127.0.0.1:1/"}, auth...)
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	eps, _ := s.store.ListEndpoints(context.Background())
	if len(eps) != 0 {
		t.Fatalf("failed opt-ins registered %d endpoints", len(eps))
	}
	code, _, data = call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in", nil, auth...)
	wantStatus(t, code, http.StatusNotFound, data)

	// 200 opts in.
	rcv.Head.Store(http.StatusOK)
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "webhook_low_data", "webhook_url": rcv.URL + "/airalo"}, auth...)
	wantStatus(t, code, http.StatusOK, data)
	rcv.Next(t)
	if !bytes.Equal(bytes.TrimSpace(data), []byte(`{"data":{"notification":{"type":"webhook_low_data","contact_point":"`+rcv.URL+`/airalo"}},"meta":{"message":"success"}}`)) {
		t.Errorf("opt-in answer %s", data)
	}
	eps, _ = s.store.ListEndpoints(context.Background())
	if len(eps) != 1 || eps[0].Source != "airalo" || eps[0].Provider != "airalo" || len(eps[0].Events) != 4 || eps[0].Secret == "" {
		t.Fatalf("endpoints after opt-in: %+v", eps)
	}

	// Credit limit with levels, and an email opt-in.
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "webhook_credit_limit", "webhook_url": rcv.URL + "/credit", "levels": []int{90, 50}}, auth...)
	wantStatus(t, code, http.StatusOK, data)
	rcv.Next(t)
	if n := airaloData(t, data)["notification"].(map[string]any); len(n["levels"].([]any)) != 2 {
		t.Errorf("credit opt-in %s", data)
	}
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "email_low_data", "email": "ops@example.com", "language": "de"}, auth...)
	wantStatus(t, code, http.StatusOK, data)

	// GET shows the latest, or the one asked for.
	code, _, data = call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in", nil, auth...)
	wantStatus(t, code, http.StatusOK, data)
	if n := airaloData(t, data)["notification"].(map[string]any); n["type"] != "email_low_data" || n["contact_point"] != "ops@example.com" {
		t.Errorf("GET opt-in %s", data)
	}
	code, _, data = call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in?type=webhook_credit_limit", nil, auth...)
	wantStatus(t, code, http.StatusOK, data)
	if n := airaloData(t, data)["notification"].(map[string]any); n["contact_point"] != rcv.URL+"/credit" {
		t.Errorf("GET opt-in credit %s", data)
	}
	// Another token is another account.
	code, _, data = call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in", nil, "Authorization", "Bearer other")
	wantStatus(t, code, http.StatusNotFound, data)

	// Opt-out removes the endpoint.
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-out", map[string]any{"type": "webhook_low_data"}, auth...)
	wantStatus(t, code, http.StatusNoContent, data)
	code, _, data = call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in?type=webhook_low_data", nil, auth...)
	wantStatus(t, code, http.StatusNotFound, data)
	eps, _ = s.store.ListEndpoints(context.Background())
	if len(eps) != 1 {
		t.Fatalf("%d endpoints after opt-out, want the credit-limit one", len(eps))
	}
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-out", map[string]any{"type": "nope"}, auth...)
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
}

// TestAiraloTokenSignsWithClientSecret gets a token the way Airalo's SDKs
// do (form data), opts in with it, and checks that deliveries are signed
// with the client_secret.
func TestAiraloTokenSignsWithClientSecret(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	form := url.Values{"client_id": {"my-client"}, "client_secret": {"my-client-secret"}, "grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", s.URL+"/airalo/v2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Data struct {
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			AccessToken string `json:"access_token"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.Data.TokenType != "Bearer" || tok.Data.AccessToken == "" || tok.Data.ExpiresIn <= 0 {
		t.Fatalf("token answer %d %+v", resp.StatusCode, tok)
	}
	code, _, data := call(t, "POST", s.URL+"/airalo/v2/token", `{"client_id":"x"}`)
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	if d := airaloData(t, data); d["client_secret"] == nil || d["grant_type"] == nil {
		t.Errorf("token validation %s", data)
	}
	// Multipart form data, as JavaScript's FormData sends it.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("client_id", "my-client")
	mw.WriteField("client_secret", "my-client-secret")
	mw.WriteField("grant_type", "client_credentials")
	mw.Close()
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/token", mp.Bytes(), "Content-Type", mw.FormDataContentType())
	wantStatus(t, code, http.StatusOK, data)

	auth := []string{"Authorization", "Bearer " + tok.Data.AccessToken}
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "async_orders", "webhook_url": rcv.URL}, auth...)
	wantStatus(t, code, http.StatusOK, data)
	rcv.Next(t) // HEAD

	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "airalo", "event": "async_order"})
	wantStatus(t, code, http.StatusAccepted, data)
	verify(t, "airalo", "", "my-client-secret", rcv.NextPost(t))
}

func TestAiraloSimulator(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	auth := []string{"Authorization", "Bearer partner-token"}
	sim := s.URL + "/airalo/v2/simulator/webhook"

	for _, tc := range []struct{ body, field string }{
		{`{"event":"sms_notification"}`, "event"},
		{`{}`, "event"},
		{`{"event":"low_data_notification"}`, "type"},
		{`{"event":"low_data_notification","type":"data_80"}`, "type"},
		{`{"event":"credit_limit_notification","level":60}`, "level"},
	} {
		code, _, data := call(t, "POST", sim, tc.body, auth...)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if _, ok := airaloData(t, data)[tc.field]; !ok {
			t.Errorf("%s: %s does not name %s", tc.body, data, tc.field)
		}
	}
	// Rate limit: five requests a minute; start a fresh minute.
	now := time.Now()
	mountedAPI[*airaloMock](s, "/airalo/").sim.setClock(func() time.Time { return now.Add(time.Hour) })
	mountedAPI[*airaloMock](s, "/airalo/").simAddr.setClock(func() time.Time { return now.Add(time.Hour) })

	// Not opted in.
	code, _, data := call(t, "POST", sim, `{"event":"low_data_notification","type":"data_90"}`, auth...)
	wantStatus(t, code, http.StatusBadRequest, data)
	if msg, _ := decode(t, data)["error"].(string); msg == "" {
		t.Fatalf("not opted in: %s", data)
	}

	// Opted in: the notification is sent, signed, with the ICCID asked for.
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in",
		map[string]any{"type": "webhook_low_data", "webhook_url": rcv.URL + "/low"}, auth...)
	wantStatus(t, code, http.StatusOK, data)
	rcv.Next(t)
	ep, err := s.store.GetEndpoint(context.Background(), airaloEndpointID(accountKey("token:partner-token"), "webhook_low_data"))
	if err != nil {
		t.Fatal(err)
	}
	live, stopLive := s.engine.Subscribe(4)
	defer stopLive()
	code, _, data = call(t, "POST", sim, `{"event":"low_data_notification","type":"data_90","iccid":"8944500000000000017"}`, auth...)
	wantStatus(t, code, http.StatusOK, data)
	if string(bytes.TrimSpace(data)) != `{"success":"Notification sent"}` {
		t.Errorf("simulator answer %s", data)
	}
	got := rcv.NextPost(t)
	verify(t, "airalo", "", ep.Secret, got)
	if got.Path != "/low" || !bytes.Contains(got.Body, []byte(`"level":"90%"`)) || !bytes.Contains(got.Body, []byte(`"iccid":"8944500000000000017"`)) {
		t.Errorf("pushed %s %s", got.Path, got.Body)
	}
	ds, _ := s.store.ListDeliveries(context.Background(), engine.DeliveryFilter{EndpointID: ep.ID})
	if len(ds) != 1 || ds[0].Event != "low_data_90" || ds[0].State != engine.StateDelivered {
		t.Fatalf("recorded pushes %+v", ds)
	}
	// The push is the engine's: streamed live like any attempt.
	select {
	case a := <-live:
		if a.DeliveryID != ds[0].ID || !a.Success {
			t.Errorf("streamed %s (success %v), want the push %s", a.DeliveryID, a.Success, ds[0].ID)
		}
	case <-time.After(5 * time.Second):
		t.Error("the simulator's push was not on the live stream")
	}

	// The receiver failing is a 400.
	rcv.Status.Store(http.StatusInternalServerError)
	code, _, data = call(t, "POST", sim, `{"event":"low_data_notification","type":"expire_1"}`, auth...)
	wantStatus(t, code, http.StatusBadRequest, data)
	if msg, _ := decode(t, data)["error"].(string); !strings.Contains(msg, "500") {
		t.Errorf("push failed: %s", data)
	}
	rcv.NextPost(t)

	// webhook_url needs no opt-in; the credit level is in the message.
	rcv.Status.Store(http.StatusOK)
	code, _, data = call(t, "POST", sim, `{"event":"credit_limit_notification","level":80,"webhook_url":"`+rcv.URL+`/credit"}`, auth...)
	wantStatus(t, code, http.StatusOK, data)
	if got := rcv.NextPost(t); got.Path != "/credit" || !bytes.Contains(got.Body, []byte("Surpassed 80% of the credit limit balance")) {
		t.Errorf("credit push %s %s", got.Path, got.Body)
	}
	code, _, data = call(t, "POST", sim, `{"event":"async_order_notification","webhook_url":"`+rcv.URL+`/orders"}`, auth...)
	wantStatus(t, code, http.StatusOK, data)
	if got := rcv.NextPost(t); !bytes.Contains(got.Body, []byte(`"request_id"`)) {
		t.Errorf("async order push %s", got.Body)
	}

	// That was five requests in this minute: the sixth is refused.
	code, hdr, data := call(t, "POST", sim, `{"event":"async_order_notification"}`, auth...)
	wantStatus(t, code, http.StatusTooManyRequests, data)
	if hdr.Get("Retry-After") == "" || hdr.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers %v", hdr)
	}
}

// fakeNow is a clock a test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

func (f *fakeNow) add(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

func TestAiraloSimulatorRateLimit(t *testing.T) {
	s := newTestServer(t)
	clock := &fakeNow{t: time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)}
	mountedAPI[*airaloMock](s, "/airalo/").sim.setClock(clock.now)
	mountedAPI[*airaloMock](s, "/airalo/").simAddr.setClock(clock.now)
	sim := s.URL + "/airalo/v2/simulator/webhook"
	a := []string{"Authorization", "Bearer a"}
	for i := range 5 {
		code, hdr, data := call(t, "POST", sim, `{"event":"nope"}`, a...)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if want := string(rune('4' - i)); hdr.Get("X-RateLimit-Remaining") != want {
			t.Errorf("request %d: remaining %q, want %s", i+1, hdr.Get("X-RateLimit-Remaining"), want)
		}
		clock.add(10 * time.Second)
	}
	code, hdr, data := call(t, "POST", sim, `{"event":"nope"}`, a...)
	wantStatus(t, code, http.StatusTooManyRequests, data)
	if hdr.Get("Retry-After") != "10" {
		t.Errorf("Retry-After %q, want 10", hdr.Get("Retry-After"))
	}
	// Another account has its own budget.
	code, _, data = call(t, "POST", sim, `{"event":"nope"}`, "Authorization", "Bearer b")
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	// A minute after the first request, one is free again.
	clock.add(10 * time.Second)
	code, _, data = call(t, "POST", sim, `{"event":"nope"}`, a...)
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	code, _, data = call(t, "POST", sim, `{"event":"nope"}`, a...)
	wantStatus(t, code, http.StatusTooManyRequests, data)
}
