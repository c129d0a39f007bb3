package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
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
	err := s.withConn(ctx, func(p *pool, c *pgxpool.Conn) error {
		markDirty(c.Conn()) // until the call's own reset says otherwise
		defer cleanSession(ctx, c.Conn())
		var err error
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
	return collect(rows, q.MaxRows)
}

// collect reads at most maxRows rows (0: all) into a Result.
func collect(rows pgx.Rows, maxRows int) (*source.Result, error) {
	defer rows.Close()
	fields := rows.FieldDescriptions()
	res := &source.Result{Columns: columnNames(fields), Rows: [][]any{}}
	for rows.Next() {
		if maxRows > 0 && len(res.Rows) == maxRows {
			res.Truncated = true
			break
		}
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, convertRow(vals, fields))
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

func convertRow(vals []any, fields []pgconn.FieldDescription) []any {
	row := make([]any, len(vals))
	for i, v := range vals {
		oid := fields[i].DataTypeOID
		row[i] = pgValue(v, oid == pgtype.DateOID || oid == pgtype.DateArrayOID)
	}
	return row
}

// pgValue handles what pgx decodes to types that source.JSONValue cannot
// tell apart: a uuid is a [16]byte and a date a midnight time.Time.
func pgValue(v any, date bool) any {
	switch x := v.(type) {
	case [16]byte:
		return uuidString(x)
	case time.Time:
		if date {
			return x.Format(time.DateOnly)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pgValue(e, date)
		}
		return out
	}
	return source.JSONValue(v)
}

func uuidString(b [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:])
	return string(buf[:])
}
