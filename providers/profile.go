// Package providers is esimhooks' domain: the webhook behaviour of each eSIM
// provider as data (profiles), the catalogue that holds them, and the
// building of a signed delivery from a profile.
//
// A Profile is loaded from a YAML file (the shipped ones are embedded from
// profiles/, a user's comes from --profile-file) and validated against
// schemas/profile.schema.json. Adding a provider is adding a file.
package providers

import (
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// Profile is one provider's webhooks: one or more documented variants.
type Profile struct {
	// Name is the provider's identifier, e.g. "esimfly".
	Name string `json:"name"`
	// Title is the provider's display name, e.g. "eSIMfly".
	Title string `json:"title"`
	// Description says what the profile covers and where it comes from.
	Description string `json:"description"`
	// Variants lists each documented form; exactly one is the default.
	Variants []*Variant `json:"variants"`
	// File is where the profile was loaded from ("builtin:esimfly.yaml" for
	// shipped profiles).
	File string `json:"-"`
}

// Variant is one documented form of a provider's webhooks. Where two of a
// provider's documents disagree, each is a variant; the default is the form in
// the seed document.
type Variant struct {
	Name        string `json:"name"`
	Default     bool   `json:"default,omitempty"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
	Envelope    string `json:"envelope"`
	// Encoding is how the body bytes are produced from the payload: "js"
	// (JSON.stringify), "php" (Airalo's rule: the PHP json_encode form every
	// Airalo SDK reproduces, non-ASCII as \uXXXX), "php-utf8" (the same with
	// literal UTF-8) or "compact"; see EncodeAs.
	Encoding string `json:"encoding"`
	// Discriminator says where the event type is: JSON pointers into the
	// body or "header:NAME", whose values joined with "/" give the event
	// name. Empty: the event is the one whose schema the body matches.
	Discriminator []string `json:"discriminator,omitempty"`
	// DeliveryID is the format of the id that stays the same on every
	// attempt and duplicate of one delivery: "uuid", "msg" (msg_ + 27
	// base62 characters, as Standard Webhooks' examples) or "none".
	DeliveryID string `json:"delivery_id"`
	// Headers are sent on every attempt; values are templates that may use
	// {{event}}, {{var delivery_id}}, {{var event_time}} (the body's value at
	// the event's time pointer, as written there: the same on every attempt)
	// and {{attempt_time FORMAT}} (the attempt's own time).
	Headers      []Header      `json:"headers"`
	Signature    SignatureSpec `json:"signature"`
	Ack          AckSpec       `json:"ack"`
	Retry        RetrySpec     `json:"retry"`
	Idempotency  KeySpec       `json:"idempotency"`
	Replay       *ReplaySpec   `json:"replay,omitempty"`
	Registration Registration  `json:"registration"`
	SourceIPs    []string      `json:"source_ips,omitempty"`
	Assumed      []Assumption  `json:"assumed,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
	Events       []*Event      `json:"events"`
	Provider     *Profile      `json:"-"`
	byName       map[string]*Event
}

// Header is one header sent with every attempt.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SignatureSpec names the signing scheme of a variant; see package signing.
type SignatureSpec struct {
	// Scheme is "hmac-hex", "standard-webhooks" or "none".
	Scheme string `json:"scheme"`
	// Hash is "sha256" or "sha512" for hmac-hex.
	Hash string `json:"hash,omitempty"`
	// Header carries the signature (hmac-hex).
	Header string `json:"header,omitempty"`
	// Prefix precedes the hex digest in the header, e.g. "sha256=".
	Prefix string `json:"prefix,omitempty"`
	// Message is what the HMAC covers: "raw" body bytes, "js-stringify"
	// (JSON.stringify(JSON.parse(body))), "php-json" (PHP
	// json_encode(json_decode(body, true))) or "flatten-sorted"
	// (SimplifyTrip's k=v&… string).
	Message string `json:"message,omitempty"`
	// Tolerance is the replay window the scheme checks (standard-webhooks).
	Tolerance Duration `json:"tolerance,omitempty"`
	// SecretFormat is how a freshly generated secret looks: "whsec",
	// "hex32", "ck_test" or "token".
	SecretFormat string `json:"secret_format,omitempty"`
}

// AckSpec is what the provider counts as an acknowledgement.
type AckSpec struct {
	// Deadline is how long the provider waits for an answer.
	Deadline Duration `json:"deadline"`
	// Success is "2xx" (any 2xx status) or "200" (only 200, as Airalo).
	Success string `json:"success"`
}

// Accepts reports whether the provider counts an answer with status as
// delivered: exactly 200 where Success is "200" (Airalo: 201 and 204 are
// failed attempts), any 2xx otherwise. It is the one success rule: the
// engine, `esimhooks send` and the scenario player all ask it.
func (a AckSpec) Accepts(status int) bool {
	if a.Only200() {
		return status == 200
	}
	return status >= 200 && status < 300
}

// Only200 reports whether the provider counts only 200 as delivered
// (success "200"); otherwise any 2xx counts.
func (a AckSpec) Only200() bool { return a.Success == "200" }

// RetrySpec is the provider's retry schedule and rules.
type RetrySpec struct {
	// Schedule holds one delay per attempt: the first (normally 0) before
	// the first attempt, each later one measured from the previous attempt's
	// failure. len(Schedule) is the number of attempts.
	Schedule []Duration `json:"schedule"`
	// NoRetryOn4xx stops retrying after a 4xx answer (SimplifyTrip).
	NoRetryOn4xx bool `json:"no_retry_on_4xx,omitempty"`
}

// KeySpec says which value a receiver should deduplicate on.
type KeySpec struct {
	// From is "header" (the header Name), "body" (the JSON pointer Name) or
	// "sha256-body" (lower-case hex SHA-256 of the raw body).
	From string `json:"from"`
	Name string `json:"name,omitempty"`
}

// ReplaySpec is the window in which a receiver should accept an event once.
type ReplaySpec struct {
	Window Duration `json:"window"`
	// Time is where the event's send time is: "header:NAME" or a JSON
	// pointer into the body.
	Time string `json:"time"`
	// Signed is true when the time is covered by the signature, so a
	// receiver can reject a stale but correctly signed replay.
	Signed bool `json:"signed"`
}

// Registration is what the provider does when a partner registers a URL.
type Registration struct {
	// Check is "none", "head" (Airalo: HEAD must answer 200) or "event"
	// (eSIM Access api-reference: Event is sent and must be acknowledged).
	Check string `json:"check"`
	Event string `json:"event,omitempty"`
}

// Assumption is a fact the documents do not confirm; reports cite it.
type Assumption struct {
	// Fact names what was assumed, e.g. "retry.schedule".
	Fact string `json:"fact"`
	// Note says what was chosen and why.
	Note string `json:"note"`
}

// Event is one event type of a variant.
type Event struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Schema is the event's JSON Schema path inside schemas/ (shipped
	// profiles) or relative to the profile file (user profiles).
	Schema string `json:"schema,omitempty"`
	// Shipped is true when Schema names a schema of package schemas (a
	// path inside schemas.FS) rather than a file of the user's.
	Shipped bool `json:"-"`
	// At is the event's offset from the start of an order's life, so that
	// the events of one life carry increasing times in a realistic order.
	At Duration `json:"at,omitempty"`
	// Time locates the event's own time in the body (JSON pointer); empty
	// when the body has none (Airalo).
	Time string `json:"time,omitempty"`
	// Idempotency overrides the variant's key for this event (Airalo: async
	// orders carry request_id, the other notifications have no id).
	Idempotency *KeySpec `json:"idempotency,omitempty"`
	// Resources lists which resources this event moves to which status.
	Resources []ResourceRule `json:"resources,omitempty"`
	// Internal events (CHECK_HEALTH) are sent by registration, not by
	// triggers or scenarios unless named.
	Internal bool `json:"internal,omitempty"`
	// Reserved, when not empty, says why the provider lists the event but
	// does not emit it (eSIMfly 2026-09's order.completed, "reserved, not
	// emitted yet"). A reserved event is not public: no endpoint receives it
	// by subscription, scenarios and conformance do not send it, and a
	// trigger or send naming it is refused unless forced.
	Reserved string `json:"reserved,omitempty"`
	// Assumed marks an event whose name or shape is not public.
	Assumed string `json:"assumed,omitempty"`
	// Payload is the template the generator fills.
	Payload jsonv.Value `json:"-"`
	Variant *Variant    `json:"-"`

	validate  func(body any) error
	schemaDoc []byte // a user schema's bytes, for SchemaDocument
}

// ResourceRule maps an event to the status a resource ends in. ID and
// Status are JSON pointers whose segments may be "*" (every array element,
// matched pairwise); a Status starting with "=" is a literal.
type ResourceRule struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Duration is a time.Duration written as "5s", "15m", "1h" or "2d" in
// profile files.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
