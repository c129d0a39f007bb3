package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/source"
)

// Query runs q with its args bound as parameters and returns at most
// q.MaxRows rows (more are read from the server and discarded, and
// Truncated is set). Every call runs in its own transaction, READ ONLY with
// q.ReadOnly so that the server rejects any write, and leaves the session
// as it found it (see reset.go). Errors never repeat an argument's value.
// It honours ctx; a timeout returns an error wrapping
// context.DeadlineExceeded. Safe for concurrent use.
func (s *Source) Query(ctx context.Context, q source.Query) (*source.Result, error) {
	var res *source.Result
	err := s.withConn(ctx, func(p *pool, c *pgxpool.Conn) (err error) {
		markDirty(c.Conn()) // until the call's own reset says otherwise
		defer func() { cleanSession(ctx, c.Conn(), err) }()
		if q.ReadOnly {
			res, err = p.queryReadOnly(ctx, c, q)
		} else {
			res, err = p.queryReadWrite(ctx, c, q)
		}
		if err != nil {
			return s.queryError(ctx, p, hideArgs(err))
		}
		return nil
	})
	return res, err
}

// queryReadWrite runs q in its own transaction, pipelined with the session
// reset like a read-only call. A statement that cannot run in a
// transaction block (VACUUM, CREATE INDEX CONCURRENTLY, a procedure that
// commits) is refused by the server before it takes effect, or rolled back
// with the transaction, so it then runs again on its own; cleanSession
// resets the session after it.
func (p *pool) queryReadWrite(ctx context.Context, c *pgxpool.Conn, q source.Query) (*source.Result, error) {
	res, err := p.queryInTx(ctx, c, q, readWriteTx, readWriteReset)
	if !needsOwnTransaction(err) {
		return res, err
	}
	return query(ctx, c, q)
}

// needsOwnTransaction reports whether err is the server refusing to run a
// statement inside a transaction block: SQLSTATE 25001 (active SQL
// transaction) or 2D000 (invalid transaction termination, from a COMMIT in
// a procedure).
func needsOwnTransaction(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "25001" || pgErr.Code == "2D000")
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func query(ctx context.Context, db querier, q source.Query) (*source.Result, error) {
	rows, err := db.Query(ctx, q.SQL, q.Args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, q)
}

// collect reads rows into a Result until q's row or byte cap.
func collect(rows pgx.Rows, q source.Query) (*source.Result, error) {
	defer rows.Close()
	fields := rows.FieldDescriptions()
	res := &source.Result{Columns: columnNames(fields), Rows: [][]any{}}
	for rows.Next() && !res.Full(q) {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if !res.Add(convertRow(rows, vals, fields), q) {
			break
		}
	}
	rows.Close() // drains what is left of the result
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func columnNames(fields []pgconn.FieldDescription) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}
