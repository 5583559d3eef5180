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
// lists, maps and Chaos are JSON TEXT, bodies are BLOBs. The deliveries
// indexes end in (created_at, id), the list order, so that every filter of
// ListDeliveries reads one index in order; deliveries_due serves Pending.
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
