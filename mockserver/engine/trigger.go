package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unique"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// Trigger asks the engine to send one event.
type Trigger struct {
	// Provider names the provider ("esimfly", or "esimfly@2026-04");
	// Variant its variant ("" is the default); Event the event type.
	Provider, Variant, Event string
	// EndpointIDs lists the receivers; empty means every enabled endpoint
	// of that provider and variant (an endpoint's "" matching the default)
	// subscribed to the event. Named endpoints must be enabled and of the
	// same provider and variant.
	EndpointIDs []string
	// Seed is the order life's seed, so that the ids of one life agree
	// across its events; nil draws one.
	Seed *uint64
	// Start is the life's start. Nil places a seeded life as send and
	// generate do (at payload.Epoch, so that its events keep their
	// offsets), and an unseeded event at now (an event triggered now
	// happened now); see providers.Event.LifeStart.
	Start *time.Time
	// Payload, when not nil, is the whole payload instead of a generated
	// one. Overrides are applied to it in place.
	Payload jsonv.Value
	// Overrides set single values of the payload.
	Overrides []providers.Override
	// Chaos is per-trigger misbehaviour; its non-zero fields override the
	// endpoint's.
	Chaos *Chaos
	// Encoding writes the body in this encoding (providers.EncodeAs)
	// instead of the variant's, e.g. php-utf8 for Airalo.
	Encoding string
	// Force sends an event the provider lists but does not emit (a
	// reserved event); without it such a trigger fails with
	// providers.ErrReserved.
	Force bool
}

// TriggerResult is what a trigger produced. Every endpoint receives the
// same body and the same wire id.
type TriggerResult struct {
	// Variant and Event are what the trigger named, resolved.
	Variant    *providers.Variant `json:"-"`
	Event      *providers.Event   `json:"-"`
	EventID    string             `json:"event_id"`
	Payload    jsonv.Value        `json:"payload"`
	Body       []byte             `json:"-"`
	Deliveries []*Delivery        `json:"deliveries"`
	// Warnings name overrides that added a path the payload lacked or
	// broke the event's schema, and an event time a correct receiver will
	// reject as a replay.
	Warnings []string `json:"warnings,omitempty"`
}

// Trigger builds the event's payload (generated from the life's seed, or
// t.Payload), encodes and keys it, and creates one pending delivery per
// endpoint plus any chaos duplicates. Each delivery is persisted before it
// is scheduled. No matching endpoint is not an error: the result then has
// no deliveries. A trigger that would make more than MaxTriggerDeliveries
// fails with a *LimitError and makes none. What the trigger names wrongly
// is an *Error naming the field: an unknown provider, variant ("default"
// names the default) or event (wrapping providers.ErrUnknown), a reserved
// event without Force (providers.ErrReserved), an unknown encoding, a
// missing endpoint (ErrNotFound) or one that is disabled or of another
// variant (ErrEndpointUnfit).
func (e *Engine) Trigger(ctx context.Context, t Trigger) (*TriggerResult, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	v, err := ResolveVariant(e.cat, t.Provider, t.Variant)
	if err != nil {
		return nil, lookupError(e.cat, t.Provider, false, err)
	}
	ev, err := v.Event(t.Event)
	if err != nil {
		return nil, lookupError(e.cat, t.Provider, true, err)
	}
	if err := ev.CheckSendable(t.Force); err != nil {
		return nil, &Error{Pointer: "/event", Reason: err.Error(), Rule: "reserved", Err: err}
	}
	if t.Encoding != "" && !slices.Contains(providers.Encodings, t.Encoding) {
		return nil, &Error{Pointer: "/encoding", Rule: "enum",
			Reason: fmt.Sprintf("unknown encoding %q (want %s)", t.Encoding, strings.Join(providers.Encodings, ", "))}
	}
	eps, err := e.endpointsFor(ctx, v, ev, t.EndpointIDs)
	if err != nil {
		return nil, err
	}
	if err := checkTriggerSize(eps, t.Chaos, e.maxTrigger); err != nil {
		return nil, err
	}
	p := t.Payload
	if p == nil {
		var seed uint64
		if t.Seed != nil {
			seed = *t.Seed
		} else {
			e.rngMu.Lock()
			seed = e.rng.Uint64()
			e.rngMu.Unlock()
		}
		start := ev.LifeStart(t.Seed != nil, t.Start, e.clock.Now())
		if p, err = ev.Generate(payload.NewWorld(seed, start)); err != nil {
			return nil, err
		}
	}
	var warns []string
	if p, warns, err = v.ApplyOverrides(p, t.Overrides); err != nil {
		return nil, err
	}
	if len(t.Overrides) > 0 {
		if err := ev.Validate(p); err != nil && !errors.Is(err, providers.ErrNoSchema) {
			warns = append(warns, fmt.Sprintf("the payload no longer matches the event's schema (sent all the same): %v", err))
		}
	}
	// Attempts are signed when they are made, so only an event time in
	// the body (SimplifyTrip's createdAt) can be stale on arrival.
	if w := v.ReplayWarning(nil, p, e.clock.Now()); w != "" {
		warns = append(warns, w+`; give the trigger a "start" inside the window for a fresh life with the same seed`)
	}
	e.rngMu.Lock()
	wire := v.NewDeliveryID(e.rng)
	e.rngMu.Unlock()
	enc := v.Encoding
	if t.Encoding != "" {
		enc = t.Encoding
	}
	pd, err := v.NewDeliveryIn(enc, ev, p, wire)
	if err != nil {
		return nil, err
	}
	// The merged chaos of every endpoint must plan due times within
	// MaxDueAhead, checked before anything is stored.
	for _, ep := range eps {
		if err := checkSchedule(mergeChaos(ep.Chaos, t.Chaos), e.scale); err != nil {
			err.Reason = fmt.Sprintf("endpoint %s: %s", ep.ID, err.Reason)
			return nil, err
		}
	}
	res := &TriggerResult{Variant: v, Event: ev, EventID: e.newID("evt_"), Payload: p, Body: pd.Body, Warnings: warns}
	key := pd.Key()
	now := e.clock.Now()
	for _, ep := range eps {
		ch := mergeChaos(ep.Chaos, t.Chaos)
		base := &Delivery{
			EventID: res.EventID, EndpointID: ep.ID, Provider: v.Provider.Name, Variant: v.Name, Event: ev.Name,
			WireID: wire, Key: key, Body: pd.Body, State: StatePending, Chaos: ch, CreatedAt: now, UpdatedAt: now,
		}
		group := e.plan(base, now, v)
		for _, d := range group {
			if err := e.store.PutDelivery(ctx, d); err != nil {
				e.schedule(res.Deliveries)
				return res, fmt.Errorf("storing a delivery: %w", err)
			}
			res.Deliveries = append(res.Deliveries, d)
		}
		if len(group) > 1 && ch.DuplicateSpacing == 0 {
			ids := make([]string, len(group))
			for i, d := range group {
				ids[i] = d.ID
			}
			e.chaos.group(ids, e.sched.share(unique.Make(ep.ID)))
		}
	}
	e.schedule(res.Deliveries)
	return res, nil
}

// plan returns the delivery and its chaos copies with their first due
// times: the schedule's first delay plus the chaos delay and jitter, held
// to the endpoint's reorder window if any; copy i is due i × spacing
// after the original. Every delay is scaled.
func (e *Engine) plan(base *Delivery, now time.Time, v *providers.Variant) []*Delivery {
	ch := base.Chaos
	var first time.Duration
	if len(v.Retry.Schedule) > 0 {
		first = v.Retry.Schedule[0].D()
	}
	due := now.Add(e.scaled(first) + e.scaled(ch.Delay.D()) + e.randDuration(e.scaled(ch.Jitter.D())))
	if w := e.scaled(ch.ReorderWindow.D()); w > 0 {
		due = e.chaos.reorder(base.EndpointID, due, w, e.randDuration)
	}
	// One array holds the group (a duplicate storm's hundred copies are
	// one allocation, not a hundred).
	group := make([]Delivery, 1+max(ch.Duplicates, 0))
	out := make([]*Delivery, len(group))
	orig := &group[0]
	*orig = *base
	orig.ID = e.newID("dlv_")
	orig.NextAttemptAt = due
	out[0] = orig
	spacing := e.scaled(ch.DuplicateSpacing.D())
	for i := 1; i < len(group); i++ {
		c := &group[i]
		*c = *base
		c.ID = e.newID("dlv_")
		c.CopyOf = orig.ID
		c.NextAttemptAt = due.Add(time.Duration(i) * spacing)
		out[i] = c
	}
	return out
}

// hotHorizon: a first attempt due within this of being scheduled carries
// its delivery to the worker instead of having it read back from the Store.
const hotHorizon = time.Second

// schedule hands persisted pending deliveries to the scheduler. Those due
// soon carry a copy of themselves (the caller keeps ds).
func (e *Engine) schedule(ds []*Delivery) {
	// The entries (and the copies) are made before the scheduler's lock is
	// taken, and a trigger's deliveries (a duplicate storm's hundred) take
	// it once, not once each.
	soon := e.clock.Now().Add(hotHorizon)
	ens := make([]schedEntry, len(ds))
	var copies []Delivery // the copies, one allocation made at the first one due soon
	var ep unique.Handle[string]
	for i, d := range ds {
		if i == 0 || d.EndpointID != ds[i-1].EndpointID {
			ep = unique.Make(d.EndpointID)
		}
		ens[i] = schedEntry{due: d.NextAttemptAt.UnixNano(), id: d.ID, ep: ep}
		if !d.NextAttemptAt.After(soon) {
			if copies == nil {
				copies = make([]Delivery, 0, len(ds)-i)
			}
			copies = append(copies, *d)
			ens[i].d = &copies[len(copies)-1]
		}
	}
	e.sched.addEntries(ens)
}

// endpointsFor resolves the trigger's endpoints; a named one that is
// missing, disabled or of another variant is an *Error at its index.
func (e *Engine) endpointsFor(ctx context.Context, v *providers.Variant, ev *providers.Event, ids []string) ([]*Endpoint, error) {
	if len(ids) > 0 {
		out := make([]*Endpoint, 0, len(ids))
		for i, id := range ids {
			snap, err := e.eps.get(ctx, id)
			switch {
			case errors.Is(err, ErrNotFound):
				return nil, endpointError(i, fmt.Sprintf("no endpoint %q", id), err)
			case err != nil:
				return nil, fmt.Errorf("endpoint %q: %w", id, err)
			}
			ep := snap.ep
			if ep.Disabled {
				return nil, endpointError(i, fmt.Sprintf("endpoint %q is disabled", id), ErrEndpointUnfit)
			}
			if !e.sameVariant(ep, v) {
				return nil, endpointError(i, fmt.Sprintf("endpoint %q receives %s, not %s", id, endpointVariant(ep), v.ID()), ErrEndpointUnfit)
			}
			out = append(out, ep)
		}
		return out, nil
	}
	all, err := e.eps.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Endpoint
	for _, ep := range all {
		if ep.Disabled || !e.sameVariant(ep, v) {
			continue
		}
		// A reserved event gets here only forced (Trigger refuses it
		// otherwise), and then goes where any other event would.
		if len(ep.Events) == 0 && !ev.Internal || slices.Contains(ep.Events, ev.Name) {
			out = append(out, ep)
		}
	}
	return out, nil
}

func (e *Engine) sameVariant(ep *Endpoint, v *providers.Variant) bool {
	if ep.Provider != v.Provider.Name {
		return false
	}
	ev, err := e.cat.Variant(ep.Provider, ep.Variant)
	return err == nil && ev == v
}

func endpointVariant(ep *Endpoint) string {
	if ep.Variant == "" {
		return ep.Provider
	}
	return ep.Provider + "@" + ep.Variant
}

// Resend creates a new pending delivery with the same body, wire id, event
// and endpoint as delivery deliveryID (which may be in any state), with
// fresh attempts and no chaos, due now — as SimplifyTrip's "resend" and
// eSIMfly's "Test" do. It returns the new delivery.
func (e *Engine) Resend(ctx context.Context, deliveryID string) (*Delivery, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	orig, err := e.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	d := *orig
	d.ID = e.newID("dlv_")
	// A resend is the user's, not the run's that sent the original.
	d.ResendOf, d.CopyOf, d.RunID = orig.ID, "", ""
	d.State, d.Attempts, d.Chaos = StatePending, 0, Chaos{}
	d.CreatedAt, d.UpdatedAt, d.NextAttemptAt = now, now, now
	if err := e.store.PutDelivery(ctx, &d); err != nil {
		return nil, err
	}
	e.sched.add(d.ID, unique.Make(d.EndpointID), now)
	return &d, nil
}

// RetryNow makes a pending delivery due now. It returns an error wrapping
// ErrNotFound for an unknown id and one wrapping ErrNotPending, naming the
// state, for a delivery that is not pending. A delivery whose attempt is
// already under way, or that is due and waiting for a free slot, is left
// as it is.
func (e *Engine) RetryNow(ctx context.Context, deliveryID string) error {
	if e.isClosed() {
		return ErrClosed
	}
	d, err := e.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return err
	}
	if d.State != StatePending {
		return fmt.Errorf("delivery %s is %s: %w", deliveryID, d.State, ErrNotPending)
	}
	if e.defer_ != nil && e.defer_.busy(deliveryID) {
		return fmt.Errorf("delivery %s has just had its last attempt: %w", deliveryID, ErrNotPending)
	}
	ep := unique.Make(d.EndpointID)
	now := e.clock.Now()
	if !e.sched.take(deliveryID) {
		if e.sched.hurry(deliveryID) {
			// In flight: if this attempt fails, the next goes at once.
			return nil
		}
		if tracked, _ := e.sched.state(deliveryID); tracked {
			return nil // blocked: due already, waiting for a slot
		}
		if d.RunID != "" {
			// Its scenario run makes its retries (Send with Retry).
			return fmt.Errorf("delivery %s is retried by scenario run %s: %w", deliveryID, d.RunID, ErrNotPending)
		}
		// Pending in the Store but not held by this engine (not started
		// yet, or written by another process): take it on.
		e.sched.add(deliveryID, ep, now)
		return nil
	}
	// While taken, no worker can touch it: update its due time safely.
	if d, err = e.store.GetDelivery(ctx, deliveryID); err == nil && d.State == StatePending {
		d.NextAttemptAt, d.UpdatedAt = now, now
		err = e.store.PutDelivery(ctx, d)
	}
	e.sched.add(deliveryID, ep, now)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("updating the delivery: %w", err)
	}
	return nil
}
