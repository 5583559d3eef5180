package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] takes the schema from version i to version i+1; the
// version is the database's user_version pragma. A later release appends to
// this list and never edits an entry that has shipped.
//
// Times are INTEGER Unix nanoseconds (the zero time is the smallest int64),
// lists, maps and Chaos are JSON TEXT, bodies are BLOBs. Every filter of
// ListDeliveries reads one index in the list order, (created_at, id):
// deliveries_endpoint and deliveries_event_id, which end in it, or
// deliveries_created, which starts with it and holds the other filtered
// columns. deliveries_due serves Pending.
var migrations = [...]string{
	// 1: endpoints, deliveries, attempts.
	`
CREATE TABLE endpoints (
	id          TEXT PRIMARY KEY,
	url         TEXT NOT NULL,
	provider    TEXT NOT NULL,
	variant     TEXT NOT NULL,
	secret      TEXT NOT NULL,
	events      TEXT NOT NULL,
	description TEXT NOT NULL,
	headers     TEXT NOT NULL,
	chaos       TEXT NOT NULL,
	disabled    INTEGER NOT NULL,
	source      TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE deliveries (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	event_id        TEXT NOT NULL,
	endpoint_id     TEXT NOT NULL,
	provider        TEXT NOT NULL,
	variant         TEXT NOT NULL,
	event           TEXT NOT NULL,
	wire_id         TEXT NOT NULL,
	key             TEXT NOT NULL,
	body            BLOB NOT NULL,
	copy_of         TEXT NOT NULL,
	resend_of       TEXT NOT NULL,
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	chaos           TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX deliveries_created  ON deliveries (created_at, id);
CREATE INDEX deliveries_provider ON deliveries (provider, created_at, id);
CREATE INDEX deliveries_event    ON deliveries (event, created_at, id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at, id);
CREATE INDEX deliveries_state    ON deliveries (state, created_at, id);
CREATE INDEX deliveries_event_id ON deliveries (event_id, created_at, id);
CREATE INDEX deliveries_due      ON deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE attempts (
	delivery_id        TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	n                  INTEGER NOT NULL,
	endpoint_id        TEXT NOT NULL,
	provider           TEXT NOT NULL,
	variant            TEXT NOT NULL,
	event              TEXT NOT NULL,
	started_at         INTEGER NOT NULL,
	url                TEXT NOT NULL,
	request_headers    TEXT NOT NULL,
	request_body       BLOB, -- NULL: the same as the delivery's body
	status             INTEGER NOT NULL,
	response_headers   TEXT NOT NULL,
	response_body      BLOB NOT NULL,
	response_truncated INTEGER NOT NULL,
	latency_ns         INTEGER NOT NULL,
	error_kind         TEXT NOT NULL,
	error              TEXT NOT NULL,
	success            INTEGER NOT NULL,
	next_retry_at      INTEGER NOT NULL,
	outcome            TEXT NOT NULL,
	PRIMARY KEY (delivery_id, n)
) STRICT;
`,
	// 2: cheaper writes. Every index is a B-tree that a write updates and
	// whose changed page the commit appends to the WAL. Attempts are keyed
	// by their delivery's seq, in the order deliveries are put, rather
	// than by its id, which is random: an attempt's insert changes a page
	// that the commit changes anyway, where the index on the id changed a
	// page of its own; WITHOUT ROWID, the key is the table, with no index
	// beside it. The provider, event and state indexes give way to
	// deliveries_created carrying those columns, so that a list filtered
	// on them scans that index alone, newest first, and reads only the
	// rows it returns.
	`
DROP INDEX deliveries_provider;
DROP INDEX deliveries_event;
DROP INDEX deliveries_state;
DROP INDEX deliveries_created;
CREATE INDEX deliveries_created ON deliveries (created_at, id, provider, event, state);

CREATE TABLE attempts_v2 (
	delivery_seq       INTEGER NOT NULL REFERENCES deliveries (seq) ON DELETE CASCADE,
	n                  INTEGER NOT NULL,
	endpoint_id        TEXT NOT NULL,
	provider           TEXT NOT NULL,
	variant            TEXT NOT NULL,
	event              TEXT NOT NULL,
	started_at         INTEGER NOT NULL,
	url                TEXT NOT NULL,
	request_headers    TEXT NOT NULL,
	status             INTEGER NOT NULL,
	response_headers   TEXT NOT NULL,
	response_truncated INTEGER NOT NULL,
	latency_ns         INTEGER NOT NULL,
	error_kind         TEXT NOT NULL,
	error              TEXT NOT NULL,
	success            INTEGER NOT NULL,
	next_retry_at      INTEGER NOT NULL,
	outcome            TEXT NOT NULL,
	request_body       BLOB, -- NULL: the same as the delivery's body
	response_body      BLOB NOT NULL,
	PRIMARY KEY (delivery_seq, n)
) STRICT, WITHOUT ROWID;

INSERT INTO attempts_v2 (delivery_seq, n, endpoint_id, provider, variant, event, started_at, url,
	request_headers, status, response_headers, response_truncated, latency_ns, error_kind, error,
	success, next_retry_at, outcome, request_body, response_body)
SELECT d.seq, a.n, a.endpoint_id, a.provider, a.variant, a.event, a.started_at, a.url,
	a.request_headers, a.status, a.response_headers, a.response_truncated, a.latency_ns, a.error_kind, a.error,
	a.success, a.next_retry_at, a.outcome, a.request_body, a.response_body
FROM attempts a JOIN deliveries d ON d.id = a.delivery_id;

DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
`,
	// 3: search, and scenario runs. Scenario runs tag their deliveries
	// (run_id); an endpoint may carry its probe URL (probe_url, '' for none); the latest
	// attempt's summary lives in the delivery's row (last_*, written by
	// AddAttempt), so a list needs no query per row; last_status NULL:
	// no attempt yet. Each filter has an index that leads with it, then
	// the list order (created_at, id), so that a filter matching few or
	// only old rows reads only those: provider, provider and variant
	// (partial: the default variant is ''), event, state, last_status,
	// run_id (partial: most deliveries have none). Combined with another
	// filter, the store reads the most selective one's index (listPlan);
	// the state and status indexes go on with provider, event and
	// endpoint, which it then tests in the index, before it reads a row,
	// so that a rare state or status combined with a filter it never
	// meets costs the state's entries, not as many row reads. (Each
	// index costs every insert, so the others stay narrow.) Only the
	// state and status indexes hold columns an attempt changes.
	// delivery_facets holds each combination of provider, variant, event
	// and endpoint that a delivery has had (never removed: it only says
	// which combinations may match; the triggers insert with NOT EXISTS,
	// as an outer upsert would turn their OR IGNORE into an abort), so that a combined filter no delivery
	// matches is answered without reading the indexes. terms is
	// the JSON array of the ids a body holds (engine.SearchTerms, but
	// the id and event id, which have their own indexes), and
	// delivery_terms indexes them in the list order; triggers keep it in
	// step with the deliveries, whoever inserts, replaces or deletes them.
	// Rows written before this version get their terms by the same rules,
	// in SQL.
	`
ALTER TABLE deliveries ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN probe_url TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN terms TEXT NOT NULL DEFAULT '[]';
ALTER TABLE deliveries ADD COLUMN last_n INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN last_status INTEGER;
ALTER TABLE deliveries ADD COLUMN last_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN last_latency_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN last_at INTEGER NOT NULL DEFAULT -9223372036854775808;
ALTER TABLE deliveries ADD COLUMN last_error_kind TEXT NOT NULL DEFAULT '';

UPDATE deliveries SET (last_n, last_status, last_outcome, last_latency_ns, last_at, last_error_kind) =
	(SELECT n, status, outcome, latency_ns, started_at, error_kind FROM attempts
		WHERE delivery_seq = deliveries.seq ORDER BY n DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM attempts WHERE delivery_seq = deliveries.seq);

UPDATE deliveries SET terms = coalesce((
	SELECT json_group_array(v) FROM (
		SELECT deliveries.wire_id AS v
		WHERE deliveries.wire_id NOT IN ('', deliveries.id, deliveries.event_id) AND length(deliveries.wire_id) <= 128
		UNION
		SELECT CAST(t.value AS TEXT) FROM json_tree(iif(json_valid(CAST(deliveries.body AS TEXT)), CAST(deliveries.body AS TEXT), '{}')) t
		WHERE t.type IN ('text', 'integer') AND length(t.value) <= 128
			AND CAST(t.value AS TEXT) NOT IN ('', deliveries.id, deliveries.event_id)
			AND (lower(replace(replace(t.key, '_', ''), '-', '')) IN ('iccid', 'eid', 'esimid', 'esimtranno',
					'orderid', 'orderno', 'ordercode', 'ordernumber', 'orderreference', 'referenceid',
					'transactionid', 'requestid', 'simid', 'topupid', 'subscriptionid')
				OR (length(t.value) BETWEEN 18 AND 22 AND CAST(t.value AS TEXT) NOT GLOB '*[^0-9]*')))), '[]')
WHERE json_valid(CAST(body AS TEXT)) OR wire_id NOT IN ('', id, event_id);

CREATE TABLE delivery_terms (
	term       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	id         TEXT NOT NULL,
	PRIMARY KEY (term, created_at, id)
) STRICT, WITHOUT ROWID;

INSERT OR IGNORE INTO delivery_terms (term, created_at, id)
SELECT j.value, d.created_at, d.id FROM deliveries d, json_each(d.terms) j;

CREATE TRIGGER deliveries_terms_insert AFTER INSERT ON deliveries WHEN new.terms != '[]' BEGIN
	INSERT OR IGNORE INTO delivery_terms (term, created_at, id)
	SELECT value, new.created_at, new.id FROM json_each(new.terms);
END;
CREATE TRIGGER deliveries_terms_delete AFTER DELETE ON deliveries WHEN old.terms != '[]' BEGIN
	DELETE FROM delivery_terms
	WHERE term IN (SELECT value FROM json_each(old.terms)) AND created_at = old.created_at AND id = old.id;
END;
CREATE TRIGGER deliveries_terms_update AFTER UPDATE OF terms, created_at, id ON deliveries BEGIN
	DELETE FROM delivery_terms
	WHERE term IN (SELECT value FROM json_each(old.terms)) AND created_at = old.created_at AND id = old.id;
	INSERT OR IGNORE INTO delivery_terms (term, created_at, id)
	SELECT value, new.created_at, new.id FROM json_each(new.terms);
END;

CREATE INDEX deliveries_provider ON deliveries (provider, created_at, id);
CREATE INDEX deliveries_variant  ON deliveries (provider, variant, created_at, id) WHERE variant != '';
CREATE INDEX deliveries_event    ON deliveries (event, created_at, id);
CREATE INDEX deliveries_state    ON deliveries (state, created_at, id, provider, event, endpoint_id);
CREATE INDEX deliveries_status   ON deliveries (last_status, created_at, id, provider, event, endpoint_id)
	WHERE last_status IS NOT NULL;
CREATE INDEX deliveries_run      ON deliveries (run_id, created_at, id) WHERE run_id != '';

CREATE TABLE delivery_facets (
	provider    TEXT NOT NULL,
	variant     TEXT NOT NULL,
	event       TEXT NOT NULL,
	endpoint_id TEXT NOT NULL,
	PRIMARY KEY (provider, variant, event, endpoint_id)
) STRICT, WITHOUT ROWID;
INSERT INTO delivery_facets SELECT DISTINCT provider, variant, event, endpoint_id FROM deliveries;
CREATE TRIGGER deliveries_facets_insert AFTER INSERT ON deliveries BEGIN
	INSERT INTO delivery_facets SELECT new.provider, new.variant, new.event, new.endpoint_id
	WHERE NOT EXISTS (SELECT 1 FROM delivery_facets WHERE provider = new.provider AND variant = new.variant
		AND event = new.event AND endpoint_id = new.endpoint_id);
END;
CREATE TRIGGER deliveries_facets_update AFTER UPDATE OF provider, variant, event, endpoint_id ON deliveries BEGIN
	INSERT INTO delivery_facets SELECT new.provider, new.variant, new.event, new.endpoint_id
	WHERE NOT EXISTS (SELECT 1 FROM delivery_facets WHERE provider = new.provider AND variant = new.variant
		AND event = new.event AND endpoint_id = new.endpoint_id);
END;
`,
	// 4: cheaper writes again. The writer keeps delivery_terms and
	// delivery_facets itself, rather than triggers: a trigger parsed the
	// terms' JSON back (json_each) and looked the facet up (NOT EXISTS)
	// on every insert, where the writer holds the terms as a list and the
	// facets in memory, and inserts a facet only when it is new. A pruned
	// delivery's terms are no longer deleted with it: each is a random
	// page of delivery_terms, which the prune rewrote one term at a time;
	// a term search joins on the delivery's id and creation time, so the
	// ones left behind match nothing, and Prune sweeps them out in chunks,
	// in key order, once as many deliveries have gone as the log holds
	// (sweepTerms). Only dropping triggers: instant at any size.
	`
DROP TRIGGER deliveries_terms_insert;
DROP TRIGGER deliveries_terms_delete;
DROP TRIGGER deliveries_terms_update;
DROP TRIGGER deliveries_facets_insert;
DROP TRIGGER deliveries_facets_update;
`,
}

// SchemaVersion is the schema version this package writes: the database's
// user_version after Open.
const SchemaVersion = len(migrations)

// migrate brings the schema up to SchemaVersion, one transaction per step,
// and refuses a database written by a newer release.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		done, err := migrateStep(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next migration, if any, and reports whether the
// schema was already current. It reads the version inside the (immediate)
// transaction, so two processes opening a new file at once migrate it once.
func migrateStep(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, err
	}
	switch {
	case v > SchemaVersion:
		return false, fmt.Errorf("schema version %d is newer than this build understands (%d)", v, SchemaVersion)
	case v == SchemaVersion:
		return true, tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrate schema to version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migrate schema to version %d: %w", v+1, err)
	}
	return false, tx.Commit()
}
