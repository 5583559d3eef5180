package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/textproto"
	"sort"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// storeRetry is how long (real time, unscaled) a delivery waits when the
// Store could not be read before its attempt.
const storeRetry = time.Second

// worker runs due deliveries until the scheduler stops.
func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		select {
		case job := <-e.sched.jobs:
			e.run(job, slotWorker)
		case <-e.sched.stop:
			return
		}
	}
}

// run makes job's attempt on a goroutine of the given kind, then the next
// jobs the scheduler hands that goroutine.
func (e *Engine) run(job schedEntry, kind slotKind) {
	for ok := true; ok; {
		next, parked := e.attempt(job, kind)
		if parked {
			job, ok = e.sched.park(job, kind)
		} else {
			job, ok = e.sched.finish(job, next, kind)
		}
	}
}

// attempt makes the next attempt of a due delivery, records it, and
// returns when the next attempt is due (nil when the delivery is done or
// must not be retried by this engine). A first attempt of a concurrent
// duplicate group may instead be parked at the group's start barrier
// (parked true): it then runs on a goroutine of its own when the barrier
// opens, and the calling goroutine (of kind) is free at once.
func (e *Engine) attempt(job schedEntry, kind slotKind) (next *time.Time, parked bool) {
	ctx := context.Background()
	d := job.d
	if d == nil {
		var err error
		d, err = e.store.GetDelivery(ctx, job.id)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, false
			}
			e.log.Error("reading a due delivery", "delivery", job.id, "err", err)
			t := e.clock.Now().Add(storeRetry)
			return &t, false
		}
	}
	if d.State != StatePending {
		return nil, false
	}
	var b *barrier
	// Only a concurrent duplicate group (Trigger's chaos.group) has a
	// barrier: other deliveries need not take the chaos lock.
	if d.Attempts == 0 && d.Chaos.Duplicates > 0 && d.Chaos.DuplicateSpacing == 0 {
		if b = e.chaos.takeBarrier(d.ID); b != nil {
			// A copy that cannot be attempted still counts itself in, so
			// that its siblings do not wait for it.
			defer func() {
				if b != nil {
					b.skip()
				}
			}()
		}
	}
	v, err := e.cat.Variant(d.Provider, d.Variant)
	var ev *providers.Event
	if err == nil {
		ev, err = v.Event(d.Event)
	}
	if err != nil {
		return e.abandon(ctx, d, ErrKindOther, "cannot attempt: "+err.Error()), false
	}
	snap, err := e.eps.get(ctx, d.EndpointID)
	switch {
	case errors.Is(err, ErrNotFound):
		return e.abandon(ctx, d, ErrKindOther, "the endpoint was deleted"), false
	case err != nil:
		e.log.Error("reading the endpoint of a due delivery", "delivery", d.ID, "endpoint", d.EndpointID, "err", err)
		t := e.clock.Now().Add(storeRetry)
		return &t, false
	case snap.ep.Disabled:
		return e.abandon(ctx, d, ErrKindOther, "the endpoint is disabled"), false
	}
	signer, err := e.signer(v, snap.ep.Secret)
	if err != nil {
		return e.abandon(ctx, d, ErrKindOther, "cannot sign: "+err.Error()), false
	}
	if b != nil {
		bb := b
		b = nil
		e.wg.Add(1) // Close waits for the parked attempt
		if bb.arrive(e.sched.stop, func() {
			defer e.wg.Done()
			e.sched.finish(job, e.send(ctx, d, v, ev, snap, signer), slotDetached)
		}) {
			return nil, true
		}
		e.wg.Done()
	}
	return e.send(ctx, d, v, ev, snap, signer), false
}

// send makes and records the attempt of d that attempt prepared. It is a
// method, not a closure of attempt's, so that only a parked duplicate
// (whose release runs it later) allocates one.
func (e *Engine) send(ctx context.Context, d *Delivery, v *providers.Variant, ev *providers.Event, snap *endpointSnap, signer signing.Signer) *time.Time {
	// A stored body is the variant's own encoding: Trigger encoded it.
	pd := &providers.Delivery{Variant: v, Event: ev, ID: d.WireID, Body: d.Body, Canonical: true}
	a, err := e.do(ctx, snap, pd, signer, d.Attempts+1, d.Attempts < d.Chaos.CutAfterBody)
	if err != nil {
		return e.abandon(ctx, d, ErrKindOther, "cannot build the request: "+err.Error())
	}
	a.DeliveryID = d.ID
	return e.record(ctx, d, v, a)
}

// do makes one signed HTTP attempt of pd to the endpoint and returns it,
// not yet judged by the retry rules (Outcome empty).
func (e *Engine) do(ctx context.Context, snap *endpointSnap, pd *providers.Delivery, signer signing.Signer, n int, cut bool) (*Attempt, error) {
	h, err := pd.Request(signer, e.clock.Now())
	if err != nil {
		return nil, err
	}
	return e.doSigned(ctx, snap, pd, h, n, cut), nil
}

// doSigned is do with the request's signed header h, which it adds the
// endpoint's headers and the defaults to (h is the caller's to give up).
func (e *Engine) doSigned(ctx context.Context, snap *endpointSnap, pd *providers.Delivery, h http.Header, n int, cut bool) *Attempt {
	ep := snap.ep
	now := e.clock.Now()
	v, ev, body := pd.Variant, pd.Event, pd.Body
	for k, val := range ep.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if _, taken := h[ck]; !taken && ck != "Host" && ck != "Content-Length" {
			h[ck] = []string{val}
		}
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{"application/json"}
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{"esimhooks"}
	}
	r := e.sender.Send(ctx, wire.Request{URL: ep.URL, Parsed: snap.url, Header: h, Body: body, Deadline: v.Ack.Deadline.D(), Cut: cut})
	a := &Attempt{
		EndpointID: ep.ID, Provider: v.Provider.Name, Variant: v.Name, Event: ev.Name,
		N: n, StartedAt: now, URL: ep.URL, RequestHeaders: h, RequestBody: body,
		Status: r.Status, ResponseHeaders: r.Header, ResponseBody: r.Body, ResponseTruncated: r.Truncated,
		Latency: r.Latency, ErrorKind: r.ErrKind, Error: r.Err,
	}
	a.Success = a.ErrorKind == "" && v.Ack.Accepts(r.Status)
	return a
}

// record judges attempt a of delivery d by the retry rules, persists both
// in one step (before anything is rescheduled), reports it, and returns
// the next due time, if any.
func (e *Engine) record(ctx context.Context, d *Delivery, v *providers.Variant, a *Attempt) *time.Time {
	end := e.clock.Now()
	sched := v.Retry.Schedule
	var next *time.Time
	switch {
	case a.Success:
		a.Outcome = StateDelivered
	case v.Retry.NoRetryOn4xx && a.Status >= 400 && a.Status < 500:
		a.Outcome = StateFailed
	case a.N < len(sched):
		t := end.Add(e.scaled(sched[a.N].D()))
		next = &t
		a.Outcome, a.NextRetryAt = StatePending, t
	default:
		a.Outcome = StateExhausted
	}
	explain(a)
	d.Attempts, d.State, d.UpdatedAt = a.N, a.Outcome, end
	d.NextAttemptAt = a.NextRetryAt
	if next == nil && e.defer_ != nil {
		// The delivery is over: nothing waits for this write, so the worker
		// and its endpoint slot need not either.
		e.defer_.run(d.ID, func() { e.persist(ctx, d, a) })
		return nil
	}
	e.persist(ctx, d, a)
	return next
}

// explain sets the error of an answered attempt that was not a success.
func explain(a *Attempt) {
	if a.ErrorKind == "" && !a.Success {
		a.Error = "answered " + http.StatusText(a.Status)
		if a.Error == "answered " {
			a.Error = "answered an unknown status"
		}
	}
}

// persist writes attempt a with delivery d's new state, then counts, logs
// and streams it.
func (e *Engine) persist(ctx context.Context, d *Delivery, a *Attempt) {
	a.RunID, a.EventID = d.RunID, d.EventID
	if err := e.store.AddAttempt(ctx, a, d); err != nil {
		// A retry is still scheduled in memory: at-least-once wins.
		e.log.Error("recording an attempt", "delivery", d.ID, "attempt", a.N, "err", err)
	}
	result := ResultSuccess
	switch {
	case a.ErrorKind != "":
		result = a.ErrorKind
	case !a.Success:
		result = ResultStatus
	}
	e.metrics.attempt(a.Provider, a.Event, result, a.Latency.Seconds())
	if a.Outcome != StatePending {
		e.metrics.delivery(a.Provider, a.Event, a.Outcome)
	}
	e.logAttempt(d, a)
	e.stream.publish(a)
	if e.onAttempt != nil {
		e.onAttempt(a)
	}
}

// abandon ends a delivery that cannot be attempted at all (unknown
// provider, deleted or disabled endpoint): it is recorded as a failed
// attempt that sent nothing.
func (e *Engine) abandon(ctx context.Context, d *Delivery, kind, msg string) *time.Time {
	now := e.clock.Now()
	a := &Attempt{
		DeliveryID: d.ID, EndpointID: d.EndpointID, Provider: d.Provider, Variant: d.Variant, Event: d.Event,
		N: d.Attempts + 1, StartedAt: now, ErrorKind: kind, Error: msg, Outcome: StateFailed,
	}
	d.Attempts, d.State, d.UpdatedAt, d.NextAttemptAt = a.N, StateFailed, now, time.Time{}
	e.persist(ctx, d, a)
	return nil
}

// logAttempt writes one line: debug for an acknowledged attempt, info for
// a failed one. Header names only, never values; never the secret.
func (e *Engine) logAttempt(d *Delivery, a *Attempt) {
	level := slog.LevelDebug
	if !a.Success {
		level = slog.LevelInfo
	}
	ctx := context.Background()
	if !e.log.Enabled(ctx, level) {
		return
	}
	names := make([]string, 0, len(a.RequestHeaders))
	for k := range a.RequestHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	attrs := []slog.Attr{
		slog.String("delivery", d.ID), slog.String("endpoint", a.EndpointID),
		slog.String("provider", a.Provider), slog.String("event", a.Event),
		slog.Int("attempt", a.N), slog.Int("status", a.Status),
		slog.Duration("latency", a.Latency), slog.String("outcome", a.Outcome),
		slog.Any("headers", names),
	}
	if a.URL != "" {
		attrs = append(attrs, slog.String("url", wire.RedactURL(a.URL)))
	}
	if a.ErrorKind != "" || a.Error != "" {
		attrs = append(attrs, slog.String("error_kind", a.ErrorKind), slog.String("error", a.Error))
	}
	if !a.NextRetryAt.IsZero() {
		attrs = append(attrs, slog.Time("next_retry_at", a.NextRetryAt))
	}
	e.log.LogAttrs(ctx, level, "delivery attempt", attrs...)
}
