package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestListUsesIndexes checks, with EXPLAIN QUERY PLAN on a log the
// planner has statistics of, that every query of every search case reads
// an index in the list order, searching it (no scan of the table or of an
// index but the newest-first walk of an unfiltered list) and sorting
// nothing, with and without a cursor; and that a combined filter on a rare
// state or status reads that index.
func TestListUsesIndexes(t *testing.T) {
	s, _ := openTemp(t)
	const n = 2000 // enough for the planner to tell filters apart; -race makes SQLite slow
	fillSearchLog(t, s, n)
	ctx := t.Context()
	// A statement that reads the database makes the connection see the
	// statistics; EXPLAIN alone uses the schema it has.
	conn, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var rows int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_stat1").Scan(&rows); err != nil || rows == 0 {
		t.Fatalf("statistics: %d rows, %v", rows, err)
	}
	cursor := &listCursor{created: fillTime(n / 2).UnixNano(), id: fmt.Sprintf("d_%08d", n/2)}
	for _, c := range searchCases(n) {
		for _, cur := range []*listCursor{nil, cursor} {
			qs, err := s.listPlan(ctx, c.f, cur)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(qs) == 0 && !strings.HasPrefix(c.name, "none-") {
				t.Errorf("%s: planned as matching nothing", c.name)
			}
			for _, lq := range qs {
				q, args := lq.sql(deliveryRead)
				p := queryPlan(t, conn, q, args)
				scans := strings.Contains(p, "SCAN ")
				if c.name == "all" {
					scans = !strings.Contains(p, "SCAN d USING INDEX deliveries_created") && !strings.Contains(p, "SEARCH d USING INDEX deliveries_created")
				}
				if scans || strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") {
					t.Errorf("%s (cursor %v): %s\nreads %s", c.name, cur != nil, q, p)
				}
			}
		}
	}
	for _, c := range []struct {
		f     engine.DeliveryFilter
		index string
	}{
		{engine.DeliveryFilter{Provider: "esimfly", State: engine.StateFailed}, "deliveries_state"},
		{engine.DeliveryFilter{EndpointID: "ep3", Status: status(0)}, "deliveries_status"},
		{engine.DeliveryFilter{Provider: "esimfly", Event: "esimfly.topup_failed"}, "deliveries_event"},
		{engine.DeliveryFilter{Provider: "legacy", State: engine.StateFailed}, "deliveries_provider"},
	} {
		qs, err := s.listPlan(ctx, c.f, nil)
		if err != nil || len(qs) != 1 || qs[0].index != c.index {
			t.Errorf("listPlan(%+v) = %+v, %v; want it to read %s", c.f, qs, err, c.index)
		}
	}
	q := "SELECT id FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending' ORDER BY next_attempt_at, seq"
	if p := queryPlan(t, conn, q, nil); strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("Pending reads %s", p)
	}
}

// queryPlan returns EXPLAIN QUERY PLAN of q with args, one step after
// another. SQLite plans a query again once its parameters are bound, when
// their values might change the plan; EXPLAIN shows the plan without
// them, so the arguments are written into the query.
func queryPlan(t *testing.T, conn interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args []any) string {
	t.Helper()
	for _, a := range args {
		lit := fmt.Sprint(a)
		if s, ok := a.(string); ok {
			lit = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		q = strings.Replace(q, "?", lit, 1)
	}
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}
