package scenario

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// planned is one step made concrete for a run: its delivery and what a
// receiver should do with it.
type planned struct {
	d       *providers.Delivery
	key     string
	effects []providers.Effect
	at      time.Time
	timed   bool
	err     error
}

// lifeStart returns the start of the life for a run at now: early enough
// that the scenario's newest event happens at now, so that providers with a
// replay window (SimplifyTrip's 24 hours) see fresh events.
func lifeStart(sc *Scenario, now time.Time) time.Time {
	var latest time.Duration
	for _, st := range sc.Steps {
		latest = max(latest, st.At)
	}
	return now.UTC().Truncate(time.Second).Add(-latest)
}

// plan builds every step's delivery in life w. Delivery ids come from r, so
// that two runs never share one; a redelivery shares its step's delivery.
func plan(sc *Scenario, w *payload.World, r *rand.Rand) []planned {
	out := make([]planned, len(sc.Steps))
	for i, st := range sc.Steps {
		if st.Resend >= 0 {
			out[i] = out[st.Resend]
			continue
		}
		out[i] = build(sc.Variant, w, st, r)
	}
	return out
}

func build(v *providers.Variant, w *payload.World, st *Step, r *rand.Rand) planned {
	p, err := generate(w, st)
	if err != nil {
		return planned{err: err}
	}
	for _, o := range st.Set {
		if p, err = applyOne(w, st, p, o); err != nil {
			return planned{err: fmt.Errorf("set %s: %w", o.Path, err)}
		}
	}
	d, err := v.NewDelivery(st.Event, p, v.NewDeliveryID(r))
	if err != nil {
		return planned{err: err}
	}
	pl := planned{d: d, key: d.Key(), effects: st.Event.Effects(p)}
	pl.at, pl.timed = st.Event.EventTime(p)
	return pl
}

// newest returns the status a correct receiver ends with for every
// resource the scenario touches, in the order they are first touched: each
// idempotency key applied once, in arrival order, an event older than the
// one that set a resource (by the events' own times) leaving it alone, an
// event without a time applying on arrival. Redeliveries and steps expected
// to be rejected do not count.
func newest(sc *Scenario, pl []planned) []providers.Effect {
	type state struct {
		status string
		at     time.Time
		timed  bool
	}
	applied := map[string]bool{}
	res := map[string]state{}
	var order []string
	for i, st := range sc.Steps {
		p := pl[i]
		if st.Resend >= 0 || st.Ack == Ack4xx || p.err != nil || applied[p.key] {
			continue
		}
		applied[p.key] = true
		for _, e := range p.effects {
			cur, ok := res[e.ID]
			if !ok {
				order = append(order, e.ID)
			}
			if ok && p.timed && cur.timed && p.at.Before(cur.at) {
				continue
			}
			next := state{status: e.Status, at: cur.at, timed: cur.timed}
			if p.timed {
				next.at, next.timed = p.at, true
			}
			res[e.ID] = next
		}
	}
	out := make([]providers.Effect, len(order))
	for i, id := range order {
		out[i] = providers.Effect{ID: id, Status: res[id].status}
	}
	return out
}
