package engine

import (
	"context"
	"errors"
	"testing"
)

// TestEngineTriggerBound: the engine itself refuses, with a *LimitError.
func TestEngineTriggerBound(t *testing.T) {
	e := engTestEngine(t, EngineConfig{MaxTriggerDeliveries: 100})
	ep := engAddEndpoint(t, e, "standard", "", "http://127.0.0.1:9/hook", Chaos{})
	_, err := e.Trigger(context.Background(), Trigger{Provider: "standard", Event: "order.created",
		EndpointIDs: []string{ep.ID}, Chaos: &Chaos{Duplicates: 100}})
	var le *LimitError
	if !errors.As(err, &le) || le.Max != 100 || le.Want != 101 || le.Bound != "max-trigger-deliveries" {
		t.Fatalf("err %v, want a LimitError of 101 over 100", err)
	}
	if e.Pending() != 0 {
		t.Fatalf("%d pending after a refused trigger", e.Pending())
	}
}
