package sqlite

import (
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// oldRows is how many of fillSearchLog's deliveries of n, the oldest,
// carry filter values no later delivery has: 500 of a million, a fortieth
// of a small log.
func oldRows(n int) int { return min(500, n/40) }

// fillSearchLog appends n deliveries, two attempts each, to s's log in
// one transaction of SQL, spread over every filter the way a busy shared
// mock's log is: six providers, a variant on a twelfth, three event kinds
// per provider of uneven frequency (one at 1%), twelve endpoints, 96%
// delivered, 2% pending, 1% failed, 1% exhausted, the latest status
// following the state (a tenth of the failures without an answer), 2% sent
// by scenario runs of 50 deliveries, event ids of two deliveries each,
// one ICCID per four deliveries and one order id per two in the body's
// terms, bodies of 300 bytes, one delivery a millisecond. The oldest
// oldRows(n) deliveries are those of the "old-" search cases: provider
// legacy, endpoint ep-old, event legacy.event, failed with status 418, run
// run-old, a term OLD-i each.
func fillSearchLog(t testing.TB, s *Store, n int) {
	t.Helper()
	_, err := s.w.ExecContext(t.Context(), `
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?1),
p(n, provider, old) AS (SELECT n, CASE n % 6 WHEN 0 THEN 'airalo' WHEN 1 THEN 'esimfly' WHEN 2 THEN 'esimaccess'
	WHEN 3 THEN 'roamify' WHEN 4 THEN 'simplifytrip' ELSE 'standardwebhooks' END, n <= ?2 FROM i)
INSERT INTO deliveries (id, event_id, endpoint_id, provider, variant, event, wire_id, key, body,
	copy_of, resend_of, state, attempts, next_attempt_at, chaos, created_at, updated_at,
	run_id, terms, last_n, last_status, last_outcome, last_latency_ns, last_at, last_error_kind)
SELECT printf('d_%08d', n), 'evt_' || (n / 2), iif(old, 'ep-old', 'ep' || (n % 12)),
	iif(old, 'legacy', provider), iif(n % 12 = 0, 'v1', ''),
	iif(old, 'legacy.event', provider || CASE WHEN n % 100 = 7 THEN '.topup_failed' WHEN n % 10 < 6 THEN '.order'
		ELSE '.usage' END),
	printf('w_%08d', n), 'k', randomblob(300), '', '',
	CASE WHEN old OR n % 100 = 3 THEN 'failed' WHEN n % 100 = 5 THEN 'exhausted'
		WHEN n % 100 IN (1, 2) THEN 'pending' ELSE 'delivered' END,
	2, 1700000000000000000 + n * 1000000, '{}', 1700000000000000000 + n * 1000000, 1700000000000000000 + n * 1000000,
	CASE WHEN old THEN 'run-old' WHEN n % 50 = 0 THEN 'run_' || (n / 2500) ELSE '' END,
	iif(old, json_array(printf('89%017d', n / 4), 'ORD-' || (n / 2), 'OLD-' || n),
		json_array(printf('89%017d', n / 4), 'ORD-' || (n / 2))),
	2, CASE WHEN old THEN 418 WHEN n % 1000 = 3 THEN 0 WHEN n % 100 = 3 THEN 400 WHEN n % 100 IN (1, 2, 5) THEN 503
		ELSE 200 END,
	CASE WHEN old OR n % 100 = 3 THEN 'failed' WHEN n % 100 = 5 THEN 'exhausted'
		WHEN n % 100 IN (1, 2) THEN 'pending' ELSE 'delivered' END,
	12000000, 1700000000000000000 + n * 1000000 + 500000, ''
FROM p;
INSERT INTO attempts (delivery_seq, n, endpoint_id, provider, variant, event, started_at, url, request_headers,
	status, response_headers, response_truncated, latency_ns, error_kind, error, success, next_retry_at, outcome,
	request_body, response_body)
SELECT d.seq, k.n, d.endpoint_id, d.provider, d.variant, d.event, d.created_at + k.n * 250000, 'http://127.0.0.1:9/hook',
	'{"Content-Type":["application/json"]}', iif(k.n = 2, d.last_status, 503), '{}', 0, 12000000, '', '',
	k.n = 2 AND d.last_status = 200, 0, iif(k.n = 2, d.last_outcome, 'pending'), NULL, x'6f6b'
FROM deliveries d, (SELECT 1 AS n UNION ALL SELECT 2) k
WHERE d.seq > (SELECT coalesce(max(delivery_seq), 0) FROM attempts);
INSERT OR IGNORE INTO delivery_terms (term, created_at, id) SELECT j.value, d.created_at, d.id FROM deliveries d, json_each(d.terms) j;
INSERT OR IGNORE INTO delivery_facets SELECT DISTINCT provider, variant, event, endpoint_id FROM deliveries;
ANALYZE;`, n, oldRows(n))
	if err != nil {
		t.Fatal(err)
	}
}

// searchCase is one filter of the search tests and benchmarks.
type searchCase struct {
	name string
	f    engine.DeliveryFilter
}

func status(n int) *int { return &n }

// fillTime returns the creation time of fillSearchLog's delivery n.
func fillTime(n int) time.Time { return time.Unix(0, 1700000000000000000+int64(n)*1000000) }

// searchCases are the filters the plan test checks and the list benchmark
// times on fillSearchLog's log of n deliveries: each alone, combined,
// matching nothing and matching only the oldest rows.
func searchCases(n int) []searchCase {
	at := func(frac float64) time.Time { return fillTime(int(frac * float64(n))) }
	return []searchCase{
		{"all", engine.DeliveryFilter{}},
		{"provider", engine.DeliveryFilter{Provider: "esimfly"}},
		{"provider+variant", engine.DeliveryFilter{Provider: "airalo", Variant: "v1"}},
		{"event", engine.DeliveryFilter{Event: "roamify.usage"}},
		{"event-1%", engine.DeliveryFilter{Event: "airalo.topup_failed"}},
		{"endpoint", engine.DeliveryFilter{EndpointID: "ep3"}},
		{"state-pending", engine.DeliveryFilter{State: engine.StatePending}},
		{"state-failed", engine.DeliveryFilter{State: engine.StateFailed}},
		{"status-503", engine.DeliveryFilter{Status: status(503)}},
		{"status-0", engine.DeliveryFilter{Status: status(0)}},
		{"since", engine.DeliveryFilter{Since: at(0.5)}},
		{"until-old", engine.DeliveryFilter{Until: at(0.0004)}},
		{"since+until", engine.DeliveryFilter{Since: at(0.3), Until: at(0.3001)}},
		{"id", engine.DeliveryFilter{ID: "d_00012345"}},
		{"event-id", engine.DeliveryFilter{EventID: "evt_12345"}},
		{"run", engine.DeliveryFilter{RunID: "run_3"}},
		{"q-iccid", engine.DeliveryFilter{Q: "8900000000000003086"}},
		{"q-order", engine.DeliveryFilter{Q: "ORD-6000"}},
		{"q-delivery-id", engine.DeliveryFilter{Q: "d_00012345"}},
		{"provider+state", engine.DeliveryFilter{Provider: "esimfly", State: engine.StateFailed}},
		{"endpoint+event", engine.DeliveryFilter{EndpointID: "ep3", Event: "roamify.order"}},
		{"provider+event+status", engine.DeliveryFilter{Provider: "esimaccess", Event: "esimaccess.usage", Status: status(200)}},
		{"provider+since+until", engine.DeliveryFilter{Provider: "esimfly", Since: at(0.2), Until: at(0.6)}},
		{"none-event", engine.DeliveryFilter{Event: "no.such.event"}},
		{"none-provider+event", engine.DeliveryFilter{Provider: "airalo", Event: "esimfly.order"}},
		{"none-provider+state", engine.DeliveryFilter{Provider: "airalo", State: engine.StateFailed}},
		{"none-status+endpoint", engine.DeliveryFilter{Status: status(400), EndpointID: "ep4"}},
		{"none-endpoint+state", engine.DeliveryFilter{EndpointID: "ep3", State: engine.StateExhausted}},
		{"none-q", engine.DeliveryFilter{Q: "no-such-id"}},
		{"none-run+provider", engine.DeliveryFilter{RunID: "run_3", Provider: "legacy"}},
		{"old-provider", engine.DeliveryFilter{Provider: "legacy"}},
		{"old-endpoint", engine.DeliveryFilter{EndpointID: "ep-old"}},
		{"old-event", engine.DeliveryFilter{Event: "legacy.event"}},
		{"old-status", engine.DeliveryFilter{Status: status(418)}},
		{"old-run", engine.DeliveryFilter{RunID: "run-old"}},
		{"old-q", engine.DeliveryFilter{Q: "OLD-17"}},
		{"old-provider+state", engine.DeliveryFilter{Provider: "legacy", State: engine.StateFailed}},
	}
}
