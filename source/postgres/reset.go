package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A statement can change its session for every later call on the same
// pooled connection, even in a READ ONLY transaction: set_config(...,
// false) and SET SESSION (statement_timeout, search_path,
// application_name...), SET ROLE, session advisory locks, cursors WITH HOLD,
// LISTEN and PREPARE; read-write calls can add temporary tables and
// sequence state. So every connection goes back to the pool clean.
//
// DISCARD ALL would do it, but it cannot run in a pipeline or a
// transaction, and it drops pgx's cached prepared statements, so the next
// call would prepare again: a second round trip. Instead every call runs in
// its own transaction, pipelined with a reset and COMMIT: one round trip,
// and the reset commits with the call. Calls that end otherwise (an error,
// a statement that cannot run in a transaction block, SQL prepared
// statements left behind) leave the connection marked dirty, and
// cleanSession runs sessionReset before the connection returns to the
// pool; if that fails, the connection is closed.
//
// The pool's AfterRelease hook was measured and rejected: pgxpool then
// hands every released connection to a new goroutine, which alone made
// serial calls about twice as slow on a busy machine.

// readOnlyReset ends a read-only call's transaction. Names are qualified
// with pg_catalog, so that no function of the same name on a search_path the
// call changed stands in for them; RESET ALL leaves the role alone, so SET
// SESSION AUTHORIZATION DEFAULT resets it. The
// last statement reports whether SQL prepared statements are left, which
// only sessionReset deallocates, by name.
var readOnlyReset = []string{
	"CLOSE ALL",
	"SET SESSION AUTHORIZATION DEFAULT",
	"RESET ALL",
	"UNLISTEN *",
	"SELECT pg_catalog.pg_advisory_unlock_all(), EXISTS (SELECT FROM pg_catalog.pg_prepared_statements WHERE from_sql)",
}

// readWriteReset also drops temporary tables and sequence state, which a
// read-only transaction cannot create; it ends like readOnlyReset.
var readWriteReset = append([]string{"DISCARD TEMP", "DISCARD SEQUENCES"}, readOnlyReset...)

// sessionReset is the full reset, sent as one simple-protocol message (no
// prepared statement of its own, which a DEALLOCATE ALL could have
// dropped). Its last statement lists SQL prepared statements.
const sessionReset = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; " +
	"DISCARD TEMP; DISCARD SEQUENCES; SELECT pg_catalog.pg_advisory_unlock_all(); " +
	"SELECT name FROM pg_catalog.pg_prepared_statements WHERE from_sql"

// resetTimeout bounds sessionReset, which may run after the call's
// context ended.
const resetTimeout = 5 * time.Second

// dirtyKey marks, in a connection's CustomData, that a call may have
// changed its session since the last reset.
const dirtyKey = "hush.dirty"

func markDirty(c *pgx.Conn) { c.PgConn().CustomData()[dirtyKey] = true }
func markClean(c *pgx.Conn) { delete(c.PgConn().CustomData(), dirtyKey) }

func isDirty(c *pgx.Conn) bool {
	dirty, _ := c.PgConn().CustomData()[dirtyKey].(bool)
	return dirty
}

// queueReset appends stmts, one of the reset lists, to a call's batch.
func queueReset(b *pgx.Batch, stmts []string) {
	for _, stmt := range stmts {
		b.Queue(stmt)
	}
}

// readReset reads the results of stmts and reports whether the session is
// clean.
func readReset(br pgx.BatchResults, stmts []string) (clean bool, err error) {
	for range len(stmts) - 1 {
		if _, err := br.Exec(); err != nil {
			return false, err
		}
	}
	var prepared bool
	if err := br.QueryRow().Scan(nil, &prepared); err != nil {
		return false, err
	}
	return !prepared, nil
}

// cleanSession resets c's session if a call left it dirty. callErr is the
// call's error: SQLSTATE 26000 means a prepared statement pgx cached is gone
// (the call ran DEALLOCATE), so pgx's cache is dropped with the server's
// statements, or every later statement would fail once. A connection whose
// reset fails is closed, so that the pool drops it on release.
func cleanSession(ctx context.Context, c *pgx.Conn, callErr error) {
	if !isDirty(c) || c.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resetTimeout)
	defer cancel()
	err := reset(ctx, c.PgConn())
	if err == nil && sqlState(callErr) == "26000" {
		err = c.DeallocateAll(ctx)
	}
	if err != nil {
		_ = c.Close(ctx)
		return
	}
	markClean(c)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// reset runs sessionReset, then deallocates the SQL prepared statements
// it found (a second round trip, only when there are any).
func reset(ctx context.Context, pc *pgconn.PgConn) error {
	results, err := pc.Exec(ctx, sessionReset).ReadAll()
	if err != nil {
		return err
	}
	var stmts []string
	for _, row := range results[len(results)-1].Rows {
		stmts = append(stmts, "DEALLOCATE "+pgx.Identifier{string(row[0])}.Sanitize())
	}
	if len(stmts) == 0 {
		return nil
	}
	_, err = pc.Exec(ctx, strings.Join(stmts, "; ")).ReadAll()
	return err
}
