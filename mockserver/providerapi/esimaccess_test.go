package providerapi

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
)

// esimaccessAuth is the seed's header pair.
var esimaccessAuth = []string{"RT-AccessCode", "access-1", "RT-SecretKey", "secret-1"}

// envelope checks eSIM Access's envelope and returns it.
func envelope(t *testing.T, code int, data []byte, success bool, errorCode string) map[string]any {
	t.Helper()
	wantStatus(t, code, http.StatusOK, data)
	m := decode(t, data)
	if m["success"] != success {
		t.Fatalf("success = %v, want %v: %s", m["success"], success, data)
	}
	for _, k := range []string{"errorCode", "errorMsg", "success", "obj"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("envelope lacks %s: %s", k, data)
		}
	}
	if got, _ := m["errorCode"].(string); got != errorCode {
		t.Fatalf("errorCode %q, want %q: %s", got, errorCode, data)
	}
	return m
}

func TestEsimaccessSaveValidation(t *testing.T) {
	s := newTestServer(t)
	save := s.URL + "/esimaccess/api/v1/open/webhook/save"
	code, _, data := call(t, "POST", save, `{"webhook":"http://127.0.0.1:1/"}`)
	envelope(t, code, data, false, "000101")
	code, _, data = call(t, "POST", save, `{"webhook":"http://127.0.0.1:1/"}`, "RT-AccessCode", "access-1")
	envelope(t, code, data, false, "000101")
	code, _, data = call(t, "POST", save, `{"webhook":`, esimaccessAuth...)
	envelope(t, code, data, false, "000104")
	code, _, data = call(t, "POST", save, `{}`, esimaccessAuth...)
	envelope(t, code, data, false, "000105")
	code, _, data = call(t, "POST", save, `{"webhook":""}`, esimaccessAuth...)
	envelope(t, code, data, false, "000106")
	code, _, data = call(t, "POST", save, `{"webhook":"mailto:x@example.com"}`, esimaccessAuth...)
	envelope(t, code, data, false, "000106")
	code, _, data = call(t, "POST", save+"?variant=v9", `{"webhook":"http://127.0.0.1:1/"}`, esimaccessAuth...)
	envelope(t, code, data, false, "000106")
	code, _, data = call(t, "GET", save, nil, esimaccessAuth...)
	wantStatus(t, code, http.StatusMethodNotAllowed, data)
	eps, _ := s.store.ListEndpoints(context.Background())
	if len(eps) != 0 {
		t.Fatalf("failed saves registered %d endpoints", len(eps))
	}
}

func TestEsimaccessSaveOpenAPI(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	code, _, data := call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/save", `{"webhook":"`+rcv.URL+`/esim"}`, esimaccessAuth...)
	wantStatus(t, code, http.StatusOK, data)
	if string(bytes.TrimSpace(data)) != `{"errorCode":null,"errorMsg":null,"success":true,"obj":null}` {
		t.Fatalf("save answer %s", data)
	}
	code, _, data = call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/query", "{}", esimaccessAuth...)
	m := envelope(t, code, data, true, "")
	if m["obj"].(map[string]any)["webhook"] != rcv.URL+"/esim" {
		t.Fatalf("query %s", data)
	}
	ep, err := s.store.GetEndpoint(context.Background(), esimaccessEndpointID(accountKey("access-1")))
	if err != nil || ep.Source != "esimaccess" || ep.Variant != "" {
		t.Fatalf("endpoint %+v %v", ep, err)
	}
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimaccess", "event": "ORDER_STATUS"})
	wantStatus(t, code, http.StatusAccepted, data)
	if got := rcv.NextPost(t); got.Path != "/esim" || !bytes.Contains(got.Body, []byte(`"eventType":"ORDER_STATUS"`)) {
		t.Errorf("delivered %s %s", got.Path, got.Body)
	}
	// Another access code has no webhook.
	code, _, data = call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/query", "{}", "RT-AccessCode", "other", "RT-SecretKey", "k")
	if m := envelope(t, code, data, true, ""); m["obj"] != nil {
		t.Errorf("other account's query %s", data)
	}
}

func TestEsimaccessCheckHealth(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	save := s.URL + "/esimaccess/api/v1/open/webhook/save?variant=api-reference"
	// The API reference's HMAC headers are accepted too.
	auth := []string{"RT-AccessCode", "access-2", "RT-RequestID", "4ce9d9cd", "RT-Timestamp", "1628670421", "RT-Signature", "7EB765E2"}

	rcv.Status.Store(http.StatusInternalServerError)
	code, _, data := call(t, "POST", save, `{"webhook":"`+rcv.URL+`/hook"}`, auth...)
	envelope(t, code, data, false, "000001")
	got := rcv.NextPost(t)
	if !bytes.Contains(got.Body, []byte(`"notifyType":"CHECK_HEALTH"`)) || !bytes.Contains(got.Body, []byte(`"orderStatus":"Test"`)) {
		t.Fatalf("check sent %s", got.Body)
	}
	code, _, data = call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/query", "{}", auth...)
	if m := envelope(t, code, data, true, ""); m["obj"] != nil {
		t.Fatalf("a webhook that failed CHECK_HEALTH was saved: %s", data)
	}

	rcv.Status.Store(http.StatusNoContent) // any 2xx acknowledges
	code, _, data = call(t, "POST", save, `{"webhook":"`+rcv.URL+`/hook"}`, auth...)
	envelope(t, code, data, true, "")
	rcv.NextPost(t)
	ep, err := s.store.GetEndpoint(context.Background(), esimaccessEndpointID(accountKey("access-2")))
	if err != nil || ep.Variant != "api-reference" || ep.URL != rcv.URL+"/hook" {
		t.Fatalf("endpoint %+v %v", ep, err)
	}
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimaccess", "variant": "api-reference", "event": "SMDP_EVENT"})
	wantStatus(t, code, http.StatusAccepted, data)
	if got := rcv.NextPost(t); !bytes.Contains(got.Body, []byte(`"notifyType":"SMDP_EVENT"`)) {
		t.Errorf("delivered %s", got.Body)
	}
}

// TestBodyTimeoutEndsWithTheBody: once the body has arrived, the handler
// may take longer than the body read timeout (here a registration check
// whose receiver answers after three times that bound) without its
// request being cancelled.
func TestBodyTimeoutEndsWithTheBody(t *testing.T) {
	const bound = 100 * time.Millisecond
	s := newTestServer(t, func(c *mockserver.Config) { c.BodyReadTimeout = bound })
	slow := newHookReceiver(t)
	slow.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The slowness is the stimulus: an answer later than the bound.
		select {
		case <-time.After(3 * bound):
		case <-r.Context().Done():
		}
	})
	code, _, data := call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/save?variant=api-reference", `{"webhook":"`+slow.URL+`/hook"}`, esimaccessAuth...)
	envelope(t, code, data, true, "")
}

// TestEsimaccessSaveBeyondEndpointBound: the server's MaxEndpoints holds
// for a provider's registration API too: webhook/save beyond it fails in
// eSIM Access's envelope naming the serve flag, and nothing is stored.
func TestEsimaccessSaveBeyondEndpointBound(t *testing.T) {
	s := newTestServer(t, func(c *mockserver.Config) { c.MaxEndpoints = 1 })
	createEndpoint(t, s, map[string]any{"url": "http://127.0.0.1:9/hook", "provider": "standard"})
	code, _, data := call(t, "POST", s.URL+"/esimaccess/api/v1/open/webhook/save", `{"webhook":"http://127.0.0.1:9/esim"}`, esimaccessAuth...)
	if m := envelope(t, code, data, false, "000001"); !strings.Contains(m["errorMsg"].(string), "serve --max-endpoints") {
		t.Fatalf("eSIM Access webhook/save beyond the bound: %s", data)
	}
	if eps, _ := s.store.ListEndpoints(context.Background()); len(eps) != 1 {
		t.Fatalf("%d endpoints stored, want 1", len(eps))
	}
}
