package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// AddAttempt records attempt a and d, the state of a's delivery after it, in
// one transaction: when it returns nil both are on file, and a crash at any
// point leaves either both or neither. d is stored whole (as PutDelivery
// would); recording attempt n again replaces it.
func (s *Store) AddAttempt(ctx context.Context, a *engine.Attempt, d *engine.Delivery) error {
	run, err := s.addAttemptWrite(a, d)
	if err == nil {
		err = s.write(ctx, run)
	}
	if err != nil {
		return s.fail(fmt.Sprintf("add attempt %d of delivery %q", a.N, a.DeliveryID), err)
	}
	return nil
}

// addAttemptWrite returns the write of AddAttempt(a, d), for the writer.
func (s *Store) addAttemptWrite(a *engine.Attempt, d *engine.Delivery) (func(c *wconn) error, error) {
	if d == nil || d.ID != a.DeliveryID {
		return nil, errors.New("the delivery passed is not the attempt's")
	}
	dargs, err := deliveryArgs(d)
	if err != nil {
		return nil, err
	}
	aargs, err := attemptArgs(a, d)
	if err != nil {
		return nil, err
	}
	sargs, err := summaryArgs(a)
	if err != nil {
		return nil, err
	}
	// The usual case, a delivery stored already whose state the attempt
	// changes, is one update of its row, summary included.
	uargs := reorder(append(slices.Clip(dargs[:termsArg]), sargs...), updateAttemptArgs)
	sargs = append(sargs, d.ID)
	dc := *d // the fields the terms come from, as they are now
	return func(c *wconn) error {
		n, err := c.exec(stUpdateAttempt, uargs...)
		if err != nil {
			return err
		}
		if n == 0 {
			// Not stored yet, or changed beyond its state: stored whole,
			// then summarised. Only this reads the body for its terms.
			if err := saveDelivery(c, dargs, false, &deliveryTerms{d: &dc}); err != nil {
				return err
			}
			if _, err := c.exec(stSetSummary, sargs...); err != nil {
				return err
			}
		}
		return putAttempt(c, aargs)
	}, nil
}

// ListAttempts returns the attempts of delivery deliveryID in order, or an
// error wrapping engine.ErrNotFound if there is no such delivery.
func (s *Store) ListAttempts(ctx context.Context, deliveryID string) (list []*engine.Attempt, err error) {
	op := fmt.Sprintf("list attempts of delivery %q", deliveryID)
	// Read the attempts and check the delivery in one snapshot.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.StmtContext(ctx, s.listAttempts).QueryContext(ctx, deliveryID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttempt(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	if len(list) == 0 {
		err := tx.StmtContext(ctx, s.deliveryCursor).QueryRowContext(ctx, deliveryID).Scan(new(int64))
		if errors.Is(err, sql.ErrNoRows) {
			err = engine.ErrNotFound
		}
		if err != nil {
			return nil, s.fail(op, err)
		}
	}
	return list, nil
}

// attemptArgs returns a's delivery id, then its values in attemptColumns
// order. A request body
// that is d's body, as it is, is stored once: with d.
func attemptArgs(a *engine.Attempt, d *engine.Delivery) ([]any, error) {
	reqHeaders, err := encJSON(a.RequestHeaders)
	if err != nil {
		return nil, err
	}
	respHeaders, err := encJSON(a.ResponseHeaders)
	if err != nil {
		return nil, err
	}
	started, err := encTime(a.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("started_at: %w", err)
	}
	next, err := encTime(a.NextRetryAt)
	if err != nil {
		return nil, fmt.Errorf("next_retry_at: %w", err)
	}
	var reqBody []byte // NULL
	if !bytes.Equal(a.RequestBody, d.Body) {
		reqBody = blob(a.RequestBody)
	}
	return []any{
		a.DeliveryID, int64(a.N), a.EndpointID, a.Provider, a.Variant, a.Event,
		started, a.URL, reqHeaders, reqBody, int64(a.Status),
		respHeaders, blob(a.ResponseBody), boolInt(a.ResponseTruncated), int64(a.Latency),
		a.ErrorKind, a.Error, boolInt(a.Success), next, a.Outcome,
	}, nil
}

// scanAttempt reads a row of listAttemptsSQL: the delivery id, then
// attemptColumns.
func scanAttempt(r scanner) (*engine.Attempt, error) {
	var (
		a                       engine.Attempt
		reqHeaders, respHeaders string
		started, latency, next  int64
	)
	err := r.Scan(&a.DeliveryID, &a.N, &a.EndpointID, &a.Provider, &a.Variant, &a.Event,
		&started, &a.URL, &reqHeaders, &a.RequestBody, &a.Status,
		&respHeaders, &a.ResponseBody, &a.ResponseTruncated, &latency,
		&a.ErrorKind, &a.Error, &a.Success, &next, &a.Outcome)
	if err != nil {
		return nil, err
	}
	if err := decJSON(reqHeaders, &a.RequestHeaders); err != nil {
		return nil, fmt.Errorf("attempt %d: request headers: %w", a.N, err)
	}
	if err := decJSON(respHeaders, &a.ResponseHeaders); err != nil {
		return nil, fmt.Errorf("attempt %d: response headers: %w", a.N, err)
	}
	a.StartedAt, a.NextRetryAt, a.Latency = decTime(started), decTime(next), time.Duration(latency)
	return &a, nil
}
