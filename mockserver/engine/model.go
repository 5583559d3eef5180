package engine

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// Endpoint is a receiver registered with the mock: where to send which
// provider's events, signed with which secret.
type Endpoint struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Provider string `json:"provider"`
	// Variant is the provider's variant; empty means the default.
	Variant string `json:"variant"`
	// Secret signs every delivery to this endpoint. It is shown once, when
	// the endpoint is created (or its secret rotated), and never logged.
	Secret string `json:"-"`
	// Events lists the subscribed event types; empty means all.
	Events      []string          `json:"events"`
	Description string            `json:"description,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Chaos       Chaos             `json:"chaos"`
	Disabled    bool              `json:"disabled"`
	// Quarantined says why a field of the endpoint could not be loaded
	// from the store; such an endpoint is loaded disabled, that field
	// empty, until it is updated.
	Quarantined string `json:"quarantined,omitempty"`
	// ProbeURL is the base URL of the receiver's conformance probe, which
	// scenario runs against the endpoint check their expectations with
	// unless the run names its own; empty for none.
	ProbeURL string `json:"probe_url,omitempty"`
	// Source says how the endpoint was registered: "api" (control API),
	// "airalo", "esimaccess", "esimfly" (the provider's own registration API
	// mock), or "cli".
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Chaos makes deliveries misbehave the way real providers do. Set per
// endpoint, and per trigger (a trigger's non-zero fields win).
type Chaos struct {
	// Duplicates is the number of extra byte-identical copies of each
	// delivery (same body, same delivery id, each freshly signed).
	Duplicates int `json:"duplicates,omitempty"`
	// DuplicateSpacing is the gap between copies; 0 sends them concurrently.
	DuplicateSpacing Duration `json:"duplicate_spacing,omitempty"`
	// ReorderWindow holds deliveries of one trigger batch (or of deliveries
	// to one endpoint arriving within the window) and releases them in a
	// shuffled order.
	ReorderWindow Duration `json:"reorder_window,omitempty"`
	// Delay is added before the first attempt; Jitter adds a random extra
	// of up to Jitter.
	Delay  Duration `json:"delay,omitempty"`
	Jitter Duration `json:"jitter,omitempty"`
	// CutAfterBody closes the connection after the request body is sent,
	// once the answer starts to arrive and before it is read, for the first
	// CutAfterBody attempts: the receiver processes the event but the
	// provider never sees the acknowledgement, so it retries (the lost-ack
	// case). A receiver that never answers times out instead.
	CutAfterBody int `json:"cut_after_body,omitempty"`
}

// Delivery state values.
const (
	StatePending   = "pending"   // waiting for its next attempt
	StateDelivered = "delivered" // an attempt was acknowledged
	StateFailed    = "failed"    // stopped by a rule (SimplifyTrip 4xx) or cancelled
	StateExhausted = "exhausted" // every scheduled attempt failed
	// StateQuarantined marks a delivery the log holds but cannot load (a
	// field damaged on disk, or out of today's bounds): it is never
	// attempted, and Quarantined says why.
	StateQuarantined = "quarantined"
)

// Delivery is one event on its way to one endpoint, with every attempt.
type Delivery struct {
	ID         string `json:"id"`
	EventID    string `json:"event_id"`
	EndpointID string `json:"endpoint_id"`
	Provider   string `json:"provider"`
	Variant    string `json:"variant"`
	Event      string `json:"event"`
	// WireID is the id sent on the wire (delivery-id header, webhook-id);
	// duplicates and attempts share it.
	WireID string `json:"wire_id"`
	// Key is the idempotency key a receiver should deduplicate on.
	Key  string `json:"key"`
	Body []byte `json:"-"`
	// CopyOf is the id of the original delivery for a duplicate copy.
	CopyOf string `json:"copy_of,omitempty"`
	// ResendOf is the id of the delivery a manual resend copied.
	ResendOf string `json:"resend_of,omitempty"`
	// RunID is the scenario run that sent the delivery (Engine.Send with
	// SendRequest.RunID); empty for every other delivery.
	RunID    string `json:"run_id,omitempty"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// NextAttemptAt is when a pending delivery is due (wall clock).
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// Chaos is the misbehaviour this delivery carries out.
	Chaos Chaos `json:"chaos"`
	// Quarantined says why a delivery in StateQuarantined could not be
	// loaded (as far as the store can tell).
	Quarantined string    `json:"quarantined,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// LastAttempt summarises the latest attempt recorded (AddAttempt);
	// nil before the first. The store keeps it: PutDelivery of an
	// existing delivery leaves it as it is.
	LastAttempt *AttemptSummary `json:"last_attempt,omitempty"`
}

// AttemptSummary is what a delivery in a list says of its latest attempt.
type AttemptSummary struct {
	N         int           `json:"n"`
	Status    int           `json:"status"` // 0 when no answer
	Outcome   string        `json:"outcome"`
	Latency   time.Duration `json:"latency_ns"`
	At        time.Time     `json:"at"` // when it started
	ErrorKind string        `json:"error_kind,omitempty"`
}

// Summary returns a's summary.
func (a *Attempt) Summary() *AttemptSummary {
	return &AttemptSummary{N: a.N, Status: a.Status, Outcome: a.Outcome, Latency: a.Latency, At: a.StartedAt, ErrorKind: a.ErrorKind}
}

// Attempt error kinds: those of package wire, which makes the attempts.
const (
	ErrKindTimeout  = wire.ErrKindTimeout
	ErrKindRefused  = wire.ErrKindRefused
	ErrKindTLS      = wire.ErrKindTLS
	ErrKindRedirect = wire.ErrKindRedirect
	ErrKindReset    = wire.ErrKindReset
	ErrKindCut      = wire.ErrKindCut // the mock cut the connection on purpose (CutAfterBody)
	ErrKindProtocol = wire.ErrKindProtocol
	ErrKindOther    = wire.ErrKindOther
)

// MaxResponseBody is how much of a receiver's answer body an attempt reads
// and records; the rest is never read (the connection is closed).
const MaxResponseBody = wire.MaxResponseBody

// Attempt is one HTTP request of a delivery and what came back.
type Attempt struct {
	DeliveryID     string      `json:"delivery_id"`
	EndpointID     string      `json:"endpoint_id"`
	Provider       string      `json:"provider"`
	Variant        string      `json:"variant"`
	Event          string      `json:"event"`
	N              int         `json:"n"` // 1-based
	StartedAt      time.Time   `json:"started_at"`
	URL            string      `json:"url"`
	RequestHeaders http.Header `json:"request_headers"`
	RequestBody    []byte      `json:"-"`
	Status         int         `json:"status"` // 0 when no answer
	// ResponseHeaders and ResponseBody: the first 4 KiB of the body.
	ResponseHeaders   http.Header   `json:"response_headers,omitempty"`
	ResponseBody      []byte        `json:"-"`
	ResponseTruncated bool          `json:"response_truncated,omitempty"`
	Latency           time.Duration `json:"latency_ns"`
	ErrorKind         string        `json:"error_kind,omitempty"`
	Error             string        `json:"error,omitempty"`
	Success           bool          `json:"success"`
	// NextRetryAt is when the next attempt is due; zero when none follows.
	NextRetryAt time.Time `json:"next_retry_at,omitzero"`
	// Outcome is the delivery's state after this attempt.
	Outcome string `json:"outcome"`
	// RunID and EventID are the delivery's, set by the engine for the
	// live stream (a view filtered by run or event id follows it). They
	// are not part of the attempt's API form, and a store need not keep
	// them (the SQLite store does not).
	RunID   string `json:"-"`
	EventID string `json:"-"`
}

// DeliveryFilter selects deliveries; zero fields match everything, and
// the fields set must all match.
type DeliveryFilter struct {
	Provider, Event, EndpointID, State, EventID string
	// Variant matches the provider's variant; it is used with Provider
	// (variant names are the provider's).
	Variant string
	// ID is one delivery's id; RunID the scenario run that sent it.
	ID, RunID string
	// Status matches the latest attempt's HTTP status (0: no answer);
	// nil matches any, and a delivery without attempts matches none.
	Status *int
	// Since and Until bound CreatedAt: Since <= CreatedAt < Until; zero
	// means unbounded.
	Since, Until time.Time
	// Q is a search term: it matches a delivery whose id, event id or
	// wire id is Q, or whose body holds Q as an id-like value
	// (SearchTerms).
	Q string
	// Before is a cursor: only deliveries created before this id's delivery.
	Before string
	// BeforeAt, when not zero, is the Before delivery's CreatedAt: the
	// list then continues from (BeforeAt, Before) in its order without
	// looking the delivery up, so a cursor outlives its delivery's
	// pruning.
	BeforeAt time.Time
	Limit    int // default 100, at most 1000
}

// ErrNotFound is returned by a Store for an id it does not hold.
var ErrNotFound = errors.New("not found")

// Store is the delivery log and endpoint registry. Implementations: the
// in-memory store (NewMemoryStore) and the SQLite store (package
// mockserver/sqlite). Every method is safe for concurrent use.
type Store interface {
	PutEndpoint(ctx context.Context, e *Endpoint) error // insert or replace
	GetEndpoint(ctx context.Context, id string) (*Endpoint, error)
	ListEndpoints(ctx context.Context) ([]*Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error

	// PutDelivery inserts or replaces a delivery (body included).
	PutDelivery(ctx context.Context, d *Delivery) error
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// Pending returns every delivery in StatePending, for recovery at start.
	Pending(ctx context.Context) ([]*Delivery, error)

	// AddAttempt records an attempt and the delivery's new state in one
	// step, so that a crash never leaves an attempt without its outcome.
	AddAttempt(ctx context.Context, a *Attempt, d *Delivery) error
	ListAttempts(ctx context.Context, deliveryID string) ([]*Attempt, error)

	// Prune removes up to r.Limit of the oldest deliveries r selects, with
	// their attempts, never a delivery PruneRule says is kept (see
	// retention.go).
	Prune(ctx context.Context, r PruneRule) (PruneResult, error)

	Close() error
}
