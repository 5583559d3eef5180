package scenario

import (
	"context"
	"slices"
	"sync"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// engineSender makes a server run's attempts through the mock server's
// engine (it is the run's Target.Sender): copy c of step i is one delivery
// of the log, tagged with the run, and its retries are that delivery's
// next attempts; a step's copies share one event id and name the
// original (CopyOf).
type engineSender struct {
	engine *engine.Engine
	ep     *engine.Endpoint
	run    string

	mu    sync.Mutex
	steps map[int]*sentStep
	order []string // every delivery id, in the order its first attempt ended
}

// sentStep is what one step sent.
type sentStep struct {
	event, orig string
	copies      map[int]*engine.Delivery // the latest state of each copy
}

// Send makes attempt o: the first attempt of a new delivery, or the next
// of its copy's.
func (s *engineSender) Send(ctx context.Context, o Outgoing) wire.Result {
	s.mu.Lock()
	if s.steps == nil {
		s.steps = map[int]*sentStep{}
	}
	st := s.steps[o.Step]
	if st == nil {
		st = &sentStep{event: s.engine.NewEventID(), orig: s.engine.NewDeliveryID(), copies: map[int]*engine.Delivery{}}
		s.steps[o.Step] = st
	}
	req := engine.SendRequest{Endpoint: s.ep, Delivery: o.Delivery, Header: o.Header, Of: st.copies[o.Copy],
		RunID: s.run, Cut: o.Cut, Retry: o.Retry, RetryIn: o.RetryIn}
	if req.Of == nil {
		req.ID, req.EventID = st.orig, st.event
		if o.Copy > 0 {
			req.ID, req.CopyOf = s.engine.NewDeliveryID(), st.orig
		}
	}
	s.mu.Unlock()
	d, a, err := s.engine.Send(ctx, req)
	if err != nil {
		return wire.Result{ErrKind: wire.ErrKindOther, Err: err.Error()}
	}
	s.mu.Lock()
	if st.copies[o.Copy] == nil {
		s.order = append(s.order, d.ID)
	}
	st.copies[o.Copy] = d
	s.mu.Unlock()
	r := wire.Result{Status: a.Status, Header: a.ResponseHeaders, Body: a.ResponseBody, Truncated: a.ResponseTruncated,
		Latency: a.Latency, ErrKind: a.ErrorKind}
	if a.ErrorKind != "" {
		r.Err = a.Error
		// An acknowledging status whose answer broke off is no
		// acknowledgement to the engine, which keeps the delivery pending:
		// the player must see no answer too, and retry, or the log would
		// hold a pending delivery nobody retries.
		if o.Delivery.Variant.Ack.Accepts(a.Status) {
			r.Status = 0
		}
	}
	return r
}

// ids returns the delivery ids of each step (the original, then the
// duplicates) and of the whole run, so far.
func (s *engineSender) ids() (map[int][]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	steps := make(map[int][]string, len(s.steps))
	for i, st := range s.steps {
		cs := make([]int, 0, len(st.copies))
		for c := range st.copies {
			cs = append(cs, c)
		}
		slices.Sort(cs)
		for _, c := range cs {
			steps[i] = append(steps[i], st.copies[c].ID)
		}
	}
	return steps, slices.Clone(s.order)
}
