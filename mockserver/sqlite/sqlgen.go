package sqlite

import (
	"slices"
	"strings"
)

// Column lists, in the order the scan functions read them and the put
// functions bind them.
var (
	endpointColumns = []string{
		"id", "url", "provider", "variant", "secret", "events", "description",
		"headers", "chaos", "disabled", "source", "created_at", "updated_at", "probe_url",
	}
	deliveryColumns = []string{
		"id", "event_id", "endpoint_id", "provider", "variant", "event", "wire_id",
		"key", "body", "copy_of", "resend_of", "state", "attempts",
		"next_attempt_at", "chaos", "created_at", "updated_at", "run_id", "terms",
	}
	// summaryColumns hold the latest attempt's summary (AttemptSummary):
	// read with a delivery, written by AddAttempt only.
	summaryColumns = []string{"last_n", "last_status", "last_outcome", "last_latency_ns", "last_at", "last_error_kind"}
	// attemptColumns follow the delivery's id, which attempts hold as
	// delivery_seq, the delivery's seq.
	attemptColumns = []string{
		"n", "endpoint_id", "provider", "variant", "event",
		"started_at", "url", "request_headers", "request_body", "status",
		"response_headers", "response_body", "response_truncated", "latency_ns",
		"error_kind", "error", "success", "next_retry_at", "outcome",
	}

	endpointCols = strings.Join(endpointColumns, ", ")
	deliveryCols = strings.Join(deliveryColumns, ", ")
	// deliveryRead are the columns scanDelivery reads.
	deliveryRead = deliveryCols + ", " + strings.Join(summaryColumns, ", ")

	// deliveryFixed are the columns a delivery's change of state leaves as
	// they are: those the list indexes hold but the state, and the body,
	// the bulk of the row.
	// The terms (the last column) come from the body and the ids, which
	// are fixed too: the update leaves them out altogether.
	deliveryFixed = []string{"id", "provider", "variant", "event", "endpoint_id", "event_id", "wire_id", "created_at", "body", "run_id"}

	upsertEndpointSQL = upsertSQL("endpoints", endpointColumns, "id")
	insertDeliverySQL = "INSERT INTO deliveries (" + deliveryCols + ") VALUES (" + params(len(deliveryColumns)) + ") ON CONFLICT (id) DO NOTHING"
	upsertDeliverySQL = upsertSQL("deliveries", deliveryColumns, "id")
	upsertAttemptSQL  = upsertAttempt()

	// setSummarySQL records the latest attempt's summary in delivery ?7's
	// row.
	setSummarySQL = "UPDATE deliveries SET " + strings.Join(summaryColumns, " = ?, ") + " = ? WHERE id = ?"

	updateDeliverySQL, updateDeliveryArgs = updateSQL("deliveries", deliveryColumns[:len(deliveryColumns)-1], deliveryFixed)
	// updateAttemptSQL is updateDeliverySQL that also sets the latest
	// attempt's summary: AddAttempt's one write of the delivery's row,
	// whose arguments are deliveryArgs but the terms, then summaryArgs.
	updateAttemptSQL, updateAttemptArgs = updateSQL("deliveries",
		append(slices.Clip(deliveryColumns[:len(deliveryColumns)-1]), summaryColumns...), deliveryFixed)

	// keepAttemptBodiesSQL gives the attempts of delivery ?1 that share its
	// body (request_body NULL) a copy, before the body changes.
	keepAttemptBodiesSQL = "UPDATE attempts SET request_body = (SELECT body FROM deliveries WHERE id = ?1) WHERE delivery_seq = (SELECT seq FROM deliveries WHERE id = ?1) AND request_body IS NULL"

	// listAttemptsSQL reads the attempts of delivery ?, an attempt that
	// shares its delivery's body taking it from there.
	listAttemptsSQL = "SELECT d.id, " + attemptSelect() + " FROM deliveries d JOIN attempts a ON a.delivery_seq = d.seq WHERE d.id = ? ORDER BY a.n"
)

// params returns n comma-separated question marks.
func params(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// attemptSelect returns attemptColumns for listAttemptsSQL.
func attemptSelect() string {
	cols := make([]string, len(attemptColumns))
	for i, c := range attemptColumns {
		cols[i] = "a." + c
		if c == "request_body" {
			cols[i] = "coalesce(a.request_body, d.body)"
		}
	}
	return strings.Join(cols, ", ")
}

// upsertAttempt returns the upsert of an attempt: the delivery's id, then
// attemptColumns.
func upsertAttempt() string {
	q := upsertSQL("attempts", append([]string{"delivery_seq"}, attemptColumns...), "delivery_seq, n")
	return strings.Replace(q, "VALUES (?, ", "VALUES ((SELECT seq FROM deliveries WHERE id = ?), ", 1)
}

// upsertSQL returns an INSERT of cols into table that, on a conflict on key,
// updates the row in place. An update in place, unlike INSERT OR REPLACE,
// does not delete the row and so does not cascade to a delivery's attempts.
func upsertSQL(table string, cols []string, key string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (")
	b.WriteString(params(len(cols)))
	b.WriteString(") ON CONFLICT (" + key + ") DO UPDATE SET ")
	keys := strings.Split(key, ", ")
	first := true
	for _, c := range cols {
		if slices.Contains(keys, c) {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}

// updateSQL returns an UPDATE of table that sets every column of cols but
// those in fixed, where the fixed ones hold the values given: it changes a
// row only where an update need not touch the indexes on fixed columns.
// order maps the UPDATE's parameters to positions in cols.
func updateSQL(table string, cols, fixed []string) (query string, order []int) {
	var set, where []string
	var setOrder, whereOrder []int
	for i, c := range cols {
		if slices.Contains(fixed, c) {
			where = append(where, c+" = ?")
			whereOrder = append(whereOrder, i)
		} else {
			set = append(set, c+" = ?")
			setOrder = append(setOrder, i)
		}
	}
	query = "UPDATE " + table + " SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(where, " AND ")
	return query, append(setOrder, whereOrder...)
}

// reorder returns args[order[0]], args[order[1]], ...
func reorder(args []any, order []int) []any {
	out := make([]any, len(order))
	for i, j := range order {
		out[i] = args[j]
	}
	return out
}
