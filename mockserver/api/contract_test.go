package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// contract checks answers against openapi/mockserver.yaml: each answer's
// status must be documented for its operation, and its body must match
// the documented schema.
type contract struct {
	t    *testing.T
	s    *Server
	seen map[string]bool
}

func (c *contract) do(method, path string, body any, headers ...string) (int, []byte) {
	c.t.Helper()
	code, hdr, data := call(c.t, method, c.s.URL+path, body, headers...)
	c.check(method, path, code, hdr, data)
	return code, data
}

// check validates one answer of the server to method path.
func (c *contract) check(method, path string, code int, hdr http.Header, data []byte) {
	c.t.Helper()
	u, _ := url.Parse(c.s.URL + path)
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, params, _ := c.s.spec.find(req)
	if route == nil {
		c.t.Fatalf("%s %s has no route", method, path)
	}
	c.seen[route.Operation.OperationID] = true
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	if strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 code,
		Header:                 hdr,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Errorf("%s %s → %d does not match the document: %v\n%s", method, path, code, err, data)
	}
}

func TestResponsesMatchTheDocument(t *testing.T) {
	fr := &fakeRunner{ran: make(chan ScenarioRunRequest, 1)}
	s := newTestServer(t, func(c *Options) { c.Scenarios = fr })
	rcv := newHookReceiver(t)
	c := &contract{t: t, s: s, seen: map[string]bool{}}
	attempts, unsubscribe := s.Engine().Subscribe(8)
	defer unsubscribe()

	c.do("GET", "/api/openapi.yaml", nil)
	c.do("GET", "/api/credentials", nil)
	c.do("GET", "/api/providers", nil)
	c.do("GET", "/api/providers/esimfly/variants/default/events/order.created/sample?seed=3", nil)
	c.do("GET", "/api/providers/nope/variants/default/events/x/sample", nil)
	c.do("GET", "/api/schemas/common.schema.json", nil)
	c.do("GET", "/api/schemas/esimfly/common.schema.json", nil)
	c.do("GET", "/api/schemas/esimfly/2025-01/order.created.schema.json", nil)
	c.do("GET", "/api/schemas/esimfly/2025-01/nope.schema.json", nil)
	c.do("POST", "/api/validate", map[string]any{"provider": "esimfly", "event": "order.created", "payload": map[string]any{}})
	c.do("POST", "/api/validate", map[string]any{"provider": "esimfly"})

	_, data := c.do("POST", "/api/endpoints", map[string]any{"url": rcv.URL, "provider": "esimfly", "chaos": map[string]any{"delay": 0}})
	id := decode(t, data)["id"].(string)
	c.do("POST", "/api/endpoints", map[string]any{"url": rcv.URL, "provider": "esimfly", "variant": "nope"})
	c.do("GET", "/api/endpoints", nil)
	c.do("GET", "/api/endpoints/"+id, nil)
	c.do("GET", "/api/endpoints/nope", nil)
	c.do("PATCH", "/api/endpoints/"+id, map[string]any{"description": "x"})
	c.do("POST", "/api/endpoints/"+id+"/rotate-secret", nil)

	_, data = c.do("POST", "/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created"})
	dlv := decode(t, data)["deliveries"].([]any)[0].(map[string]any)["id"].(string)
	rcv.nextPost(t)
	waitAttempt(t, attempts)
	c.do("POST", "/api/triggers", map[string]any{"provider": "esimfly"})
	c.do("GET", "/api/endpoints/"+id+"/stats", nil)
	c.do("GET", "/api/deliveries?limit=1", nil)
	c.do("GET", "/api/deliveries?state=nope", nil)
	c.do("GET", "/api/deliveries/"+dlv, nil)
	c.do("GET", "/api/deliveries/"+dlv+"/attempts", nil)
	c.do("POST", "/api/deliveries/"+dlv+"/retry", nil)
	c.do("POST", "/api/deliveries/"+dlv+"/resend", nil)
	rcv.nextPost(t)
	waitAttempt(t, attempts)
	c.do("POST", "/api/deliveries/nope/resend", nil)

	ctx, cancel := context.WithCancel(context.Background())
	stream := openStream(t, ctx, s.URL+"/api/stream")
	cancel()
	stream.resp.Body.Close()
	c.seen["streamAttempts"] = true

	c.do("GET", "/api/scenarios", nil)
	c.do("POST", "/api/scenarios/order-life/runs", map[string]any{"endpoint_id": id})
	c.do("POST", "/api/scenarios/nope/runs", map[string]any{"endpoint_id": id})
	c.do("GET", "/api/scenario-runs/run_1", nil)
	c.do("GET", "/api/scenario-runs/run_404", nil)
	c.do("DELETE", "/api/endpoints/"+id, nil)

	// The checker bites: a wrong body and an undocumented status fail.
	u, _ := url.Parse(s.URL + "/api/providers")
	req := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	route, params, _ := s.spec.find(req)
	for _, bad := range []struct {
		status int
		body   string
	}{{200, `{"providers":5}`}, {418, `{}`}} {
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 bad.status,
			Header:                 http.Header{"Content-Type": {"application/json"}},
			Body:                   io.NopCloser(strings.NewReader(bad.body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		})
		if err == nil {
			t.Errorf("a %d %s answer passed the contract check", bad.status, bad.body)
		}
	}

	for _, op := range s.spec.operations() {
		if !c.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}
