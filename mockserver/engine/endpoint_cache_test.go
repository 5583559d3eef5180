package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// unversioned hides a store's EndpointVersioner, so that the engine reads
// endpoints on every trigger and attempt.
type unversioned struct{ Store }

// TestEngineSeesEndpointChanges: whether the engine keeps endpoints in
// memory (a versioned store) or reads them every time, a changed URL, a
// disabled endpoint and a deleted one take effect on the next trigger.
func TestEngineSeesEndpointChanges(t *testing.T) {
	for name, st := range map[string]Store{"cached": NewMemoryStore(), "uncached": unversioned{NewMemoryStore()}} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			first, second := newEngReceiver(t, nil), newEngReceiver(t, nil)
			e := engTestEngine(t, EngineConfig{Store: st})
			ep := engAddEndpoint(t, e, "standard", "", first.srv.URL, Chaos{})
			send := func() *Delivery {
				t.Helper()
				res := engTrigger(t, e, "standard", "order.created", ep)
				return engWaitState(t, e, res.Deliveries[0].ID, 10*time.Second)
			}
			if d := send(); d.State != StateDelivered || first.count() != 1 {
				t.Fatalf("first delivery %s, first receiver %d hits", d.State, first.count())
			}
			ep.URL = second.srv.URL
			if err := st.PutEndpoint(ctx, ep); err != nil {
				t.Fatal(err)
			}
			if d := send(); d.State != StateDelivered || second.count() != 1 || first.count() != 1 {
				t.Fatalf("after the URL change: %s, hits %d and %d", d.State, first.count(), second.count())
			}
			ep.Disabled = true
			if err := st.PutEndpoint(ctx, ep); err != nil {
				t.Fatal(err)
			}
			_, err := e.Trigger(ctx, Trigger{Provider: "standard", Event: "order.created", EndpointIDs: []string{ep.ID}})
			if err == nil || !strings.Contains(err.Error(), "disabled") {
				t.Fatalf("trigger to a disabled endpoint: %v", err)
			}
			if err := st.DeleteEndpoint(ctx, ep.ID); err != nil {
				t.Fatal(err)
			}
			res, err := e.Trigger(ctx, Trigger{Provider: "standard", Event: "order.created"})
			if err != nil || len(res.Deliveries) != 0 {
				t.Fatalf("broadcast after the delete: %v, %d deliveries", err, len(res.Deliveries))
			}
		})
	}
}
