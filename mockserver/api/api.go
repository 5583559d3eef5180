package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/internal/jsonlimit"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// operationHandlers maps each operationId of openapi/mockserver.yaml to
// its handler; New fails if an operation has none. Path parameters reach
// a handler through r.PathValue, already validated and unescaped.
func (s *Server) operationHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"getOpenAPI":            s.handleOpenAPI,
		"listProviders":         s.handleListProviders,
		"getEventSample":        s.handleSample,
		"getSchemaFile":         s.handleSchema,
		"getProviderSchemaFile": s.handleSchema,
		"getEventSchemaFile":    s.handleSchema,
		"validatePayload":       s.handleValidate,
		"listEndpoints":         s.handleListEndpoints,
		"createEndpoint":        s.handleCreateEndpoint,
		"getEndpoint":           s.handleGetEndpoint,
		"updateEndpoint":        s.handleUpdateEndpoint,
		"deleteEndpoint":        s.handleDeleteEndpoint,
		"rotateEndpointSecret":  s.handleRotateSecret,
		"getEndpointStats":      s.handleEndpointStats,
		"createTrigger":         s.handleTrigger,
		"listDeliveries":        s.handleListDeliveries,
		"getDelivery":           s.handleGetDelivery,
		"listDeliveryAttempts":  s.handleListAttempts,
		"resendDelivery":        s.handleResend,
		"retryDelivery":         s.handleRetry,
		"streamAttempts":        s.handleStream,
		"listScenarios":         s.handleListScenarios,
		"runScenario":           s.handleRunScenario,
		"getScenarioRun":        s.handleGetScenarioRun,
		"getCredentials":        s.handleCredentials,
	}
}

// serveAPI is the control API: bearer token, body cap, routing by the
// OpenAPI document (404, 405 with Allow), validation of the request
// against its operation (400, 413), then the operation's handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	op := "none"
	defer func() {
		code := sw.status
		if code == 0 {
			code = http.StatusOK
		}
		s.apiReqs.WithLabelValues(op, strconv.Itoa(code)).Inc()
		s.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "operation", op,
			"status", code, "duration", time.Since(start))
	}()
	h := sw.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")

	if !s.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer realm="esimhooks"`)
		writeProblem(sw, r, newProblem(http.StatusUnauthorized, problemUnauthorized,
			"this server requires Authorization: Bearer <token> on /api/ requests"))
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeProblem(sw, r, problemf(http.StatusRequestEntityTooLarge, problemTooLarge,
			"the request body has %d bytes; the limit is %d", r.ContentLength, s.cfg.MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)

	route, params, allowed := s.spec.find(r)
	if route == nil {
		if len(allowed) > 0 {
			h.Set("Allow", strings.Join(allowed, ", "))
			writeProblem(sw, r, problemf(http.StatusMethodNotAllowed, problemMethod,
				"%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
			return
		}
		writeProblem(sw, r, problemf(http.StatusNotFound, problemNotFound,
			"no route %s %s; see GET /api/openapi.yaml", r.Method, r.URL.Path))
		return
	}
	op = route.Operation.OperationID
	if p := limitBody(r); p != nil {
		writeProblem(sw, r, p)
		return
	}
	if p := unknownQuery(r, route); p != nil {
		writeProblem(sw, r, p)
		return
	}
	if p := s.spec.validate(r.Context(), r, route, params); p != nil {
		writeProblem(sw, r, p)
		return
	}
	for k, v := range params {
		r.SetPathValue(k, v)
	}
	s.ops[op](sw, r)
}

// limitBody reads r's body (already capped at MaxBodyBytes), refuses a
// body beyond jsonlimit's depth and value limits before anything decodes
// it, and puts it back for the validator and the handler.
func limitBody(r *http.Request) *Problem {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(data))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return problemf(http.StatusRequestEntityTooLarge, problemTooLarge, "the request body is larger than %d bytes", mbe.Limit)
	}
	if err != nil {
		return newProblem(http.StatusBadRequest, problemValidation, "reading the request body: "+err.Error())
	}
	var le *jsonlimit.Error
	if err := jsonlimit.Check(data); errors.As(err, &le) {
		rule := "maxDepth"
		if le.Limit == "values" {
			rule = "maxValues"
		}
		return fieldProblem("", rule, err.Error())
	}
	return nil
}

// handleOpenAPI serves the control API's own description.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(s.spec.raw)
}

// writeJSON sends v as JSON with the given status. HTML characters are not
// escaped, so payloads and bodies read as they are sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads the (already validated) request body into v. An empty
// body leaves v as it is when optional is true.
func decodeJSON(r *http.Request, v any, optional bool) *Problem {
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) && optional {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return problemf(http.StatusRequestEntityTooLarge, problemTooLarge, "the request body is larger than %d bytes", mbe.Limit)
	}
	var be *engine.BoundError
	if errors.As(err, &be) {
		return fieldProblem(be.Pointer, be.Rule, be.Message)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldProblem(jsonv.Pointer(strings.Split(te.Field, ".")), "type",
			"must be "+te.Type.String()+", not a JSON "+te.Value)
	}
	return fieldProblem("", "json", "the body is not valid JSON: "+err.Error())
}

// statusWriter records the status a handler answered with. It unwraps for
// http.ResponseController, so streaming handlers can flush through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the underlying ResponseWriter (for http.ResponseController).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
