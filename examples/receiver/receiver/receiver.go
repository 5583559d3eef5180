// Package receiver is a correct webhook receiver for every provider esimhooks
// knows: the receiver we tell partners to build, and the reference the
// conformance suite grades others against.
//
// For each request it does, in this order: answer HEAD with 200 where the
// provider checks the URL that way (Airalo) and 405 to anything but POST;
// read at most MaxBody bytes (413 past that); verify the signature over the
// exact raw bytes, as the provider documents it (401, nothing applied, on
// any failure; 400 for a body that is not JSON where the provider signs a
// re-serialisation of the JSON); parse the JSON (400 if it is not JSON);
// reject an event
// older than the provider's replay window (400); acknowledge an unknown event
// type with 200 and apply nothing; and apply a known event once per
// idempotency key, atomically, keeping for every resource the status of the
// newest event by the event's own time. It answers 200 in every accepted
// case, duplicates included, and does nothing slow before answering.
//
// The probe (see ProbeHandler) lets the conformance suite see what was
// applied: how many times each idempotency key, and each resource's status.
//
// The example keeps its state in memory. A production receiver records each
// key in its database under a unique constraint, in the same transaction
// as the status change, and does any slow work after answering.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// DefaultMaxBody is the body cap when Config.MaxBody is 0: 1 MiB, far above
// any provider's event and far below what would hurt the receiver.
const DefaultMaxBody = 1 << 20

// ProbePrefix is where ServeHTTP serves the probe; every other path is the
// webhook.
const ProbePrefix = "/probe"

// Config configures a Receiver.
type Config struct {
	// Variant is the provider variant whose webhooks are received.
	Variant *providers.Variant
	// Secret is the signing secret the provider gave the partner; it may
	// be empty only for a provider that signs nothing (eSIM Access).
	Secret string
	// Clock is the receiver's clock for replay windows; nil means
	// time.Now.
	Clock func() time.Time
	// MaxBody caps the body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// Log receives one line per request (never the secret or the
	// signature); nil discards them.
	Log *slog.Logger
	// Faults breaks the receiver on purpose. It exists only for the
	// conformance suite's own tests; leave it nil.
	Faults *Faults
}

// Receiver receives one provider variant's webhooks and serves the probe.
// It is an http.Handler: ServeHTTP serves the probe under ProbePrefix and
// the webhook at every other path. It is safe for concurrent use.
type Receiver struct {
	v       *providers.Variant
	verify  func(http.Header, []byte) error
	now     func() time.Time
	maxBody int64
	log     *slog.Logger
	faults  Faults
	state   *state
	probe   http.Handler
	mounted http.Handler
	closed  atomic.Bool
}

// New returns a Receiver for cfg. It fails when cfg has no variant or the
// secret does not suit the variant's signing scheme.
func New(cfg Config) (*Receiver, error) {
	if cfg.Variant == nil {
		return nil, errors.New("receiver: Config.Variant is nil")
	}
	r := &Receiver{v: cfg.Variant, now: cfg.Clock, maxBody: cfg.MaxBody, log: cfg.Log}
	if r.now == nil {
		r.now = time.Now
	}
	if r.maxBody <= 0 {
		r.maxBody = DefaultMaxBody
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Faults != nil {
		r.faults = *cfg.Faults
	}
	signer, err := cfg.Variant.Signer(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("receiver: %s: %w", cfg.Variant.ID(), err)
	}
	if sw, ok := signer.(*signing.StandardWebhooks); ok {
		sw.Now = r.now
	}
	r.verify = signer.Verify
	if r.faults.Verify != nil {
		r.verify = r.faults.Verify
	}
	r.state = newState(r.faults.ArrivalOrder)
	r.probe = newProbe(r.state)
	r.mounted = http.StripPrefix(ProbePrefix, r.probe)
	return r, nil
}

// ServeHTTP serves the probe under ProbePrefix and the webhook elsewhere.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, ProbePrefix+"/") {
		r.mounted.ServeHTTP(w, req)
		return
	}
	r.serveHook(w, req)
}

// ProbeHandler returns the probe alone, serving /events/{key} and
// /resources/{id}, to mount under any prefix with http.StripPrefix.
func (r *Receiver) ProbeHandler() http.Handler { return r.probe }

// Close stops the receiver: the webhook answers 503 from then on, while the
// probe still reports what was applied. It is safe to call more than once.
func (r *Receiver) Close() { r.closed.Store(true) }

// allow is the Allow header of a 405: POST, and HEAD where the provider
// checks the URL with it.
func (r *Receiver) allow() string {
	if r.headCheck() {
		return "POST, HEAD"
	}
	return http.MethodPost
}

func (r *Receiver) headCheck() bool { return r.v.Registration.Check == "head" }

func (r *Receiver) serveHook(w http.ResponseWriter, req *http.Request) {
	if r.closed.Load() {
		r.answer(w, req, http.StatusServiceUnavailable, "closed", "")
		return
	}
	if req.Method == http.MethodHead && r.headCheck() {
		// Airalo sends HEAD on opt-in; anything but 200 fails it.
		w.WriteHeader(http.StatusOK)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", r.allow())
		r.answer(w, req, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.answer(w, req, http.StatusRequestEntityTooLarge, "body too large", "")
			return
		}
		r.answer(w, req, http.StatusBadRequest, "body unreadable", "")
		return
	}
	var res result
	if r.faults.ApplyBeforeVerify {
		res = r.process(req.Context(), req.Header, body)
	}
	if err := r.verify(req.Header, body); err != nil {
		if errors.Is(err, signing.ErrInvalidBody) {
			// The provider signs a re-serialisation of the JSON (Airalo,
			// eSIMfly 2025-01, SimplifyTrip) and this body is not JSON:
			// malformed rather than forged. Either way nothing is applied.
			r.answer(w, req, r.faults.status(r.faults.MalformedStatus, http.StatusBadRequest), "malformed JSON", "")
			return
		}
		// The error names what failed (missing header, mismatch, stale
		// timestamp), never the secret or the signature itself.
		r.log.Info("signature rejected", "provider", r.v.ID(), "reason", err.Error())
		r.answer(w, req, http.StatusUnauthorized, "invalid signature", "")
		return
	}
	if !r.faults.ApplyBeforeVerify {
		res = r.process(req.Context(), req.Header, body)
	}
	r.answer(w, req, res.status, res.outcome, res.key)
}

// result is what processing a verified body came to.
type result struct {
	status  int
	outcome string
	key     string
}

// answer writes a small JSON body saying what happened, and logs it.
func (r *Receiver) answer(w http.ResponseWriter, req *http.Request, status int, outcome, key string) {
	r.log.Info("webhook", "provider", r.v.ID(), "method", req.Method, "status", status, "outcome", outcome, "key", key)
	writeJSON(w, status, map[string]string{"outcome": outcome})
}

// process applies a verified body: parse, replay window, event type,
// idempotency and ordering.
func (r *Receiver) process(ctx context.Context, h http.Header, body []byte) result {
	ev, p, err := r.v.Identify(h, body)
	if err != nil && !errors.Is(err, providers.ErrUnidentified) {
		return result{status: r.faults.status(r.faults.MalformedStatus, http.StatusBadRequest), outcome: "malformed JSON"}
	}
	if !r.faults.NoReplayCheck {
		if err := r.checkReplay(h, p); err != nil {
			return result{status: http.StatusBadRequest, outcome: err.Error()}
		}
	}
	if ev == nil {
		// New event types appear without notice: acknowledge, apply nothing.
		return result{status: r.faults.status(r.faults.UnknownStatus, http.StatusOK), outcome: "ignored: unknown event type"}
	}
	if r.faults.Reject != nil {
		if st := r.faults.Reject(ev, p); st != 0 {
			return result{status: st, outcome: "rejected"}
		}
	}
	key, err := r.v.Key(ev, h, body)
	if err != nil {
		// The provider always sends its key; without it, deduplicate
		// exact copies by the body's SHA-256.
		key = sha256Hex(body)
	}
	t, timed := ev.EventTime(p)
	u := update{key: key, effects: ev.Effects(p), at: t, timed: timed}
	if !r.claim(ctx, u) {
		return result{status: r.faults.status(r.faults.DuplicateStatus, http.StatusOK), outcome: "duplicate", key: key}
	}
	return result{status: http.StatusOK, outcome: "applied", key: key}
}

// claim applies u unless its key was applied before, and reports whether
// it did. The check and the mark are one critical section, so two
// concurrent copies cannot both apply.
func (r *Receiver) claim(ctx context.Context, u update) bool {
	switch {
	case r.faults.NoDedup:
		r.state.record(u)
		return true
	case r.faults.BetweenCheckAndMark != nil:
		if r.state.seen(u.key) {
			return false
		}
		r.faults.BetweenCheckAndMark(ctx, u.key)
		r.state.record(u)
		return true
	}
	return r.state.claim(u)
}
