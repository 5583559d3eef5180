package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/schemas"
)

// lookupVariant resolves a provider's variant. An empty variant, or
// "default" for a provider without a variant of that name, is the
// provider's default variant. Errors are *providers.UnknownError.
func (s *Server) lookupVariant(provider, variant string) (*providers.Variant, error) {
	return engine.ResolveVariant(s.cat, provider, variant)
}

// lookupEvent resolves provider, variant and event, answering 422 with the
// choices and the body field (pointers, when not empty) on failure.
func (s *Server) lookupEvent(provider, variant, event string, pointers ...string) (*providers.Variant, *providers.Event, *Problem) {
	ptr := func(i int) string {
		if i < len(pointers) {
			return pointers[i]
		}
		return ""
	}
	v, err := s.lookupVariant(provider, variant)
	if err != nil {
		var u *providers.UnknownError
		if errors.As(err, &u) {
			if _, perr := s.cat.Profile(provider); perr != nil {
				return nil, nil, unknownProblem(u, ptr(0))
			}
			return nil, nil, unknownProblem(u, ptr(1))
		}
		return nil, nil, problemf(http.StatusUnprocessableEntity, problemUnprocessable, "%v", err)
	}
	if event == "" {
		return v, nil, nil
	}
	ev, err := v.Event(event)
	if err != nil {
		var u *providers.UnknownError
		if errors.As(err, &u) {
			return nil, nil, unknownProblem(u, ptr(2))
		}
		return nil, nil, problemf(http.StatusUnprocessableEntity, problemUnprocessable, "%v", err)
	}
	return v, ev, nil
}

type catalogueView struct {
	Providers []providerView `json:"providers"`
}

type providerView struct {
	Name        string        `json:"name"`
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	Variants    []variantView `json:"variants"`
}

type variantView struct {
	Name         string                 `json:"name"`
	Default      bool                   `json:"default"`
	Source       string                 `json:"source,omitempty"`
	Description  string                 `json:"description,omitempty"`
	Envelope     string                 `json:"envelope,omitempty"`
	Encoding     string                 `json:"encoding,omitempty"`
	DeliveryID   string                 `json:"delivery_id,omitempty"`
	Deadline     string                 `json:"deadline"`
	AckSuccess   string                 `json:"ack_success"`
	Retry        retryView              `json:"retry"`
	Signature    signatureView          `json:"signature"`
	Headers      []providers.Header     `json:"headers,omitempty"`
	Idempotency  providers.KeySpec      `json:"idempotency"`
	Registration providers.Registration `json:"registration"`
	SourceIPs    []string               `json:"source_ips,omitempty"`
	Assumptions  []providers.Assumption `json:"assumptions"`
	Notes        []string               `json:"notes,omitempty"`
	Events       []eventView            `json:"events"`
}

type retryView struct {
	Schedule     []string `json:"schedule"`
	Attempts     int      `json:"attempts"`
	NoRetryOn4xx bool     `json:"no_retry_on_4xx,omitempty"`
}

type signatureView struct {
	Scheme       string `json:"scheme"`
	Header       string `json:"header,omitempty"`
	Hash         string `json:"hash,omitempty"`
	Prefix       string `json:"prefix,omitempty"`
	Message      string `json:"message,omitempty"`
	SecretFormat string `json:"secret_format,omitempty"`
	Tolerance    string `json:"tolerance,omitempty"`
}

type eventView struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Schema      string `json:"schema,omitempty"`
	Internal    bool   `json:"internal"`
	Reserved    string `json:"reserved,omitempty"`
	Assumed     string `json:"assumed,omitempty"`
}

// handleListProviders serves the catalogue.
func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) {
	out := catalogueView{Providers: []providerView{}}
	for _, p := range s.cat.Profiles() {
		pv := providerView{Name: p.Name, Title: p.Title, Description: p.Description, Variants: []variantView{}}
		def := p.Default()
		for _, v := range p.Variants {
			pv.Variants = append(pv.Variants, newVariantView(v, v == def))
		}
		out.Providers = append(out.Providers, pv)
	}
	writeJSON(w, http.StatusOK, out)
}

func newVariantView(v *providers.Variant, isDefault bool) variantView {
	vv := variantView{
		Name: v.Name, Default: isDefault, Source: v.Source, Description: v.Description,
		Envelope: v.Envelope, Encoding: v.Encoding, DeliveryID: v.DeliveryID,
		Deadline: v.Ack.Deadline.String(), AckSuccess: v.Ack.Success,
		Retry: retryView{Schedule: []string{}, Attempts: len(v.Retry.Schedule), NoRetryOn4xx: v.Retry.NoRetryOn4xx},
		Signature: signatureView{
			Scheme: v.Signature.Scheme, Header: v.Signature.Header, Hash: v.Signature.Hash,
			Prefix: v.Signature.Prefix, Message: v.Signature.Message, SecretFormat: v.Signature.SecretFormat,
		},
		Headers: v.Headers, Idempotency: v.Idempotency, Registration: v.Registration,
		SourceIPs: v.SourceIPs, Assumptions: v.Assumptions(), Notes: v.Notes, Events: []eventView{},
	}
	if vv.Assumptions == nil {
		vv.Assumptions = []providers.Assumption{}
	}
	if v.Signature.Tolerance != 0 {
		vv.Signature.Tolerance = v.Signature.Tolerance.String()
	}
	for _, d := range v.Retry.Schedule {
		vv.Retry.Schedule = append(vv.Retry.Schedule, d.String())
	}
	for _, e := range v.Events {
		vv.Events = append(vv.Events, eventView{Name: e.Name, Description: e.Description, Schema: e.Schema,
			Internal: e.Internal, Reserved: e.Reserved, Assumed: e.Assumed})
	}
	return vv
}

type sampleView struct {
	Provider   string          `json:"provider"`
	Variant    string          `json:"variant"`
	Event      string          `json:"event"`
	Seed       uint64          `json:"seed"`
	Start      time.Time       `json:"start"`
	Payload    json.RawMessage `json:"payload"`
	Body       string          `json:"body"`
	BodyBase64 string          `json:"body_base64"`
	Schema     string          `json:"schema,omitempty"`
	// Validation is the payload checked against the event's schema, as
	// POST /api/validate answers it: the Send view shows it without
	// asking again.
	Validation *validateResult `json:"validation"`
}

// maxSafeSeed keeps generated seeds exact in JavaScript numbers.
const maxSafeSeed = 1<<53 - 1

// handleSample generates an event's payload and body, for the dashboard's
// pre-filled form.
func (s *Server) handleSample(w http.ResponseWriter, r *http.Request) {
	v, ev, p := s.lookupEvent(r.PathValue("provider"), r.PathValue("variant"), r.PathValue("event"))
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	var seed uint64
	if q.Has("seed") {
		n, err := strconv.ParseUint(q.Get("seed"), 10, 64)
		if err != nil {
			writeProblem(w, r, paramProblem("seed", "type", "must be a whole number of at most 2^53-1"))
			return
		}
		seed = n
	} else {
		seed = randomSeed()
	}
	start := time.Now().UTC().Truncate(time.Second)
	if q.Has("start") {
		t, err := time.Parse(time.RFC3339, q.Get("start"))
		if err != nil {
			writeProblem(w, r, paramProblem("start", "format", "must be an RFC 3339 date-time"))
			return
		}
		start = t.UTC()
	}
	pl, err := ev.Generate(payload.NewWorld(seed, start))
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	body, err := v.Encode(pl)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	compact, err := jsonv.Compact(pl)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	res, err := validatePayload(ev, pl)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	writeJSON(w, http.StatusOK, sampleView{
		Provider: v.Provider.Name, Variant: v.Name, Event: ev.Name, Seed: seed, Start: start,
		Payload: compact, Body: string(body), BodyBase64: base64.StdEncoding.EncodeToString(body), Schema: ev.Schema,
		Validation: res,
	})
}

// paramProblem returns a 400 problem about one query parameter.
func paramProblem(name, rule, message string) *Problem {
	p := newProblem(http.StatusBadRequest, problemValidation, name+": "+message)
	p.Errors = []ProblemError{{Parameter: name, In: "query", Rule: rule, Message: message}}
	return p
}

// randomSeed draws a seed that JavaScript can hold exactly.
func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) & maxSafeSeed
}

// handleSchema serves a JSON Schema file of package schemas.
func (s *Server) handleSchema(w http.ResponseWriter, r *http.Request) {
	var parts []string
	for _, name := range []string{"dir", "variant", "file"} {
		if v := r.PathValue(name); v != "" {
			parts = append(parts, v)
		}
	}
	p := path.Join(parts...)
	if !fs.ValidPath(p) {
		writeProblem(w, r, problemf(http.StatusNotFound, problemNotFound, "no schema %q", p))
		return
	}
	data, err := schemas.FS.ReadFile(p)
	if err != nil {
		writeProblem(w, r, problemf(http.StatusNotFound, problemNotFound, "no schema %q", p))
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	w.Write(data)
}

type validateRequest struct {
	Provider string          `json:"provider"`
	Variant  string          `json:"variant"`
	Event    string          `json:"event"`
	Payload  json.RawMessage `json:"payload"`
}

type violationView struct {
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

type validateResult struct {
	Valid      bool            `json:"valid"`
	Checked    bool            `json:"checked"`
	Schema     string          `json:"schema,omitempty"`
	Violations []violationView `json:"violations"`
}

// handleValidate checks a payload against an event's schema. A payload
// that breaks the schema is a 200 answer with the violations.
func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	var req validateRequest
	if p := decodeJSON(r, &req, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	_, ev, p := s.lookupEvent(req.Provider, req.Variant, req.Event, "/provider", "/variant", "/event")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	pl, err := jsonv.Parse(req.Payload)
	if err != nil {
		writeProblem(w, r, fieldProblem("/payload", "json", err.Error()))
		return
	}
	res, err := validatePayload(ev, pl)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// validatePayload checks pl against ev's schema; a payload that breaks it
// is a result with violations, the error is for a check that failed.
func validatePayload(ev *providers.Event, pl jsonv.Value) (*validateResult, error) {
	res := &validateResult{Valid: true, Checked: true, Schema: ev.Schema, Violations: []violationView{}}
	err := ev.Validate(pl)
	var ve *schemas.ValidationError
	switch {
	case err == nil:
	case errors.Is(err, providers.ErrNoSchema):
		res.Checked = false
	case errors.As(err, &ve):
		res.Valid = false
		for _, v := range ve.Violations {
			res.Violations = append(res.Violations, violationView{Pointer: v.Pointer, Keyword: v.Keyword, Message: v.Message})
		}
	default:
		return nil, err
	}
	return res, nil
}
