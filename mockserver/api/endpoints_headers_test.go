package api

import (
	"bytes"
	"net/http"
	"testing"
)

// TestEndpointHeadersMasked: extra header values (a gateway's API key) are
// masked in every endpoint answer, sent in clear to the receiver and kept
// in clear in the attempt record (what was sent); a PATCH that sends a
// masked value back keeps the value, and a new value replaces it.
func TestEndpointHeadersMasked(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	const key = "gw-key-0123456789abcdef"
	code, _, data := call(t, "POST", s.URL+"/api/endpoints", map[string]any{
		"url": rcv.URL, "provider": "roamify", "headers": map[string]string{"X-Api-Key": key, "X-Env": "dev"},
	})
	wantStatus(t, code, http.StatusCreated, data)
	id := decode(t, data)["id"].(string)
	want := map[string]string{"X-Api-Key": "****cdef", "X-Env": "****"}
	checkMasked := func(what string, data []byte, ep map[string]any) {
		t.Helper()
		if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(`"dev"`)) {
			t.Errorf("%s shows a header value: %s", what, data)
		}
		h, _ := ep["headers"].(map[string]any)
		for k, v := range want {
			if h[k] != v {
				t.Errorf("%s: headers[%s] = %v, want %q", what, k, h[k], v)
			}
		}
	}
	checkMasked("POST", data, decode(t, data))
	code, _, data = call(t, "GET", s.URL+"/api/endpoints/"+id, nil)
	wantStatus(t, code, http.StatusOK, data)
	checkMasked("GET one", data, decode(t, data))
	code, _, data = call(t, "GET", s.URL+"/api/endpoints", nil)
	wantStatus(t, code, http.StatusOK, data)
	checkMasked("GET list", data, decode(t, data)["endpoints"].([]any)[0].(map[string]any))

	// Sending the masked values back keeps them; a new value replaces.
	code, _, data = call(t, "PATCH", s.URL+"/api/endpoints/"+id, map[string]any{"headers": map[string]string{"X-Api-Key": "****cdef", "X-Env": "prod"}})
	wantStatus(t, code, http.StatusOK, data)
	stored, err := s.store.GetEndpoint(t.Context(), id)
	if err != nil || stored.Headers["X-Api-Key"] != key || stored.Headers["X-Env"] != "prod" {
		t.Fatalf("stored headers %v %v", stored.Headers, err)
	}

	attempts, unsubscribe := s.Engine().Subscribe(4)
	defer unsubscribe()
	code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "roamify", "event": "esim/esim_status"})
	wantStatus(t, code, http.StatusAccepted, data)
	if got := rcv.nextPost(t); got.Header.Get("X-Api-Key") != key {
		t.Errorf("the receiver got X-Api-Key %q", got.Header.Get("X-Api-Key"))
	}
	a := waitAttempt(t, attempts)
	if a.RequestHeaders.Get("X-Api-Key") != key {
		t.Errorf("the attempt records X-Api-Key %q, want what was sent", a.RequestHeaders.Get("X-Api-Key"))
	}
}
