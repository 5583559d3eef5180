package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// stmtID names one of the writer's prepared statements.
type stmtID int

// The writer's statements, in the order of writeSQL.
const (
	stPutEndpoint stmtID = iota
	stDeleteEndpoint
	stInsertDelivery
	stUpdateDelivery
	stUpsertDelivery
	stKeepAttemptBodies
	stPutAttempt
	numStmts
)

// writeSQL holds the text of each stmtID.
var writeSQL = [numStmts]string{
	stPutEndpoint:       upsertEndpointSQL,
	stDeleteEndpoint:    `DELETE FROM endpoints WHERE id = ?`,
	stInsertDelivery:    insertDeliverySQL,
	stUpdateDelivery:    updateDeliverySQL,
	stUpsertDelivery:    upsertDeliverySQL,
	stKeepAttemptBodies: keepAttemptBodiesSQL,
	stPutAttempt:        upsertAttemptSQL,
}

// wconn is the writer goroutine's connection to the database: a connection
// of the driver's own, outside database/sql's pool, with every write
// statement prepared once. It spares each write what database/sql adds to
// a statement (a Stmt per transaction, locks, argument conversion), which
// cost as much as a third of the write. Only the writer goroutine uses it.
type wconn struct {
	conn  driver.Conn
	stmts [numStmts]driver.StmtExecContext
	args  []driver.NamedValue // exec's arguments, reused
}

// openWconn opens a connection through drv with dsn and prepares the write
// statements.
func openWconn(drv driver.Driver, dsn string) (*wconn, error) {
	conn, err := drv.Open(dsn)
	if err != nil {
		return nil, err
	}
	c := &wconn{conn: conn}
	for id, q := range writeSQL {
		st, err := conn.Prepare(q)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare %q: %w", q, err), c.close())
		}
		sec, ok := st.(driver.StmtExecContext)
		if !ok {
			return nil, errors.Join(fmt.Errorf("prepare %q: the driver's statement lacks ExecContext", q), st.Close(), c.close())
		}
		c.stmts[id] = sec
	}
	return c, nil
}

// exec runs statement id with args, which must be driver.Values (int64,
// not int), and returns the number of rows it changed.
func (c *wconn) exec(id stmtID, args ...any) (int64, error) {
	c.args = c.args[:0]
	for i, v := range args {
		c.args = append(c.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	res, err := c.stmts[id].ExecContext(context.Background(), c.args)
	clear(c.args) // drop the references to the values
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// inTx runs fn in a transaction and commits it; if fn fails, it rolls the
// transaction back and returns fn's error.
func (c *wconn) inTx(fn func(c *wconn) error) error {
	tx, err := c.conn.(driver.ConnBeginTx).BeginTx(context.Background(), driver.TxOptions{})
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// close closes the statements, then the connection.
func (c *wconn) close() error {
	var errs []error
	for i, st := range c.stmts {
		if st != nil {
			errs = append(errs, st.(driver.Stmt).Close())
			c.stmts[i] = nil
		}
	}
	return errors.Join(append(errs, c.conn.Close())...)
}
