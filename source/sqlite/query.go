package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/hushmcp/hush/source"
)

// Query runs q with its args bound as parameters and returns at most
// q.MaxRows rows, setting Truncated when more existed. With q.ReadOnly it
// runs on the read-only pool, where SQLite rejects any write and the
// authorizer refuses ATTACH, VACUUM, pragmas that set, temporary tables and
// transactions (see readOnlyPolicy). It honours ctx: a timeout interrupts
// the statement and returns an error wrapping context.DeadlineExceeded.
// Safe for concurrent use.
func (s *Source) Query(ctx context.Context, q source.Query) (*source.Result, error) {
	l, err := s.live.Acquire()
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	defer l.Release()
	d := l.Value()
	run := queryReadWrite
	if q.ReadOnly {
		run = queryReadOnly
	}
	res, err := run(ctx, d, q)
	if err != nil {
		return nil, s.wrap(ctx, d, "query", err)
	}
	return res, nil
}

func queryReadWrite(ctx context.Context, d *dbs, q source.Query) (*source.Result, error) {
	rows, err := d.rw.QueryContext(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, q)
}

// queryReadOnly runs q on the read-only pool under readOnlyPolicy.
func queryReadOnly(ctx context.Context, d *dbs, q source.Query) (*source.Result, error) {
	c, err := readOnlyConn(ctx, d.ro)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rows, err := c.QueryContext(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, notAllowed(err)
	}
	return collect(rows, q)
}

// collect reads rows into a Result until q's row or byte cap. Stopping
// early costs nothing: closing the rows resets the statement.
func collect(rows *sql.Rows, q source.Query) (*source.Result, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &source.Result{Columns: cols, Rows: [][]any{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() && !res.Full(q) {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = source.JSONValue(v)
		}
		if !res.Add(row, q) {
			break
		}
	}
	return res, rows.Err()
}

// wrap names the operation and the source. A done ctx wins, so callers can
// test for context.DeadlineExceeded. As a last guard, text holding a value
// of the DSN's secrets is replaced.
func (s *Source) wrap(ctx context.Context, d *dbs, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s source %q: %w", op, s.spec.Name, ctxErr)
	}
	wrapped := fmt.Errorf("%s source %q: %w", op, s.spec.Name, withCode(err))
	if d.leaks(wrapped.Error()) {
		return fmt.Errorf("%s source %q: database error", op, s.spec.Name) // no chain: it holds the text
	}
	return wrapped
}

// leaks reports whether text holds a secret value. Very short values are
// not checked: they would match ordinary text.
func (d *dbs) leaks(text string) bool {
	for _, v := range d.secrets {
		if len(v) >= 4 && strings.Contains(text, v) {
			return true
		}
	}
	return false
}
