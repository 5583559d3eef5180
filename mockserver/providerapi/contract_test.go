package providerapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/openapi"
)

// regContract checks the registration mocks' live answers against
// openapi/registration.yaml: every answer's status must be documented for
// its operation and its body must match the documented schema; a request
// the test means to be well formed must match the document too. It records
// which statuses each operation was seen to answer.
type regContract struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	seen   map[string]map[int]bool
}

func newRegContract(t *testing.T) *regContract {
	t.Helper()
	doc, err := openapi.LoadBundled("registration.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routed := *doc
	routed.Servers = nil // paths only, as the server routes
	router, err := legacy.NewRouter(&routed)
	if err != nil {
		t.Fatal(err)
	}
	return &regContract{t: t, doc: doc, router: router, seen: map[string]map[int]bool{}}
}

// request is one call of the test: wellFormed says the document must
// accept it.
type request struct {
	method, path string
	body         any
	headers      []string
	wellFormed   bool
}

// do sends r to s and checks the answer; it returns the status and body.
func (c *regContract) do(s *testServer, r request) (int, []byte) {
	c.t.Helper()
	code, hdr, data := call(c.t, r.method, s.URL+r.path, r.body, r.headers...)
	c.check(r, code, hdr, data)
	return code, data
}

// check validates one answer (and, when well formed, its request).
func (c *regContract) check(r request, code int, hdr http.Header, data []byte) {
	c.t.Helper()
	var raw []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	u, _ := url.Parse("http://127.0.0.1" + r.path)
	req, _ := http.NewRequest(r.method, u.String(), bytes.NewReader(raw))
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(r.headers); i += 2 {
		if r.headers[i] != "Host" {
			req.Header.Set(r.headers[i], r.headers[i+1])
		}
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s has no operation in registration.yaml: %v", r.method, r.path, err)
	}
	op := route.Operation.OperationID
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][code] = true
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if r.wellFormed {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.t.Errorf("%s %s: the document refuses a well-formed request: %v", r.method, r.path, err)
		}
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 code,
		Header:                 hdr,
		Body:                   io.NopCloser(bytes.NewReader(data)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		c.t.Errorf("%s %s (%s) → %d does not match the document: %v\n%s", r.method, r.path, op, code, err, data)
	}
}

// operations lists every operation of the document: id, method, path and
// whether it takes a body.
type regOperation struct {
	id, method, path string
	body             bool
	statuses         []int
}

func (c *regContract) operations() []regOperation {
	var out []regOperation
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := regOperation{id: op.OperationID, method: method, path: path, body: op.RequestBody != nil}
			for code := range op.Responses.Map() {
				n, err := strconv.Atoi(code)
				if err != nil {
					c.t.Fatalf("%s: response %q is not a status code", op.OperationID, code)
				}
				o.statuses = append(o.statuses, n)
			}
			slices.Sort(o.statuses)
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b regOperation) int { return strings.Compare(a.id, b.id) })
	return out
}

// TestRegistrationRoutesAreDescribed: the routes the three mocks serve and
// the operations of registration.yaml are the same set.
func TestRegistrationRoutesAreDescribed(t *testing.T) {
	s := newTestServer(t)
	c := newRegContract(t)
	var served []string
	for _, rs := range []*providerRoutes{mountedAPI[*airaloMock](s, "/airalo/").routes, mountedAPI[*esimaccessMock](s, "/esimaccess/").routes, mountedAPI[*esimflyMock](s, "/esimfly/").routes} {
		for _, r := range rs.routes {
			served = append(served, r.method+" "+r.path)
		}
	}
	var described []string
	for _, o := range c.operations() {
		described = append(described, o.method+" "+o.path)
	}
	slices.Sort(served)
	slices.Sort(described)
	if !slices.Equal(served, described) {
		t.Errorf("the mocks serve\n  %v\nregistration.yaml describes\n  %v", served, described)
	}
}

// TestRegistrationAnswersMatchTheDocument drives every operation of
// registration.yaml through every status it documents, on live servers
// (without a token, with one, and at the bound of endpoints), and checks
// each answer (and each request meant to be well formed) against the
// document. A status documented but never produced fails, as does an
// answer the document does not describe.
func TestRegistrationAnswersMatchTheDocument(t *testing.T) {
	const maxBody = 16 << 10
	s := newTestServer(t, func(c *mockserver.Config) { c.MaxBodyBytes = maxBody })
	rcv := newHookReceiver(t)
	failing := newHookReceiver(t)
	failing.Status.Store(http.StatusInternalServerError)
	c := newRegContract(t)
	bearer := func(account string) []string { return []string{"Authorization", "Bearer " + account} }
	ea := []string{"RT-AccessCode", "access-1", "RT-SecretKey", "secret-1"}
	fly := esimflyAuth
	ok := func(method, path string, body any, headers ...string) []byte {
		t.Helper()
		code, data := c.do(s, request{method, path, body, headers, true})
		if code/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, code, data)
		}
		return data
	}
	bad := func(method, path string, body any, want int, headers ...string) []byte {
		t.Helper()
		code, data := c.do(s, request{method, path, body, headers, false})
		if code != want {
			t.Errorf("%s %s: %d %s, want %d", method, path, code, data, want)
		}
		return data
	}

	// Airalo.
	form := url.Values{"client_id": {"client-1"}, "client_secret": {"secret-1"}, "grant_type": {"client_credentials"}}
	data := ok("POST", "/airalo/v2/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		Data struct {
			AccessToken string `json:"access_token"`
		}
	}
	if json.Unmarshal(data, &tok) != nil || tok.Data.AccessToken == "" {
		t.Fatalf("token answer %s", data)
	}
	auth := bearer(tok.Data.AccessToken)
	bad("POST", "/airalo/v2/token", map[string]any{}, 422)
	bad("GET", "/airalo/v2/notifications/opt-in", nil, 404, auth...)
	ok("POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "async_orders", "webhook_url": rcv.URL}, auth...)
	rcv.Next(t) // the HEAD check
	ok("POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "webhook_credit_limit", "webhook_url": rcv.URL, "levels": []int{50, 90}}, auth...)
	rcv.Next(t)
	ok("POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "email_low_data", "email": "ops@example.com"}, auth...)
	bad("POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "nope"}, 422, auth...)
	ok("GET", "/airalo/v2/notifications/opt-in?type=async_orders", nil, auth...)
	bad("GET", "/airalo/v2/notifications/opt-in?type=nope", nil, 422, auth...)
	ok("POST", "/airalo/v2/simulator/webhook", map[string]any{"event": "async_order_notification"}, auth...)
	rcv.NextPost(t)
	bad("POST", "/airalo/v2/simulator/webhook", map[string]any{"event": "low_data_notification", "type": "data_75", "webhook_url": failing.URL}, 400, bearer("sim-2")...)
	failing.Next(t)
	bad("POST", "/airalo/v2/simulator/webhook", map[string]any{"event": "nope"}, 422, bearer("sim-3")...)
	for range airaloSimLimit {
		bad("POST", "/airalo/v2/simulator/webhook", map[string]any{"event": "credit_limit_notification"}, 422, bearer("sim-4")...)
	}
	bad("POST", "/airalo/v2/simulator/webhook", map[string]any{"event": "credit_limit_notification"}, 429, bearer("sim-4")...)
	ok("POST", "/airalo/v2/notifications/opt-out", map[string]any{"type": "async_orders"}, auth...)
	bad("POST", "/airalo/v2/notifications/opt-out", map[string]any{}, 422, auth...)

	// eSIM Access: every answer is 200 with the envelope.
	envelopeCode := func(data []byte) any {
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		return m["errorCode"]
	}
	save := "/esimaccess/api/v1/open/webhook/save"
	if data := bad("POST", save, map[string]any{"webhook": rcv.URL}, 200); envelopeCode(data) != "000101" {
		t.Errorf("save without RT- headers: %s", data)
	}
	ok("POST", save, map[string]any{"webhook": rcv.URL + "/ea"}, ea...)
	ok("POST", save+"?variant=api-reference", map[string]any{"webhook": rcv.URL + "/ea2"}, ea...)
	rcv.NextPost(t) // CHECK_HEALTH
	if data := bad("POST", save, "{", 200, ea...); envelopeCode(data) != "000104" {
		t.Errorf("save with a broken body: %s", data)
	}
	ok("GET", "/esimaccess/api/v1/open/webhook/query", nil, ea...)
	ok("POST", "/esimaccess/api/v1/open/webhook/query", nil, ea...)

	// eSIMfly, with a delivery in its recent_deliveries.
	hooks := "/esimfly/api/v1/business/webhooks"
	bad("PUT", hooks, map[string]any{"webhook_url": rcv.URL}, 401)
	bad("GET", hooks, nil, 401)
	ok("PUT", hooks+"?variant=2026-09", map[string]any{"webhook_url": rcv.URL + "/fly", "events": []string{"esim.installed"}}, fly...)
	code, _, tdata := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "variant": "2026-09", "event": "esim.installed"})
	wantStatus(t, code, http.StatusAccepted, tdata)
	rcv.NextPost(t)
	ok("GET", hooks, nil, fly...)
	ok("PUT", hooks, map[string]any{"webhook_url": rcv.URL + "/fly"}, fly...)
	bad("PUT", hooks+"?variant=2025-01", map[string]any{"webhook_url": rcv.URL}, 400, fly...)
	bad("PUT", hooks, map[string]any{"webhook_url": rcv.URL, "events": []string{"nope"}}, 400, fly...)
	bad("GET", hooks+"?variant=2025-01", nil, 400, fly...)

	// What every operation of its kind answers: 401 without credentials,
	// 413 to a body over the limit, and the guard's 421, 403 and 408.
	slow := newTestServer(t, func(c *mockserver.Config) { c.BodyReadTimeout = 100 * time.Millisecond })
	huge := `{"x":"` + strings.Repeat("a", maxBody) + `"}`
	for _, o := range c.operations() {
		creds := map[string][]string{"airalo": auth, "esimaccess": ea, "esimfly": fly}[strings.Split(o.path, "/")[1]]
		if slices.Contains(o.statuses, 401) && o.id != "airaloToken" {
			c.do(s, request{o.method, o.path, nil, nil, false})
		}
		if slices.Contains(o.statuses, 413) {
			c.do(s, request{o.method, o.path, huge, creds, false})
		}
		c.do(s, request{o.method, o.path, nil, []string{"Host", "attacker.example"}, false})
		if o.method != http.MethodGet {
			c.do(s, request{o.method, o.path, map[string]any{}, []string{"Origin", "http://attacker.example"}, false})
		}
		if o.body {
			head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000", o.method, o.path)
			code, hdr, data, _ := rawResponse(t, slow, head, `{"webhook":`)
			c.check(request{o.method, o.path, nil, nil, false}, code, hdr, data)
		}
	}

	// With a token: only the credentials of GET /api/credentials.
	const serverToken = "contract-server-token"
	st := newTestServer(t, func(c *mockserver.Config) { c.Token = serverToken })
	code, _, data = call(t, "GET", st.URL+"/api/credentials", nil, bearer(serverToken)...)
	wantStatus(t, code, http.StatusOK, data)
	var creds api.Credentials
	if err := json.Unmarshal(data, &creds); err != nil {
		t.Fatal(err)
	}
	if code, data := c.do(st, request{"POST", "/airalo/v2/token", map[string]any{"client_id": "someone", "client_secret": "x", "grant_type": "client_credentials"}, nil, true}); code != 401 {
		t.Errorf("a foreign client got %d %s", code, data)
	}
	code, data = c.do(st, request{"POST", "/airalo/v2/token", map[string]any{"client_id": creds.Airalo.ClientID, "client_secret": creds.Airalo.ClientSecret, "grant_type": "client_credentials"}, nil, true})
	wantStatus(t, code, http.StatusOK, data)
	if json.Unmarshal(data, &tok) != nil {
		t.Fatal(string(data))
	}
	code, data = c.do(st, request{"POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "async_orders", "webhook_url": rcv.URL}, bearer(tok.Data.AccessToken), true})
	wantStatus(t, code, http.StatusOK, data)
	rcv.Next(t)
	eaCreds := []string{"RT-AccessCode", creds.Esimaccess.AccessCode, "RT-SecretKey", creds.Esimaccess.SecretKey}
	code, data = c.do(st, request{"POST", save, map[string]any{"webhook": rcv.URL + "/ea"}, eaCreds, true})
	if code != 200 || envelopeCode(data) != nil {
		t.Errorf("save with the server's credentials: %d %s", code, data)
	}
	if _, data := c.do(st, request{"POST", save, map[string]any{"webhook": rcv.URL + "/ea"}, ea, true}); envelopeCode(data) != "000102" {
		t.Errorf("save with foreign credentials: %s", data)
	}
	body := `{"webhook_url":"` + rcv.URL + `/fly"}`
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sig := hex.EncodeToString(rtSignature(creds.Esimfly.SecretKey, ts, "req-1", creds.Esimfly.AccessCode, []byte(body)))
	signed := []string{"RT-AccessCode", creds.Esimfly.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", sig}
	code, data = c.do(st, request{"PUT", hooks, body, signed, true})
	wantStatus(t, code, http.StatusOK, data)
	if code, data := c.do(st, request{"PUT", hooks, body, fly, true}); code != 401 {
		t.Errorf("eSIMfly PUT with foreign credentials: %d %s", code, data)
	}

	// At the bound of endpoints: 409 (Airalo, eSIMfly), envelope 000001 (eSIM Access).
	full := newTestServer(t, func(c *mockserver.Config) { c.MaxEndpoints = 1 })
	if code, data := c.do(full, request{"POST", save, map[string]any{"webhook": rcv.URL + "/ea"}, ea, true}); code != 200 || envelopeCode(data) != nil {
		t.Fatalf("the first endpoint: %d %s", code, data)
	}
	if _, data := c.do(full, request{"POST", save, map[string]any{"webhook": rcv.URL + "/ea"}, []string{"RT-AccessCode", "access-2", "RT-SecretKey", "k"}, true}); envelopeCode(data) != "000001" {
		t.Errorf("eSIM Access beyond the bound: %s", data)
	}
	c.do(full, request{"POST", "/airalo/v2/notifications/opt-in", map[string]any{"type": "async_orders", "webhook_url": rcv.URL}, bearer("acct-9"), true})
	rcv.Next(t)
	c.do(full, request{"PUT", hooks, map[string]any{"webhook_url": rcv.URL}, fly, true})

	for _, o := range c.operations() {
		for _, code := range o.statuses {
			if !c.seen[o.id][code] {
				t.Errorf("%s (%s %s) documents %d, which no request produced", o.id, o.method, o.path, code)
			}
		}
	}
}

// TestRegistrationUnknownRoutes: a path no mock route has, or a known path
// with another method, is answered 404 or 405 (with Allow) in the
// provider's own JSON error shape, as registration.yaml's description says.
func TestRegistrationUnknownRoutes(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
		field, value string // a field of the provider's error shape
	}{
		{"GET", "/airalo/v2/nope", 404, "", "data", "[]"},
		{"DELETE", "/airalo/v2/notifications/opt-in", 405, "POST, GET", "data", "[]"},
		{"GET", "/esimaccess/api/v1/nope", 404, "", "errorCode", `"000001"`},
		{"PUT", "/esimaccess/api/v1/open/webhook/save", 405, "POST", "errorCode", `"000103"`},
		{"GET", "/esimfly/api/v1/nope", 404, "", "code", `"NOT_FOUND"`},
		{"GET", "/esimfly/api/v1/nope", 404, "", "error", `"Endpoint not found"`},
		{"POST", "/esimfly/api/v1/business/webhooks", 405, "PUT, GET", "code", `"METHOD_NOT_ALLOWED"`},
	} {
		code, hdr, data := call(t, tc.method, s.URL+tc.path, nil)
		var body map[string]json.RawMessage
		err := json.Unmarshal(data, &body)
		if code != tc.status || hdr.Get("Allow") != tc.allow || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") ||
			err != nil || string(body[tc.field]) != tc.value {
			t.Errorf("%s %s: %d Allow %q Content-Type %q %s; want %d Allow %q, JSON with %s %s",
				tc.method, tc.path, code, hdr.Get("Allow"), hdr.Get("Content-Type"), data, tc.status, tc.allow, tc.field, tc.value)
		}
	}
}
