package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// problemOf decodes a problem answer and checks its media type and shape.
func problemOf(t *testing.T, hdr http.Header, data []byte) Problem {
	t.Helper()
	if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Type, problemBase) || p.Title == "" || p.Status == 0 || p.Detail == "" {
		t.Fatalf("incomplete problem %s", data)
	}
	return p
}

// hasError reports whether p names the field (pointer or parameter) with
// the rule.
func hasError(p Problem, field, rule string) bool {
	for _, e := range p.Errors {
		if (e.Pointer == field || e.Parameter == field) && e.Rule == rule && e.Message != "" {
			return true
		}
	}
	return false
}

func TestRequestValidation(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		name, method, url string
		body              any
		field, rule       string
	}{
		{"missing field", "POST", "/api/endpoints", `{"provider":"esimfly"}`, "/url", "required"},
		{"two missing fields", "POST", "/api/triggers", `{}`, "/event", "required"},
		{"wrong type", "POST", "/api/endpoints", `{"provider":"esimfly","url":42}`, "/url", "type"},
		{"not http", "POST", "/api/endpoints", `{"provider":"esimfly","url":"ftp://example.com/x"}`, "/url", "pattern"},
		{"unknown field", "POST", "/api/endpoints", `{"provider":"esimfly","url":"http://127.0.0.1/","colour":"red"}`, "", "additionalProperties"},
		{"nested minimum", "POST", "/api/endpoints", `{"provider":"esimfly","url":"http://127.0.0.1/","chaos":{"duplicates":-1}}`, "/chaos/duplicates", "minimum"},
		{"bad enum", "GET", "/api/deliveries?state=lost", nil, "state", "enum"},
		{"query type", "GET", "/api/deliveries?limit=many", nil, "limit", "type"},
		{"query maximum", "GET", "/api/deliveries?limit=5000", nil, "limit", "maximum"},
		{"bad date", "GET", "/api/providers/esimfly/variants/default/events/order.created/sample?start=yesterday", nil, "start", "format"},
		{"invalid JSON", "POST", "/api/triggers", `{"provider":`, "", "json"},
		{"no body", "POST", "/api/validate", "", "", "required"},
		{"bad overrides", "POST", "/api/triggers", `{"provider":"esimfly","event":"order.created","overrides":7}`, "/overrides", "type"},
		{"empty patch", "PATCH", "/api/endpoints/ep_1", `{}`, "", "minProperties"},
		{"header name", "POST", "/api/endpoints", `{"provider":"esimfly","url":"http://127.0.0.1/","headers":{"X-A: b\r\nX-Evil":"1"}}`, "", "pattern"},
		{"header value", "POST", "/api/endpoints", `{"provider":"esimfly","url":"http://127.0.0.1/","headers":{"X-Env":"a\r\nX-Evil: 1"}}`, "/headers/X-Env", "header-value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, data := call(t, tc.method, s.URL+tc.url, tc.body)
			wantStatus(t, code, http.StatusBadRequest, data)
			p := problemOf(t, hdr, data)
			if !hasError(p, tc.field, tc.rule) {
				t.Fatalf("problem %s does not name %q with rule %s", data, tc.field, tc.rule)
			}
		})
	}

	// Both missing fields are named.
	code, hdr, data := call(t, "POST", s.URL+"/api/triggers", `{}`)
	wantStatus(t, code, http.StatusBadRequest, data)
	if p := problemOf(t, hdr, data); !hasError(p, "/provider", "required") || !hasError(p, "/event", "required") {
		t.Errorf("problem %s", data)
	}

	// A non-JSON content type is refused.
	req, _ := http.NewRequest("POST", s.URL+"/api/validate", strings.NewReader("provider=esimfly"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("form body: status %d", resp.StatusCode)
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := newTestServer(t, func(c *Options) { c.MaxBodyBytes = 1024 })
	big := `{"provider":"esimfly","event":"order.created","payload":{"pad":"` + strings.Repeat("x", 2048) + `"}}`
	code, hdr, data := call(t, "POST", s.URL+"/api/triggers", big)
	wantStatus(t, code, http.StatusRequestEntityTooLarge, data)
	problemOf(t, hdr, data)

	// Without a Content-Length the cap still holds.
	req, _ := http.NewRequest("POST", s.URL+"/api/triggers", strings.NewReader(big))
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: status %d", resp.StatusCode)
	}
	// Provider mocks cap too.
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in", big, "Authorization", "Bearer t")
	wantStatus(t, code, http.StatusRequestEntityTooLarge, data)
}

func TestEveryOperationHasAHandler(t *testing.T) {
	spec, err := loadAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{}
	ops := s.operationHandlers()
	ids := spec.operations()
	for _, id := range ids {
		if ops[id] == nil {
			t.Errorf("operation %s has no handler", id)
		}
	}
	if len(ops) != len(ids) {
		t.Errorf("%d handlers for %d operations", len(ops), len(ids))
	}
}

// TestConcurrentValidation runs validated requests in parallel, so the
// race detector sees the shared router and document used concurrently.
func TestConcurrentValidation(t *testing.T) {
	s := newTestServer(t)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"provider":"esimfly","url":"http://127.0.0.1:9/","chaos":{"delay":"1s"}}`
			want := http.StatusCreated
			if i%2 == 1 {
				body, want = `{"provider":"esimfly","url":7}`, http.StatusBadRequest
			}
			resp, err := http.Post(s.URL+"/api/endpoints", "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				errs <- fmt.Sprintf("status %d, want %d", resp.StatusCode, want)
			}
			resp, err = http.Get(s.URL + "/api/deliveries?limit=3&state=pending")
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
