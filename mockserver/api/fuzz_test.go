package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/esimhooks/esimhooks/internal/attack"
)

// FuzzControlAPI sends operations of openapi/mockserver.yaml, with bodies
// and parameters generated from the document and then mutated, to a
// running server, and fails on any 5xx (but the 501 of an operation the
// server was built without) or on a request that costs more than
// fuzzMaxAlloc of memory. Every webhook goes to a loopback receiver: a
// body's "url" is rewritten to it.
//
// The seed corpus (one valid request per operation, and issue 11's attack
// bodies) runs with go test. To fuzz longer:
//
//	go test ./mockserver -run '^$' -fuzz FuzzControlAPI -fuzztime 5m
func FuzzControlAPI(f *testing.F) {
	spec, err := loadAPISpec()
	if err != nil {
		f.Fatal(err)
	}
	ops := fuzzOperations(spec)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	f.Cleanup(rc.Close)
	s := newTestServer(f)
	fz := &fuzzer{s: s, rc: rc.URL, ops: ops}
	fz.ensureEndpoint(f)

	for i, op := range ops {
		f.Add(uint8(i), "", "", op.example(rc.URL))
	}
	idx := func(method, path string) uint8 {
		for i, op := range ops {
			if op.method == method && op.path == path {
				return uint8(i)
			}
		}
		f.Fatalf("no operation %s %s", method, path)
		return 0
	}
	ep, trig := idx("POST", "/api/endpoints"), idx("POST", "/api/triggers")
	for _, c := range []struct {
		op   uint8
		body string
	}{
		{ep, `{"url":"x","provider":"esimfly","chaos":{"delay":1e300}}`},
		{trig, `{"provider":"esimfly","event":"order.completed","chaos":{"delay":1e300}}`},
		{trig, `{"provider":"esimfly","event":"order.completed","chaos":{"jitter":"2562047h"}}`},
		{trig, `{"provider":"esimfly","event":"order.completed","chaos":{"duplicates":100,"duplicate_spacing":"24h"}}`},
		{ep, attack.NestedArrays(9999)},
		{trig, `{"provider":"esimfly","event":"order.completed","payload":` + attack.NestedArrays(60) + `}`},
		{trig, `{"provider":"esimfly","event":"order.completed","overrides":{"data":` + attack.NestedArrays(60) + `}}`},
		{ep, `{"url":"x","provider":"` + strings.Repeat("p", 100_000) + `"}`},
	} {
		f.Add(c.op, "", "", []byte(c.body))
	}
	f.Add(idx("GET", "/api/deliveries"), "", "limit=1000&before=zz&state=quarantined", []byte(nil))
	f.Add(idx("GET", "/api/providers/{provider}/variants/{variant}/events/{event}/sample"), "", "seed=9007199254740991&start=0001-01-01T00:00:00Z", []byte(nil))
	f.Add(idx("GET", "/api/endpoints/{id}"), "../../etc/passwd", "", []byte(nil))

	f.Fuzz(func(t *testing.T, op uint8, param, query string, body []byte) {
		fz.do(t, ops[int(op)%len(ops)], param, query, body)
	})
}

// fuzzMaxAlloc bounds the memory one request may cost (the body cap is
// 1 MiB; issue 11's nested body cost over a gigabyte).
const fuzzMaxAlloc = 64 << 20

// fuzzOp is one operation of the document.
type fuzzOp struct {
	method, path string
	body         *openapi3.Schema // nil: no request body
}

// fuzzOperations lists the /api/ operations but the live stream (which
// never ends), in a stable order.
func fuzzOperations(spec *apiSpec) []fuzzOp {
	var ops []fuzzOp
	for path, item := range spec.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for method, op := range item.Operations() {
			if op.OperationID == "streamAttempts" {
				continue
			}
			o := fuzzOp{method: method, path: path}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					o.body = mt.Schema.Value
				}
			}
			ops = append(ops, o)
		}
	}
	slices.SortFunc(ops, func(a, b fuzzOp) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return ops
}

// example returns a body for o generated from its schema, or nil.
func (o fuzzOp) example(receiver string) []byte {
	if o.body == nil {
		return nil
	}
	b, _ := json.Marshal(exampleOf(o.body, "", receiver, 0))
	return b
}

// exampleValues are the values of properties that the document cannot
// generate (names of the catalogue, the receiver's URL).
var exampleValues = map[string]any{
	"provider": "esimfly", "variant": "2025-01", "event": "order.completed",
	"events": []string{"order.completed"}, "seed": 1, "payload": map[string]any{},
}

// exampleOf generates a value of schema sc (of the property name).
func exampleOf(sc *openapi3.Schema, name, receiver string, depth int) any {
	if name == "url" || name == "probe_url" {
		return receiver
	}
	if v, ok := exampleValues[name]; ok {
		return v
	}
	if depth > 6 || sc == nil {
		return nil
	}
	for _, alt := range append(sc.AllOf, append(sc.OneOf, sc.AnyOf...)...) {
		if alt.Value != nil {
			return exampleOf(alt.Value, name, receiver, depth+1)
		}
	}
	if len(sc.Enum) > 0 {
		return sc.Enum[0]
	}
	switch {
	case sc.Type.Is("object") || len(sc.Properties) > 0:
		m := map[string]any{}
		for k, p := range sc.Properties {
			if k == "secret" || k == "endpoint_ids" || k == "start" || k == "overrides" || k == "headers" {
				continue // provider-specific formats; left to the mutator
			}
			if v := exampleOf(p.Value, k, receiver, depth+1); v != nil {
				m[k] = v
			}
		}
		return m
	case sc.Type.Is("array"):
		if sc.Items != nil {
			if v := exampleOf(sc.Items.Value, name, receiver, depth+1); v != nil {
				return []any{v}
			}
		}
		return []any{}
	case sc.Type.Is("string"):
		return "x"
	case sc.Type.Is("integer"), sc.Type.Is("number"):
		if sc.Min != nil {
			return *sc.Min
		}
		return 0
	case sc.Type.Is("boolean"):
		return false
	}
	return nil
}

// fuzzer holds the server under test and ids to fill path parameters with.
type fuzzer struct {
	s   *Server
	rc  string
	ops []fuzzOp

	mu         sync.Mutex
	endpointID string
	deliveryID string
}

// ensureEndpoint (re)creates the endpoint and a delivery that path
// parameters name when the fuzzer gives none.
func (fz *fuzzer) ensureEndpoint(t testing.TB) {
	code, _, data := fz.send(t, "POST", "/api/endpoints", "", []byte(`{"url":"`+fz.rc+`","provider":"esimfly"}`))
	if code != http.StatusCreated {
		t.Fatalf("creating the fuzz endpoint: %d %s", code, data)
	}
	var ep struct{ ID string }
	json.Unmarshal(data, &ep)
	code, _, data = fz.send(t, "POST", "/api/triggers", "",
		[]byte(`{"provider":"esimfly","event":"order.completed","endpoint_ids":["`+ep.ID+`"]}`))
	if code != http.StatusAccepted {
		t.Fatalf("triggering: %d %s", code, data)
	}
	var res struct{ Deliveries []struct{ ID string } }
	json.Unmarshal(data, &res)
	fz.endpointID = ep.ID
	if len(res.Deliveries) > 0 {
		fz.deliveryID = res.Deliveries[0].ID
	}
}

// urlField matches a body's "url" member, to send every webhook to the
// loopback receiver.
var urlField = regexp.MustCompile(`"url"\s*:\s*"(?:[^"\\]|\\.)*"`)

// pathParam matches a path template's parameters.
var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// do sends one operation and checks the answer and its cost.
func (fz *fuzzer) do(t *testing.T, op fuzzOp, param, query string, body []byte) {
	fz.mu.Lock()
	defer fz.mu.Unlock()
	path := pathParam.ReplaceAllStringFunc(op.path, func(m string) string {
		if param != "" {
			return url.PathEscape(param)
		}
		switch name := m[1 : len(m)-1]; {
		case name == "id" && strings.HasPrefix(op.path, "/api/deliveries"):
			return fz.deliveryID
		case name == "id":
			return fz.endpointID
		case name == "file":
			return "common.schema.json"
		case name == "dir":
			return "esimfly"
		default:
			if v, ok := exampleValues[name].(string); ok {
				return v
			}
			return "x"
		}
	})
	body = urlField.ReplaceAll(body, []byte(`"url":"`+fz.rc+`"`))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, _, data := fz.send(t, op.method, path, query, body)
	runtime.ReadMemStats(&after)
	if code >= 500 && code != http.StatusNotImplemented {
		t.Fatalf("%s %s?%s with %.300q: %d %.500s", op.method, path, query, body, code, data)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > fuzzMaxAlloc {
		t.Fatalf("%s %s with %d bytes of body: %d bytes allocated", op.method, path, len(body), alloc)
	}
	if op.method == http.MethodDelete && code < 300 {
		fz.ensureEndpoint(t)
	}
}

// send sends one request to the server (see call).
func (fz *fuzzer) send(t testing.TB, method, path, query string, body []byte) (int, http.Header, []byte) {
	u := fz.s.URL + path
	if query != "" {
		u += "?" + query
	}
	if _, err := url.Parse(u); err != nil {
		return 0, nil, nil // not a request a client could send
	}
	if body == nil {
		return call(t, method, u, nil)
	}
	return call(t, method, u, body)
}

// TestFuzzSeedsReachEveryOperation: the generated seeds are valid
// requests, so that the fuzzer starts from each operation's handler and
// not from its validation.
func TestFuzzSeedsReachEveryOperation(t *testing.T) {
	spec, err := loadAPISpec()
	if err != nil {
		t.Fatal(err)
	}
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rc.Close()
	s := newTestServer(t)
	fz := &fuzzer{s: s, rc: rc.URL, ops: fuzzOperations(spec)}
	fz.ensureEndpoint(t)
	for _, op := range fz.ops {
		if op.body == nil {
			continue
		}
		code, _, data := fz.send(t, op.method, pathParam.ReplaceAllStringFunc(op.path, func(m string) string {
			switch m {
			case "{id}":
				return fz.endpointID
			case "{name}":
				return "x"
			}
			return m
		}), "", op.example(rc.URL))
		if code == http.StatusBadRequest {
			t.Errorf("%s %s: the generated body is refused: %s", op.method, op.path, data)
		}
	}
	if len(fz.ops) < 15 {
		t.Errorf("only %d operations", len(fz.ops))
	}
}
