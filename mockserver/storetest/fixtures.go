package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// base is the fixtures' clock: nanosecond precision in a zone other than
// UTC, so that a store that loses either shows.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+1", 3600))

// at returns base plus i milliseconds.
func at(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }

// fullChaos returns a Chaos with every field set.
func fullChaos() engine.Chaos {
	return engine.Chaos{
		Duplicates:       2,
		DuplicateSpacing: engine.Duration(250 * time.Millisecond),
		ReorderWindow:    engine.Duration(3 * time.Second),
		Delay:            engine.Duration(1500 * time.Microsecond),
		Jitter:           engine.Duration(7 * time.Nanosecond),
		CutAfterBody:     1,
	}
}

// endpoint returns an endpoint with every field set.
func endpoint(id string) *engine.Endpoint {
	return &engine.Endpoint{
		ID:          id,
		URL:         "https://receiver.example/hooks/" + id,
		Provider:    "airalo",
		Variant:     "v2",
		Secret:      "whsec_" + id + "_5ecr3t+/=",
		Events:      []string{"order.completed", "esim.low_data"},
		Description: "receiver " + id,
		ProbeURL:    "https://receiver.example/probe/" + id,
		Headers:     map[string]string{"X-Env": "test", "Authorization": "Bearer t0k"},
		Chaos:       fullChaos(),
		Disabled:    true,
		Source:      "api",
		CreatedAt:   base,
		UpdatedAt:   base.Add(time.Second),
	}
}

// delivery returns a pending delivery with every field set, created at
// created.
func delivery(id string, created time.Time) *engine.Delivery {
	return &engine.Delivery{
		ID:            id,
		EventID:       "evt_" + id,
		EndpointID:    "ep1",
		Provider:      "esimaccess",
		Variant:       "v1",
		Event:         "order.completed",
		WireID:        "wire_" + id,
		Key:           "key_" + id,
		Body:          []byte(`{"id":"` + id + `","note":"caf\u00e9"}`),
		CopyOf:        "orig_" + id,
		ResendOf:      "prev_" + id,
		RunID:         "run_" + id,
		State:         engine.StatePending,
		Attempts:      0,
		NextAttemptAt: created.Add(5 * time.Second),
		Chaos:         fullChaos(),
		CreatedAt:     created,
		UpdatedAt:     created.Add(time.Millisecond),
	}
}

// attempt returns attempt n of d, a failure with every field set.
func attempt(d *engine.Delivery, n int) *engine.Attempt {
	return &engine.Attempt{
		DeliveryID: d.ID,
		EndpointID: d.EndpointID,
		Provider:   d.Provider,
		Variant:    d.Variant,
		Event:      d.Event,
		N:          n,
		StartedAt:  d.CreatedAt.Add(time.Duration(n) * time.Second),
		URL:        "https://receiver.example/hooks/ep1?try=" + fmt.Sprint(n),
		RequestHeaders: http.Header{
			"Content-Type": {"application/json"},
			"X-Signature":  {"t=1,v1=abc", "v1=def"},
		},
		RequestBody:       d.Body,
		Status:            503,
		ResponseHeaders:   http.Header{"Retry-After": {"5"}, "Set-Cookie": {"a=1", "b=2"}},
		ResponseBody:      []byte("busy, try later"),
		ResponseTruncated: false,
		Latency:           123456789 * time.Nanosecond,
		ErrorKind:         "",
		Error:             "",
		Success:           false,
		NextRetryAt:       d.CreatedAt.Add(time.Duration(n+1) * time.Second),
		Outcome:           engine.StatePending,
	}
}

// normTime returns t in a canonical form: equal times give equal values.
func normTime(t time.Time) time.Time { return t.UTC().Round(0) }

// normEndpoint returns a copy of e in canonical form, for reflect.DeepEqual.
func normEndpoint(e *engine.Endpoint) engine.Endpoint {
	c := *e
	if len(c.Events) == 0 {
		c.Events = nil
	}
	if len(c.Headers) == 0 {
		c.Headers = nil
	}
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	return c
}

// normDelivery returns a copy of d in canonical form, without its body.
func normDelivery(d *engine.Delivery) engine.Delivery {
	c := *d
	c.Body = nil
	c.NextAttemptAt, c.CreatedAt, c.UpdatedAt = normTime(c.NextAttemptAt), normTime(c.CreatedAt), normTime(c.UpdatedAt)
	if c.LastAttempt != nil {
		la := *c.LastAttempt
		la.At = normTime(la.At)
		c.LastAttempt = &la
	}
	return c
}

// normAttempt returns a copy of a in canonical form, without its bodies.
func normAttempt(a *engine.Attempt) engine.Attempt {
	c := *a
	c.RequestBody, c.ResponseBody = nil, nil
	if len(c.RequestHeaders) == 0 {
		c.RequestHeaders = nil
	}
	if len(c.ResponseHeaders) == 0 {
		c.ResponseHeaders = nil
	}
	c.StartedAt, c.NextRetryAt = normTime(c.StartedAt), normTime(c.NextRetryAt)
	return c
}

// checkEndpoint fails t unless got equals want, Secret included.
func checkEndpoint(t *testing.T, what string, got, want *engine.Endpoint) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil endpoint, want %+v", what, *want)
		return
	}
	if g, w := normEndpoint(got), normEndpoint(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// checkDelivery fails t unless got equals want, body byte for byte.
func checkDelivery(t *testing.T, what string, got, want *engine.Delivery) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil delivery, want %+v", what, normDelivery(want))
		return
	}
	if !bytes.Equal(got.Body, want.Body) {
		t.Errorf("%s: body is %d bytes %q, want %d bytes %q", what, len(got.Body), clip(got.Body), len(want.Body), clip(want.Body))
	}
	if g, w := normDelivery(got), normDelivery(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// checkAttempt fails t unless got equals want, bodies byte for byte.
func checkAttempt(t *testing.T, what string, got, want *engine.Attempt) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil attempt, want %+v", what, normAttempt(want))
		return
	}
	if !bytes.Equal(got.RequestBody, want.RequestBody) {
		t.Errorf("%s: request body is %d bytes %q, want %d bytes %q", what, len(got.RequestBody), clip(got.RequestBody), len(want.RequestBody), clip(want.RequestBody))
	}
	if !bytes.Equal(got.ResponseBody, want.ResponseBody) {
		t.Errorf("%s: response body is %d bytes %q, want %d bytes %q", what, len(got.ResponseBody), clip(got.ResponseBody), len(want.ResponseBody), clip(want.ResponseBody))
	}
	if g, w := normAttempt(got), normAttempt(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// clip returns the first 64 bytes of b, for messages.
func clip(b []byte) []byte { return b[:min(len(b), 64)] }

// deliveryIDs returns the ids of list, in order.
func deliveryIDs(list []*engine.Delivery) []string {
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	return ids
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
