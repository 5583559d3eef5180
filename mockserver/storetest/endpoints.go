package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// mustPutEndpoint puts e or stops the test.
func mustPutEndpoint(t *testing.T, s engine.Store, e *engine.Endpoint) {
	t.Helper()
	if err := s.PutEndpoint(t.Context(), e); err != nil {
		t.Fatalf("PutEndpoint(%q): %v", e.ID, err)
	}
}

// mustGetEndpoint gets endpoint id or stops the test.
func mustGetEndpoint(t *testing.T, s engine.Store, id string) *engine.Endpoint {
	t.Helper()
	e, err := s.GetEndpoint(t.Context(), id)
	if err != nil {
		t.Fatalf("GetEndpoint(%q): %v", id, err)
	}
	return e
}

func testEndpointPutGet(t *testing.T, s engine.Store) {
	want := endpoint("ep1")
	mustPutEndpoint(t, s, want)
	checkEndpoint(t, "GetEndpoint", mustGetEndpoint(t, s, "ep1"), want)

	// The zero values round-trip too.
	bare := &engine.Endpoint{ID: "ep2", URL: "http://127.0.0.1:9/x", Provider: "esimfly", Secret: "s"}
	mustPutEndpoint(t, s, bare)
	checkEndpoint(t, "GetEndpoint of a bare endpoint", mustGetEndpoint(t, s, "ep2"), bare)
}

func testEndpointReplace(t *testing.T, s engine.Store) {
	mustPutEndpoint(t, s, endpoint("ep1"))
	want := endpoint("ep1")
	want.URL = "https://other.example/in"
	want.Secret = "rotated-secret"
	want.Events = []string{"esim.expired"}
	want.Headers = nil
	want.Chaos = engine.Chaos{Duplicates: 5}
	want.Disabled = false
	want.UpdatedAt = at(60000)
	mustPutEndpoint(t, s, want)
	checkEndpoint(t, "GetEndpoint after replace", mustGetEndpoint(t, s, "ep1"), want)
	list, err := s.ListEndpoints(t.Context())
	if err != nil {
		t.Fatalf("ListEndpoints: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("ListEndpoints after replace: %d endpoints, want 1", len(list))
	}
	checkEndpoint(t, "ListEndpoints after replace", list[0], want)
}

func testEndpointList(t *testing.T, s engine.Store) {
	list, err := s.ListEndpoints(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("ListEndpoints of an empty store = %d endpoints, %v; want 0, nil", len(list), err)
	}
	want := map[string]*engine.Endpoint{}
	for i, id := range []string{"ep3", "ep1", "ep2"} {
		e := endpoint(id)
		e.Secret = "secret-of-" + id
		e.CreatedAt = at(i)
		want[id] = e
		mustPutEndpoint(t, s, e)
	}
	list, err = s.ListEndpoints(t.Context())
	if err != nil {
		t.Fatalf("ListEndpoints: %v", err)
	}
	got := map[string]*engine.Endpoint{}
	for _, e := range list {
		if got[e.ID] != nil {
			t.Errorf("ListEndpoints lists %q twice", e.ID)
		}
		got[e.ID] = e
	}
	if len(got) != len(want) {
		t.Fatalf("ListEndpoints = %v, want %v", sortedKeys(got), sortedKeys(want))
	}
	for id, w := range want {
		checkEndpoint(t, "ListEndpoints "+id, got[id], w)
	}
}

func testEndpointDelete(t *testing.T, s engine.Store) {
	mustPutEndpoint(t, s, endpoint("ep1"))
	mustPutEndpoint(t, s, endpoint("ep2"))
	if err := s.DeleteEndpoint(t.Context(), "ep1"); err != nil {
		t.Fatalf("DeleteEndpoint: %v", err)
	}
	if _, err := s.GetEndpoint(t.Context(), "ep1"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetEndpoint after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteEndpoint(t.Context(), "ep1"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteEndpoint twice: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListEndpoints(t.Context())
	if err != nil {
		t.Fatalf("ListEndpoints: %v", err)
	}
	if len(list) != 1 || list[0].ID != "ep2" {
		t.Errorf("ListEndpoints after delete = %d endpoints, want just ep2", len(list))
	}
	checkEndpoint(t, "the other endpoint", mustGetEndpoint(t, s, "ep2"), endpoint("ep2"))
}

func testEndpointNotFound(t *testing.T, s engine.Store) {
	if e, err := s.GetEndpoint(t.Context(), "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetEndpoint(missing) = %v, %v; want ErrNotFound", e, err)
	}
	if err := s.DeleteEndpoint(t.Context(), "nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteEndpoint(missing) = %v; want ErrNotFound", err)
	}
}

func testEndpointCopies(t *testing.T, s engine.Store) {
	in := endpoint("ep1")
	mustPutEndpoint(t, s, in)
	in.Events[0], in.Headers["X-Env"], in.Secret = "changed", "changed", "changed"
	got := mustGetEndpoint(t, s, "ep1")
	checkEndpoint(t, "after changing the value put", got, endpoint("ep1"))
	got.Events[0], got.Headers["X-Env"], got.Secret = "changed", "changed", "changed"
	checkEndpoint(t, "after changing the value got", mustGetEndpoint(t, s, "ep1"), endpoint("ep1"))
}

// testEndpointVersion checks the EndpointVersioner contract, when the
// store implements it.
func testEndpointVersion(t *testing.T, s engine.Store) {
	ver, ok := s.(engine.EndpointVersioner)
	if !ok {
		t.Skip("the store does not implement mockserver.EndpointVersioner")
	}
	last := ver.EndpointsVersion()
	grew := func(what string, want bool) {
		t.Helper()
		v := ver.EndpointsVersion()
		if v < last || (v > last) != want {
			t.Fatalf("after %s the version went from %d to %d; want it to %s", what, last, v,
				map[bool]string{true: "grow", false: "stay"}[want])
		}
		last = v
	}
	mustPutEndpoint(t, s, endpoint("ep1"))
	grew("PutEndpoint", true)
	e := endpoint("ep1")
	e.Disabled = true
	mustPutEndpoint(t, s, e)
	grew("replacing an endpoint", true)
	mustGetEndpoint(t, s, "ep1")
	if _, err := s.ListEndpoints(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDelivery(t.Context(), delivery("d1", time.Unix(1_700_000_000, 0))); err != nil {
		t.Fatal(err)
	}
	grew("reads and a delivery", false)
	if err := s.DeleteEndpoint(t.Context(), "ep1"); err != nil {
		t.Fatal(err)
	}
	grew("DeleteEndpoint", true)
}
