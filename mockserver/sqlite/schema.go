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
	// 3: the scenario run that sent a delivery ('' for none), and an
	// endpoint's probe URL ('' for none). (Merge note: the search work's
	// migration 3 adds run_id with its other columns; the two become one
	// entry.)
	`
ALTER TABLE deliveries ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN probe_url TEXT NOT NULL DEFAULT '';
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
