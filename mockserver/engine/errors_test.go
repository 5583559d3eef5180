package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestTriggerErrorsNameTheField: what a trigger names wrongly is an *Error
// at the field, with its cause for errors.Is, so that the control API maps
// it without checking the request again.
func TestTriggerErrorsNameTheField(t *testing.T) {
	e := engTestEngine(t, EngineConfig{})
	rc := newEngReceiver(t, nil)
	ok := engAddEndpoint(t, e, "esimfly", "2025-01", rc.srv.URL, Chaos{})
	off := engAddEndpoint(t, e, "esimfly", "2025-01", rc.srv.URL, Chaos{})
	off.Disabled = true
	if err := e.store.PutEndpoint(context.Background(), off); err != nil {
		t.Fatal(err)
	}
	other := engAddEndpoint(t, e, "roamify", "", rc.srv.URL, Chaos{})
	for _, tc := range []struct {
		name    string
		tr      Trigger
		pointer string
		unknown bool
		cause   error
	}{
		{"unknown provider", Trigger{Provider: "nope", Event: "x"}, "/provider", true, providers.ErrUnknown},
		{"unknown variant", Trigger{Provider: "esimfly", Variant: "1999", Event: "x"}, "/variant", true, providers.ErrUnknown},
		{"unknown event", Trigger{Provider: "esimfly", Variant: "2025-01", Event: "nope"}, "/event", true, providers.ErrUnknown},
		{"reserved event", Trigger{Provider: "esimfly", Variant: "2026-09", Event: "order.completed"}, "/event", false, providers.ErrReserved},
		{"unknown encoding", Trigger{Provider: "esimfly", Variant: "2025-01", Event: "order.created", Encoding: "ebcdic"}, "/encoding", false, nil},
		{"missing endpoint", Trigger{Provider: "esimfly", Variant: "2025-01", Event: "order.created", EndpointIDs: []string{ok.ID, "ep_nope"}}, "/endpoint_ids/1", true, ErrNotFound},
		{"disabled endpoint", Trigger{Provider: "esimfly", Variant: "2025-01", Event: "order.created", EndpointIDs: []string{off.ID}}, "/endpoint_ids/0", true, ErrEndpointUnfit},
		{"foreign endpoint", Trigger{Provider: "esimfly", Variant: "2025-01", Event: "order.created", EndpointIDs: []string{ok.ID, other.ID}}, "/endpoint_ids/1", true, ErrEndpointUnfit},
	} {
		_, err := e.Trigger(context.Background(), tc.tr)
		var ee *Error
		if !errors.As(err, &ee) {
			t.Errorf("%s: %v is not an *Error", tc.name, err)
			continue
		}
		if ee.Pointer != tc.pointer || ee.Unknown != tc.unknown || ee.Reason == "" || (tc.cause != nil && !errors.Is(err, tc.cause)) {
			t.Errorf("%s: %+v; want pointer %s, unknown %v, cause %v", tc.name, ee, tc.pointer, tc.unknown, tc.cause)
		}
	}
	if rc.count() != 0 {
		t.Errorf("refused triggers sent %d requests", rc.count())
	}
	// "default" names the default variant of a profile without one of
	// that name, as the control API spells it.
	res, err := e.Trigger(context.Background(), Trigger{Provider: "roamify", Variant: "default", Event: "esim/esim_status", EndpointIDs: []string{other.ID}})
	if err != nil || res.Variant == nil || !res.Variant.Default || res.Event.Name != "esim/esim_status" {
		t.Errorf("Trigger(roamify@default) = %+v, %v", res, err)
	}
}
