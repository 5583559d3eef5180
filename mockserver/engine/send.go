package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// SendRequest is one attempt that Engine.Send makes at once, outside the
// scheduler: a one-off push (Airalo's simulator) or one attempt of a
// delivery whose pace its caller sets (a scenario run's copies and
// retries).
type SendRequest struct {
	// Endpoint receives the attempt, signed with its secret and carrying
	// its headers. It need not be registered: a simulator's webhook_url
	// is an endpoint of the moment.
	Endpoint *Endpoint
	// Delivery is the body, wire id, variant and event to send; its body
	// is sent and stored as it is.
	Delivery *providers.Delivery
	// Header, when not nil, is the signed header to send instead of
	// signing now with the endpoint's secret: a scenario signs a step's
	// copies once, so that they are byte-identical. The endpoint's headers
	// and the defaults are added to a copy of it, as to any attempt.
	Header http.Header
	// Of, when not nil, is the delivery (as an earlier Send returned it,
	// still pending) whose next attempt this is: a retry. Nil makes a new
	// delivery.
	Of *Delivery
	// ID is a new delivery's id and EventID its event's ("" makes them;
	// NewDeliveryID and NewEventID make them ahead, for copies sent
	// together that name their original); CopyOf is the delivery it
	// duplicates; RunID the scenario run that sends it.
	ID, EventID, CopyOf, RunID string
	// Cut cuts the connection as soon as the answer begins: the receiver
	// had the whole request, the provider never sees the acknowledgement
	// (Chaos.CutAfterBody).
	Cut bool
	// Retry says the caller makes another attempt, RetryIn from now, if
	// this one is not acknowledged: the delivery then stays pending with
	// that due time, paced by the caller, not scheduled by this engine (an
	// engine started later on the same Store takes it on, as any pending
	// delivery). Without Retry an unacknowledged attempt fails the
	// delivery.
	Retry   bool
	RetryIn time.Duration
}

// Send makes one synchronous attempt, with the delivery's variant's ack
// deadline and success rule, and records it as any attempt of the engine:
// the delivery (new, with a sortable id and the engine's clock, or r.Of's
// next attempt) and the attempt are stored together, logged, counted in
// the metrics and published on the live stream. A variant that does not
// retry 4xx (SimplifyTrip) fails the delivery on a 4xx, Retry or not.
//
// It returns the delivery as stored and the attempt; a failed attempt is
// not an error. The error is for a request that could not be made (no
// endpoint or delivery, a secret the variant cannot sign with, r.Of not
// pending: ErrNotPending) or a closed engine (ErrClosed); nothing is
// stored then. ctx may cut the attempt short; it is recorded all the same.
func (e *Engine) Send(ctx context.Context, r SendRequest) (*Delivery, *Attempt, error) {
	e.lifeMu.RLock()
	if e.closed {
		e.lifeMu.RUnlock()
		return nil, nil, ErrClosed
	}
	// Close waits for the attempt, as for a worker's.
	e.wg.Add(1)
	e.lifeMu.RUnlock()
	defer e.wg.Done()
	if r.Endpoint == nil || r.Delivery == nil || r.Delivery.Variant == nil || r.Delivery.Event == nil {
		return nil, nil, errors.New("mockserver: Send needs an endpoint and a delivery")
	}
	pd, ep := r.Delivery, r.Endpoint
	v := pd.Variant
	h := r.Header.Clone()
	if h == nil {
		signer, err := e.signer(v, ep.Secret)
		if err != nil {
			return nil, nil, err
		}
		if h, err = pd.Request(signer, e.clock.Now()); err != nil {
			return nil, nil, err
		}
	}
	var d Delivery
	if r.Of != nil {
		if r.Of.State != StatePending {
			return nil, nil, fmt.Errorf("delivery %s is %s: %w", r.Of.ID, r.Of.State, ErrNotPending)
		}
		d = *r.Of
	} else {
		now := e.clock.Now()
		d = Delivery{
			ID: r.ID, EventID: r.EventID, EndpointID: ep.ID, Provider: v.Provider.Name, Variant: v.Name,
			Event: pd.Event.Name, WireID: pd.ID, Key: pd.Key(), Body: pd.Body, CopyOf: r.CopyOf, RunID: r.RunID,
			State: StatePending, CreatedAt: now, UpdatedAt: now,
		}
		if d.ID == "" {
			d.ID = e.NewDeliveryID()
		}
		if d.EventID == "" {
			d.EventID = e.NewEventID()
		}
	}
	a := e.doSigned(ctx, newSnap(ep), pd, h, d.Attempts+1, r.Cut)
	a.DeliveryID = d.ID
	end := e.clock.Now()
	switch {
	case a.Success:
		a.Outcome = StateDelivered
	case v.Retry.NoRetryOn4xx && a.Status >= 400 && a.Status < 500, !r.Retry:
		a.Outcome = StateFailed
	default:
		a.Outcome, a.NextRetryAt = StatePending, end.Add(max(r.RetryIn, 0))
	}
	explain(a)
	d.Attempts, d.State, d.UpdatedAt, d.NextAttemptAt = a.N, a.Outcome, end, a.NextRetryAt
	// The attempt happened: it is recorded even when ctx ended it.
	e.persist(context.WithoutCancel(ctx), &d, a)
	out := d
	return &out, a, nil
}

// Check makes one synchronous attempt of d to ep, signed with ep's
// secret, with d's variant's ack deadline and success rule, and records it
// nowhere: a registration check (eSIM Access's CHECK_HEALTH at
// registration) is the provider vetting a URL, not a delivery. A failed
// attempt is not an error: the returned Attempt says what happened; the
// error is for a request that could not be built. ctx may cut the attempt
// short.
func (e *Engine) Check(ctx context.Context, ep *Endpoint, d *providers.Delivery) (*Attempt, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	signer, err := e.signer(d.Variant, ep.Secret)
	if err != nil {
		return nil, err
	}
	a, err := e.do(ctx, newSnap(ep), d, signer, 1, false)
	if err != nil {
		return nil, err
	}
	a.Outcome = StateFailed
	if a.Success {
		a.Outcome = StateDelivered
	}
	return a, nil
}

// Now is the engine's clock: the time of its deliveries and attempts.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// NewDeliveryID returns a fresh delivery id of the engine's sortable
// sequence, for SendRequest.ID.
func (e *Engine) NewDeliveryID() string { return e.newID("dlv_") }

// NewEventID returns a fresh event id, for SendRequest.EventID.
func (e *Engine) NewEventID() string { return e.newID("evt_") }
