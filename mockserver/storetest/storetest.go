// Package storetest is a behavioural test suite for any engine.Store:
// the in-memory store and the SQLite delivery log both run it, so that the
// engine and the API behave the same on either.
//
// The contract it checks, beyond the Store interface's documentation:
//   - Every value round-trips exactly: the endpoint's Secret, bodies byte for
//     byte (empty and non-UTF-8 included), headers, times (compared with
//     time.Equal: the location and the monotonic reading need not survive).
//     An empty slice or map may come back as nil and the other way round.
//   - Values are copied: changing a value after Put, or a value a Get
//     returned, does not change what the store holds.
//   - A missing id gives an error for which errors.Is(err,
//     engine.ErrNotFound) holds: GetEndpoint, DeleteEndpoint,
//     GetDelivery, ListAttempts (of an unknown delivery; a known delivery
//     without attempts gives an empty list) and an unknown
//     DeliveryFilter.Before cursor.
//   - ListDeliveries is newest first by CreatedAt, whatever the order of
//     insertion, and deliveries with equal CreatedAt come by ID,
//     descending; so Before paginates without gaps or repeats, and a page
//     after the cursor is unaffected by deliveries inserted since. Limit 0
//     means 100, and a Limit over 1000 means 1000.
//   - Every filter of DeliveryFilter that is set must match; Q matches
//     engine.SearchTerms exactly. Each delivery carries the summary of
//     the attempt AddAttempt recorded last, which PutDelivery keeps (and a
//     new delivery starts without).
//   - PutDelivery replaces in place: the delivery's attempts stay.
//   - AddAttempt stores the attempt and the delivery it is given.
//   - ListEndpoints order is unspecified; Pending order is unspecified.
//   - Prune removes the oldest deliveries its rule selects, at most Limit,
//     with their attempts (GetDelivery and ListAttempts then say
//     ErrNotFound), never a pending delivery nor one sharing EventID and
//     CreatedAt with a pending one; the rest lists and paginates as
//     before. A store that implements engine.LogSizer counts what it
//     holds exactly.
//   - A store that implements engine.EndpointVersioner makes the
//     version grow with every PutEndpoint and DeleteEndpoint, and with
//     nothing else.
package storetest

import (
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Run runs the suite against the stores newStore makes. newStore must return
// a new, empty store each time it is called; Run closes it (once) when the
// subtest that asked for it ends, so newStore must not.
func Run(t *testing.T, newStore func(t *testing.T) engine.Store) {
	t.Helper()
	RunSelected(t, newStore, nil)
}

// RunSelected runs the tests of the suite whose names (such as
// "Prune/Count") selected accepts; nil accepts all. It is for a store
// that runs the suite in two configurations, each too slow or too coarse
// for some tests: together they must run all of them.
func RunSelected(t *testing.T, newStore func(t *testing.T) engine.Store, selected func(name string) bool) {
	t.Helper()
	open := func(t *testing.T) engine.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s engine.Store)
	}{
		{"Endpoint/PutGet", testEndpointPutGet},
		{"Endpoint/Replace", testEndpointReplace},
		{"Endpoint/List", testEndpointList},
		{"Endpoint/Delete", testEndpointDelete},
		{"Endpoint/NotFound", testEndpointNotFound},
		{"Endpoint/Copies", testEndpointCopies},
		{"Endpoint/Version", testEndpointVersion},
		{"Delivery/PutGet", testDeliveryPutGet},
		{"Delivery/Bodies", testDeliveryBodies},
		{"Delivery/Replace", testDeliveryReplace},
		{"Delivery/NotFound", testDeliveryNotFound},
		{"Delivery/Copies", testDeliveryCopies},
		{"ListDeliveries/Filters", testListFilters},
		{"ListDeliveries/NewestFirst", testListNewestFirst},
		{"ListDeliveries/Limit", testListLimit},
		{"ListDeliveries/Pagination", testListPagination},
		{"ListDeliveries/PaginationWhileInserting", testListPaginationWhileInserting},
		{"ListDeliveries/CursorOutsideFilter", testListCursorOutsideFilter},
		{"ListDeliveries/Search", testListSearch},
		{"ListDeliveries/LastAttemptKept", testLastAttemptKept},
		{"Pending", testPending},
		{"AddAttempt/StoresBoth", testAddAttemptStoresBoth},
		{"AddAttempt/PutDeliveryKeepsAttempts", testPutDeliveryKeepsAttempts},
		{"ListAttempts/RoundTrip", testAttemptRoundTrip},
		{"ListAttempts/Order", testAttemptOrder},
		{"ListAttempts/Empty", testAttemptEmpty},
		{"Concurrent", testConcurrent},
		{"Prune/Count", testPruneCount},
		{"Prune/Age", testPruneAge},
		{"Prune/Both", testPruneBoth},
		{"Prune/Batches", testPruneBatches},
		{"Prune/Nothing", testPruneNothing},
		{"Prune/WhilePaging", testPruneWhilePaging},
		{"Prune/CursorOutlivesItsDelivery", testPruneCursorOutlivesDelivery},
	} {
		if selected != nil && !selected(tc.name) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
	t.Run("Close", func(t *testing.T) {
		s := newStore(t)
		if err := s.PutEndpoint(t.Context(), endpoint("ep1")); err != nil {
			t.Fatalf("PutEndpoint: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}
