package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/esimhooks/esimhooks/openapi"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// specFile is the control API's OpenAPI document inside openapi.FS.
const specFile = "mockserver.yaml"

// apiSpec is the loaded control API description: the router that maps a
// request to its operation, and the raw document served at
// /api/openapi.yaml. It is read-only after loadAPISpec.
type apiSpec struct {
	raw    []byte
	doc    *openapi3.T
	router routers.Router
}

// loadAPISpec loads and validates openapi/mockserver.yaml and builds its
// router. (The legacy router is used because the gorilla/mux one needs a
// dependency the module does not have.)
func loadAPISpec() (*apiSpec, error) {
	raw, err := openapi.FS.ReadFile(specFile)
	if err != nil {
		return nil, fmt.Errorf("reading the control API description: %w", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", specFile, err)
	}
	// The router matches paths only: the document's servers name the
	// default address, but the server answers wherever --addr puts it.
	routed := *doc
	routed.Servers = nil
	router, err := legacy.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", specFile, err)
	}
	return &apiSpec{raw: raw, doc: doc, router: router}, nil
}

// operations returns the operation ids of every path under /api/.
func (s *apiSpec) operations() []string {
	var ids []string
	for path, item := range s.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	return ids
}

// routeMethods are the methods tried when a path matches no operation, to
// tell 404 from 405.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// find returns the operation for r and its path parameters (unescaped).
// It routes on the escaped path, so that a parameter may hold an encoded
// "/" (Roamify's event "esim/esim_status" is sent as "esim%2Fesim_status").
// For a path that exists under other methods it returns those in allowed.
func (s *apiSpec) find(r *http.Request) (route *routers.Route, params map[string]string, allowed []string) {
	try := func(method string) (*routers.Route, map[string]string, error) {
		u := *r.URL
		u.Path, u.RawPath = r.URL.EscapedPath(), ""
		req := &http.Request{Method: method, URL: &u, Header: r.Header, Host: r.Host}
		return s.router.FindRoute(req)
	}
	route, raw, err := try(r.Method)
	if err == nil {
		params = make(map[string]string, len(raw))
		for k, v := range raw {
			if uv, err := url.PathUnescape(v); err == nil {
				v = uv
			}
			params[k] = v
		}
		return route, params, nil
	}
	for _, m := range routeMethods {
		if m == r.Method {
			continue
		}
		if _, _, err := try(m); err == nil {
			allowed = append(allowed, m)
		}
	}
	return nil, nil, allowed
}

// validate checks r against its operation (parameters, body, content
// type) and returns nil or the problem to answer with: 413 for a body over
// the limit, otherwise 400 naming each field and rule. The body is read
// and put back, so the handler can read it again.
func (s *apiSpec) validate(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string) *Problem {
	// A JSON body sent without a Content-Type is taken as JSON; any other
	// declared type is checked against the document.
	if r.Header.Get("Content-Type") == "" && r.ContentLength != 0 && route.Operation.RequestBody != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError: true,
			// The bearer token is checked before routing (constant time).
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			// Defaults are applied by the handlers: letting the validator
			// rewrite the body would re-encode a trigger's payload and
			// lose its key order.
			SkipSettingDefaults: true,
		},
	}
	err := openapi3filter.ValidateRequest(ctx, in)
	if err == nil {
		return nil
	}
	var c errCollector
	c.collect(err)
	if c.tooLarge {
		return problemf(http.StatusRequestEntityTooLarge, problemTooLarge, "the request body is larger than the server's limit")
	}
	if len(c.errs) == 0 {
		c.errs = append(c.errs, ProblemError{Rule: "invalid", Message: err.Error()})
	}
	p := newProblem(http.StatusBadRequest, problemValidation, summarize(c.errs))
	p.Errors = c.errs
	return p
}

// summarize makes a problem's detail from its errors.
func summarize(errs []ProblemError) string {
	first := errs[0]
	where := first.Parameter
	if where == "" {
		where = first.Pointer
		if where == "" {
			where = "the body"
		}
	}
	s := fmt.Sprintf("%s: %s (%s)", where, first.Message, first.Rule)
	if len(errs) > 1 {
		s += fmt.Sprintf(", and %d more", len(errs)-1)
	}
	return s
}

// errCollector flattens kin-openapi's validation errors into ProblemErrors.
type errCollector struct {
	errs     []ProblemError
	tooLarge bool
}

func (c *errCollector) collect(err error) {
	var me openapi3.MultiError
	var re *openapi3filter.RequestError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		c.tooLarge = true
	case isMulti(err, &me):
		for _, e := range me {
			c.collect(e)
		}
	case errors.As(err, &re):
		c.request(re)
	default:
		c.errs = append(c.errs, ProblemError{Rule: "invalid", Message: err.Error()})
	}
}

// isMulti reports whether err itself is a MultiError (not merely wraps
// one somewhere in a RequestError).
func isMulti(err error, me *openapi3.MultiError) bool {
	m, ok := err.(openapi3.MultiError)
	if ok {
		*me = m
	}
	return ok
}

func (c *errCollector) request(re *openapi3filter.RequestError) {
	switch {
	case re.Parameter != nil:
		base := ProblemError{Parameter: re.Parameter.Name, In: re.Parameter.In}
		var pe *openapi3filter.ParseError
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			base.Rule, base.Message = "required", "the parameter is required"
			c.errs = append(c.errs, base)
		case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
			base.Rule, base.Message = "minLength", "the parameter must not be empty"
			c.errs = append(c.errs, base)
		case errors.As(re.Err, &pe):
			base.Rule, base.Message = "type", pe.Error()
			c.errs = append(c.errs, base)
		default:
			n := len(c.errs)
			schemaLeaves(re.Err, func(se *openapi3.SchemaError) {
				e := base
				e.Rule, e.Message = leafRule(se), leafMessage(se)
				c.errs = append(c.errs, e)
			})
			if len(c.errs) == n {
				base.Rule, base.Message = "invalid", re.Error()
				c.errs = append(c.errs, base)
			}
		}
	case re.RequestBody != nil:
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			c.errs = append(c.errs, ProblemError{In: "body", Rule: "required", Message: "a JSON request body is required"})
		case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			c.errs = append(c.errs, ProblemError{Parameter: "Content-Type", In: "header", Rule: "content-type",
				Message: "the body must be sent as Content-Type: application/json"})
		case re.Reason == "failed to decode request body":
			msg := "the body is not valid JSON"
			if re.Err != nil {
				msg += ": " + re.Err.Error()
			}
			c.errs = append(c.errs, ProblemError{In: "body", Rule: "json", Message: msg})
		default:
			n := len(c.errs)
			schemaLeaves(re.Err, func(se *openapi3.SchemaError) {
				c.errs = append(c.errs, bodyLeaf(se)...)
			})
			if len(c.errs) == n {
				c.errs = append(c.errs, ProblemError{In: "body", Rule: "invalid", Message: re.Error()})
			}
		}
	default:
		c.errs = append(c.errs, ProblemError{Rule: "invalid", Message: re.Error()})
	}
}

// schemaLeaves calls visit for every innermost SchemaError of err: the
// JSON Schema 2020-12 validator nests the errors of allOf, anyOf, $ref and
// property checks, and only the leaves name a rule.
func schemaLeaves(err error, visit func(*openapi3.SchemaError)) {
	var me openapi3.MultiError
	if isMulti(err, &me) {
		for _, e := range me {
			schemaLeaves(e, visit)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return
	}
	if se.Origin != nil {
		if errors.As(se.Origin, &me) {
			for _, e := range me {
				schemaLeaves(e, visit)
			}
			return
		}
		var inner *openapi3.SchemaError
		if errors.As(se.Origin, &inner) && inner != se {
			schemaLeaves(inner, visit)
			return
		}
	}
	visit(se)
}

// bodyLeaf converts one schema violation in the body. A missing required
// property is reported at the property's own pointer, so that the error
// names the field.
func bodyLeaf(se *openapi3.SchemaError) []ProblemError {
	ptr := jsonv.Pointer(se.JSONPointer())
	rule := leafRule(se)
	if rule == "required" {
		if names := quotedNames(se.Reason); len(names) > 0 {
			out := make([]ProblemError, 0, len(names))
			for _, n := range names {
				out = append(out, ProblemError{Pointer: ptr + "/" + jsonv.EscapePointer(n), In: "body", Rule: "required",
					Message: fmt.Sprintf("%s is required", n)})
			}
			return out
		}
	}
	return []ProblemError{{Pointer: ptr, In: "body", Rule: rule, Message: leafMessage(se)}}
}

// leafRule is the JSON Schema keyword a leaf violation broke.
func leafRule(se *openapi3.SchemaError) string {
	if se.SchemaField != "" {
		return se.SchemaField
	}
	return "invalid"
}

// reasonPrefix is how the 2020-12 validator starts a reason
// (`error at "/url": `) and its leaf message (`at '/url': `).
var reasonPrefix = regexp.MustCompile(`^(error at "[^"]*": )?(at '[^']*': )?`)

// leafMessage is a violation's message without the location prefix and
// without the schema and value dumps of the legacy validator.
func leafMessage(se *openapi3.SchemaError) string {
	msg := se.Reason
	if msg == "" {
		msg = "does not match the schema's " + leafRule(se)
	}
	msg = reasonPrefix.ReplaceAllString(msg, "")
	// The 2020-12 validator's message of a leaf reads
	// "jsonschema validation failed with '...'\n- at '/x': <what>".
	if i := strings.LastIndex(msg, ": "); strings.Contains(msg, "\n- at ") && i >= 0 {
		msg = msg[i+2:]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(reasonPrefix.ReplaceAllString(msg, ""))
}

// quotedNames returns the names quoted with ' in a validator message such
// as "missing properties 'url', 'provider'".
var quotedRE = regexp.MustCompile(`'([^']*)'`)

func quotedNames(reason string) []string {
	msg := reasonPrefix.ReplaceAllString(reason, "")
	if i := strings.LastIndex(msg, "missing propert"); i >= 0 {
		msg = msg[i:]
	} else {
		return nil
	}
	var out []string
	for _, m := range quotedRE.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	return out
}
