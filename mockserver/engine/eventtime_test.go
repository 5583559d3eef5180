package engine

import (
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// TestATriggeredEventHappensNow checks that, without an explicit life start,
// an event's own time is the trigger's time, whatever its offset in the
// order's life (esim.activated is 2 h after the order).
func TestATriggeredEventHappensNow(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	for _, c := range []struct{ provider, event, ptr string }{
		{"esimfly", "esim.activated", "/timestamp"},
		{"esimfly", "order.created", "/timestamp"},
		{"roamify", "esim/esim_usage", "/data/timestamp"},
	} {
		before := time.Now().Add(-2 * time.Second)
		res := engTrigger(t, e, c.provider, c.event)
		path, _ := jsonv.ParsePath(c.ptr)
		v, _ := jsonv.Get(res.Payload, path)
		got, err := payload.ParseTime(v)
		if err != nil {
			t.Fatalf("%s: %v", c.event, err)
		}
		if got.Before(before) || got.After(time.Now().Add(2*time.Second)) {
			t.Errorf("%s %s: event time %s, want about now", c.provider, c.event, got)
		}
	}
}
