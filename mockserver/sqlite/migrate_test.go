package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// createV1 creates a database of schema version 1 at path, as a release
// before version 2 left it: two deliveries, the first with an attempt that
// shares its body and one that does not.
func createV1(t *testing.T, path string) {
	createDB(t, path,
		"PRAGMA journal_mode = WAL",
		migrations[0],
		"PRAGMA user_version = 1",
		`INSERT INTO deliveries (seq, id, event_id, endpoint_id, provider, variant, event, wire_id, key, body,
			copy_of, resend_of, state, attempts, next_attempt_at, chaos, created_at, updated_at) VALUES
			(1, 'd1', 'evt1', 'ep1', 'airalo', '', 'order.completed', 'w1', 'k1', x'7b7d',
				'', '', 'pending', 2, 3000, '{}', 1000, 2000),
			(2, 'd2', 'evt2', 'ep2', 'esimfly', '', 'esim.activated', 'w2', 'k2', x'00ff',
				'', '', 'delivered', 0, -9223372036854775808, '{}', 1001, 1001)`,
		`INSERT INTO attempts (delivery_id, n, endpoint_id, provider, variant, event, started_at, url,
			request_headers, request_body, status, response_headers, response_body, response_truncated,
			latency_ns, error_kind, error, success, next_retry_at, outcome) VALUES
			('d1', 1, 'ep1', 'airalo', '', 'order.completed', 1500, 'http://x', '{"A":["1"]}', NULL,
				503, '{}', x'6e6f', 0, 7, '', 'answered Service Unavailable', 0, 2500, 'pending'),
			('d1', 2, 'ep1', 'airalo', '', 'order.completed', 2500, 'http://x', '{}', x'6f6c64',
				500, 'null', x'', 1, 8, 'reset', 'reset', 0, 3000, 'pending')`)
}

// createDB runs stmts on a new database at path.
func createDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+escapePath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// openMigrated opens a database that create made at an older version,
// and checks it is at SchemaVersion with the current indexes.
func openMigrated(t *testing.T, create func(*testing.T, string)) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "log.db")
	create(t, path)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of an older database: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var v int
	if err := s.r.QueryRowContext(t.Context(), "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, SchemaVersion)
	}
	checkIndexes(t, s, currentIndexes)
	checkNoTriggers(t, s)
	return s
}

// checkNoTriggers fails t if s's schema has a trigger: since version 4 the
// writer keeps delivery_terms and delivery_facets, and a trigger left
// behind would write them twice.
func checkNoTriggers(t *testing.T, s *Store) {
	t.Helper()
	var names string
	if err := s.r.QueryRowContext(t.Context(), "SELECT coalesce(group_concat(name), '') FROM sqlite_master WHERE type = 'trigger'").Scan(&names); err != nil || names != "" {
		t.Errorf("triggers %q (%v), want none", names, err)
	}
}

// listCase is a filter and the ids it lists.
type listCase struct {
	f    engine.DeliveryFilter
	want []string
}

// checkLists fails t unless each case lists its ids in s.
func checkLists(t *testing.T, s *Store, cases []listCase) {
	t.Helper()
	for _, c := range cases {
		list, err := s.ListDeliveries(t.Context(), c.f)
		var got []string
		for _, d := range list {
			got = append(got, d.ID)
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ListDeliveries(%+v) = %v, %v; want %v", c.f, got, err, c.want)
		}
	}
}

func TestMigrateFromV1(t *testing.T) {
	s := openMigrated(t, createV1)
	ctx := t.Context()

	var problems int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_check").Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign key check: %d problems, %v", problems, err)
	}

	attempts, err := s.ListAttempts(ctx, "d1")
	if err != nil || len(attempts) != 2 {
		t.Fatalf("ListAttempts(d1) = %d attempts, %v; want 2", len(attempts), err)
	}
	a1, a2 := attempts[0], attempts[1]
	if a1.DeliveryID != "d1" || a1.N != 1 || string(a1.RequestBody) != "{}" || a1.RequestHeaders.Get("A") != "1" ||
		a1.Status != 503 || string(a1.ResponseBody) != "no" || a1.Latency != 7 || !a1.NextRetryAt.Equal(time.Unix(0, 2500)) {
		t.Errorf("attempt 1 after the migration = %+v", a1)
	}
	if a2.N != 2 || string(a2.RequestBody) != "old" || !a2.ResponseTruncated || a2.ErrorKind != "reset" {
		t.Errorf("attempt 2 after the migration = %+v", a2)
	}
	if list, err := s.ListAttempts(ctx, "d2"); err != nil || len(list) != 0 {
		t.Errorf("ListAttempts(d2) = %d attempts, %v; want none", len(list), err)
	}
	checkLists(t, s, []listCase{
		{engine.DeliveryFilter{}, []string{"d2", "d1"}},
		{engine.DeliveryFilter{Provider: "airalo"}, []string{"d1"}},
		{engine.DeliveryFilter{Event: "esim.activated"}, []string{"d2"}},
		{engine.DeliveryFilter{State: engine.StatePending}, []string{"d1"}},
		{engine.DeliveryFilter{EndpointID: "ep2"}, []string{"d2"}},
		{engine.DeliveryFilter{EventID: "evt1"}, []string{"d1"}},
	})

	// The log takes new writes: a third attempt, then a new body, which
	// leaves attempt 1 the body it was sent.
	d, err := s.GetDelivery(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	d.Attempts, d.State, d.NextAttemptAt = 3, engine.StateDelivered, time.Time{}
	a3 := &engine.Attempt{DeliveryID: "d1", N: 3, RequestBody: d.Body, Status: 200, Success: true, Outcome: engine.StateDelivered}
	if err := s.AddAttempt(ctx, a3, d); err != nil {
		t.Fatal(err)
	}
	d.Body = []byte("new")
	if err := s.PutDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	attempts, err = s.ListAttempts(ctx, "d1")
	if err != nil || len(attempts) != 3 || string(attempts[0].RequestBody) != "{}" || string(attempts[2].RequestBody) != "{}" {
		t.Errorf("attempts after a new body = %d, %v; want 3, each with the body it was sent", len(attempts), err)
	}
	if pending, err := s.Pending(ctx); err != nil || len(pending) != 0 {
		t.Errorf("Pending = %d deliveries, %v; want none", len(pending), err)
	}
}

// currentIndexes are the indexes of a database of SchemaVersion.
var currentIndexes = []string{
	"deliveries_created", "deliveries_due", "deliveries_endpoint", "deliveries_event", "deliveries_event_id",
	"deliveries_provider", "deliveries_run", "deliveries_state", "deliveries_status", "deliveries_variant",
	"sqlite_autoindex_deliveries_1", "sqlite_autoindex_endpoints_1",
}

// checkIndexes fails t unless the indexes of the database are want.
func checkIndexes(t *testing.T, s *Store, want []string) {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("indexes = %v, want %v", got, want)
	}
}

func TestFreshSchema(t *testing.T) {
	s, _ := openTemp(t)
	checkIndexes(t, s, currentIndexes)
	checkNoTriggers(t, s)
}

// createV2 creates a database of schema version 2 at path, as a release
// before version 3 left it: three deliveries, the first with two attempts,
// the second with one, the third with none; bodies with ids to index, one
// not JSON.
func createV2(t *testing.T, path string) {
	createDB(t, path,
		"PRAGMA journal_mode = WAL",
		migrations[0],
		migrations[1],
		"PRAGMA user_version = 2",
		`INSERT INTO deliveries (seq, id, event_id, endpoint_id, provider, variant, event, wire_id, key, body,
			copy_of, resend_of, state, attempts, next_attempt_at, chaos, created_at, updated_at) VALUES
			(1, 'd1', 'evt1', 'ep1', 'esimfly', '', 'order.completed', 'w1', 'k1',
				CAST('{"data":{"order_id":"ORD-1","esims":[{"iccid":"8948010010092445039"}],"status":"completed"}}' AS BLOB),
				'', '', 'delivered', 2, -9223372036854775808, '{}', 1000, 2000),
			(2, 'd2', 'evt2', 'ep2', 'esimaccess', '', 'ORDER_STATUS', 'd2', 'k2',
				CAST('{"content":{"orderNo":"B23110718759768","transactionId":"tx-9"}}' AS BLOB),
				'', '', 'pending', 1, 3000, '{}', 1001, 1001),
			(3, 'd3', 'evt3', 'ep2', 'esimaccess', '', 'ORDER_STATUS', 'w3', 'k3', x'00ff',
				'', '', 'pending', 0, 3000, '{}', 1002, 1002)`,
		`INSERT INTO attempts (delivery_seq, n, endpoint_id, provider, variant, event, started_at, url,
			request_headers, request_body, status, response_headers, response_body, response_truncated,
			latency_ns, error_kind, error, success, next_retry_at, outcome) VALUES
			(1, 1, 'ep1', 'esimfly', '', 'order.completed', 1500, 'http://x', '{}', NULL,
				503, '{}', x'', 0, 7, '', '', 0, 2500, 'pending'),
			(1, 2, 'ep1', 'esimfly', '', 'order.completed', 2500, 'http://x', '{}', NULL,
				200, '{}', x'', 0, 8, '', '', 1, -9223372036854775808, 'delivered'),
			(2, 1, 'ep2', 'esimaccess', '', 'ORDER_STATUS', 1600, 'http://x', '{}', NULL,
				0, 'null', x'', 0, 9, 'timeout', 'timed out', 0, 3000, 'pending')`)
}

// TestMigrateFromV2 opens a version 2 log: the latest attempts' summaries
// and the bodies' search terms are filled in, by the rules the store
// writes new deliveries with, and every new filter finds them.
func TestMigrateFromV2(t *testing.T) {
	s := openMigrated(t, createV2)
	ctx := t.Context()

	d1, err := s.GetDelivery(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if la := d1.LastAttempt; la == nil || la.N != 2 || la.Status != 200 || la.Outcome != engine.StateDelivered ||
		la.Latency != 8 || !la.At.Equal(time.Unix(0, 2500)) {
		t.Errorf("d1's last attempt after the migration = %+v, want attempt 2's", la)
	}
	d2, err := s.GetDelivery(ctx, "d2")
	if err != nil {
		t.Fatal(err)
	}
	if la := d2.LastAttempt; la == nil || la.N != 1 || la.Status != 0 || la.ErrorKind != "timeout" {
		t.Errorf("d2's last attempt after the migration = %+v, want attempt 1's", la)
	}
	// The terms the migration wrote are those the store would write.
	for _, d := range []*engine.Delivery{d1, d2} {
		var terms string
		if err := s.r.QueryRowContext(ctx, "SELECT terms FROM deliveries WHERE id = ?", d.ID).Scan(&terms); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := decJSON(terms, &got); err != nil {
			t.Fatal(err)
		}
		want := storedTerms(d)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: migrated terms %v, want %v", d.ID, got, want)
		}
	}
	checkLists(t, s, []listCase{
		{engine.DeliveryFilter{Status: intp(200)}, []string{"d1"}},
		{engine.DeliveryFilter{Status: intp(0)}, []string{"d2"}},
		{engine.DeliveryFilter{Q: "8948010010092445039"}, []string{"d1"}},
		{engine.DeliveryFilter{Q: "ORD-1"}, []string{"d1"}},
		{engine.DeliveryFilter{Q: "w1"}, []string{"d1"}},
		{engine.DeliveryFilter{Q: "B23110718759768"}, []string{"d2"}},
		{engine.DeliveryFilter{Q: "tx-9"}, []string{"d2"}},
		{engine.DeliveryFilter{Q: "d3"}, []string{"d3"}},
		{engine.DeliveryFilter{Q: "completed"}, nil},
		{engine.DeliveryFilter{Provider: "esimaccess", State: engine.StatePending}, []string{"d3", "d2"}},
		{engine.DeliveryFilter{Event: "ORDER_STATUS", Since: time.Unix(0, 1002)}, []string{"d3"}},
	})
	// A delivery deleted under the store (as Prune does) leaves its terms,
	// which match nothing; the sweep after the next prune removes them.
	if _, err := s.w.ExecContext(ctx, "DELETE FROM attempts WHERE delivery_seq = 1; DELETE FROM deliveries WHERE id = 'd1'"); err != nil {
		t.Fatal(err)
	}
	checkLists(t, s, []listCase{{engine.DeliveryFilter{Q: "ORD-1"}, nil}})
	if _, err := s.Prune(ctx, engine.PruneRule{Keep: 1}); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM delivery_terms WHERE id = 'd1'").Scan(&left); err != nil || left != 0 {
		t.Errorf("terms of a deleted delivery after a prune: %d, %v; want none", left, err)
	}
}

func intp(n int) *int { return &n }
