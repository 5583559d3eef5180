package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// PutEndpoint inserts e, or replaces the endpoint with e's id, secret
// included.
func (s *Store) PutEndpoint(ctx context.Context, e *engine.Endpoint) error {
	op := fmt.Sprintf("put endpoint %q", e.ID)
	args, err := endpointArgs(e)
	if err != nil {
		return s.fail(op, err)
	}
	err = s.write(ctx, func(c *wconn) error {
		_, err := c.exec(stPutEndpoint, args...)
		return err
	})
	s.epVer.Add(1)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// EndpointsVersion implements engine.EndpointVersioner: it grows with
// every PutEndpoint and DeleteEndpoint of this Store, once the write is
// on file (or has failed), so an engine on this Store reads endpoints again
// only after they change. Endpoints written by another process into the
// same file are not counted: one serve process owns its database.
func (s *Store) EndpointsVersion() uint64 { return s.epVer.Load() }

// GetEndpoint returns the endpoint with id, or an error wrapping
// engine.ErrNotFound.
func (s *Store) GetEndpoint(ctx context.Context, id string) (*engine.Endpoint, error) {
	e, err := scanEndpoint(s.getEndpoint.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = engine.ErrNotFound
	}
	if err != nil {
		return nil, s.fail(fmt.Sprintf("get endpoint %q", id), err)
	}
	s.noteEndpoint(e)
	return e, nil
}

// ListEndpoints returns every endpoint, oldest first.
func (s *Store) ListEndpoints(ctx context.Context) ([]*engine.Endpoint, error) {
	rows, err := s.listEndpoints.QueryContext(ctx)
	if err != nil {
		return nil, s.fail("list endpoints", err)
	}
	defer rows.Close()
	var list []*engine.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, s.fail("list endpoints", err)
		}
		s.noteEndpoint(e)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list endpoints", err)
	}
	return list, nil
}

// DeleteEndpoint deletes the endpoint with id, or returns an error wrapping
// engine.ErrNotFound. Its deliveries stay in the log.
func (s *Store) DeleteEndpoint(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete endpoint %q", id)
	var n int64
	err := s.write(ctx, func(c *wconn) error {
		var err error
		n, err = c.exec(stDeleteEndpoint, id)
		return err
	})
	s.epVer.Add(1)
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return s.fail(op, engine.ErrNotFound)
	}
	return nil
}

// endpointArgs returns e's values in endpointColumns order.
func endpointArgs(e *engine.Endpoint) ([]any, error) {
	events, err := encJSON(e.Events)
	if err != nil {
		return nil, err
	}
	headers, err := encJSON(e.Headers)
	if err != nil {
		return nil, err
	}
	chaos, err := encJSON(e.Chaos)
	if err != nil {
		return nil, err
	}
	created, err := encTime(e.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("created_at: %w", err)
	}
	updated, err := encTime(e.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("updated_at: %w", err)
	}
	return []any{
		e.ID, e.URL, e.Provider, e.Variant, e.Secret, events, e.Description,
		headers, chaos, boolInt(e.Disabled), e.Source, created, updated, e.ProbeURL,
	}, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanEndpoint reads a row of endpointColumns.
func scanEndpoint(r scanner) (*engine.Endpoint, error) {
	var (
		e                      engine.Endpoint
		events, headers, chaos string
		created, updated       int64
	)
	err := r.Scan(&e.ID, &e.URL, &e.Provider, &e.Variant, &e.Secret, &events, &e.Description,
		&headers, &chaos, &e.Disabled, &e.Source, &created, &updated, &e.ProbeURL)
	if err != nil {
		return nil, err
	}
	// A field that does not decode (damaged, or beyond today's bounds)
	// quarantines the endpoint rather than failing every read: it loads
	// disabled, with that field empty.
	var bad []string
	for _, f := range []struct {
		name, raw string
		v         any
	}{{"events", events, &e.Events}, {"headers", headers, &e.Headers}, {"chaos", chaos, &e.Chaos}} {
		if err := decJSON(f.raw, f.v); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", f.name, err))
		}
	}
	if len(bad) > 0 {
		e.Events, e.Headers, e.Chaos = nil, nil, engine.Chaos{}
		e.Disabled = true
		e.Quarantined = strings.Join(bad, "; ")
	}
	e.CreatedAt, e.UpdatedAt = decTime(created), decTime(updated)
	return &e, nil
}
