package postgres_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

// sqlState returns err's SQLSTATE, or "" when err holds no server error.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// backendPID returns the server process of the connection a read-only call
// runs on; with one connection in the pool, it changes only if the pool
// dropped the connection.
func backendPID(t *testing.T, s *postgres.Source) any {
	t.Helper()
	return mustQuery(t, s, source.Query{SQL: "SELECT pg_backend_pid()", ReadOnly: true}).Rows[0][0]
}

// TestReadOnlyRejectsWrites runs writes the role is allowed to make as
// read-only calls: PostgreSQL itself must reject each, nothing may change,
// and the connection must come back clean (same backend, no reconnect).
// Every write then succeeds read-write, proving it was a real write.
func TestReadOnlyRejectsWrites(t *testing.T) {
	e := newEnv(t)
	grant := fmt.Sprintf("GRANT UPDATE, DELETE ON items TO %s", pgx.Identifier{e.role}.Sanitize())
	if err := srv.Exec(testCtx(t), appDB, grant); err != nil {
		t.Fatal(err)
	}
	s := e.open(t, 1)
	probe := e.role + "-probe" // unique per run
	mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES ($1)", Args: []any{probe}})
	pid := backendPID(t, s)
	for _, tc := range []struct{ name, sql, code string }{
		{"insert", "INSERT INTO items (name) VALUES ($1)", "25006"},
		{"update", "UPDATE items SET name = $1 || '-x' WHERE name = $1", "25006"},
		{"delete", "DELETE FROM items WHERE name = $1", "25006"},
		{"cte insert returning", "WITH ins AS (INSERT INTO items (name) VALUES ($1) RETURNING id) SELECT id FROM ins", "25006"},
		{"nextval", "SELECT nextval('items_id_seq'), $1::text", "25006"},
		{"set_config read write", "SELECT set_config('transaction_read_only', 'off', false), $1::text", "25001"},
		{"set_config in a cte", "WITH c AS (SELECT set_config('transaction_read_only', 'off', true) AS v) " +
			"INSERT INTO items (name) SELECT $1 FROM c", "25006"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := source.Query{SQL: tc.sql, Args: []any{probe}, ReadOnly: true}
			if _, err := s.Query(testCtx(t), q); sqlState(err) != tc.code {
				t.Fatalf("read-only: got %v, want SQLSTATE %s", err, tc.code)
			}
			if n := probeRows(t, s, probe); n != 1 {
				t.Fatalf("read-only call changed the table: %d probe rows, want 1", n)
			}
			if got := backendPID(t, s); got != pid {
				t.Fatalf("the connection was replaced after a rejected write")
			}
			q.ReadOnly = false
			if _, err := s.Query(testCtx(t), q); err != nil {
				t.Fatalf("read-write: %v", err)
			}
			resetProbe(t, s, probe)
		})
	}
}

// probeRows counts the rows named probe.
func probeRows(t *testing.T, s *postgres.Source, probe string) int64 {
	t.Helper()
	res := mustQuery(t, s, source.Query{SQL: "SELECT count(*) FROM items WHERE name = $1", Args: []any{probe}, ReadOnly: true})
	return res.Rows[0][0].(int64)
}

// resetProbe leaves exactly one row named probe after a read-write case.
func resetProbe(t *testing.T, s *postgres.Source, probe string) {
	t.Helper()
	mustQuery(t, s, source.Query{SQL: "DELETE FROM items WHERE name LIKE $1 || '%'", Args: []any{probe}})
	mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES ($1)", Args: []any{probe}})
}

// TestReadOnlySurvivesSessionTricks turns the session's default
// transaction mode to read-write on the only connection, as a read-only
// call may: later read-only calls on that connection must still be
// read-only, because each begins its own READ ONLY transaction.
func TestReadOnlySurvivesSessionTricks(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 1)
	for _, stmt := range []string{
		"SELECT set_config('default_transaction_read_only', 'off', false)",
		"SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
		"SET TRANSACTION READ WRITE",
	} {
		if _, err := s.Query(testCtx(t), source.Query{SQL: stmt, ReadOnly: true}); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	res := mustQuery(t, s, source.Query{SQL: "SELECT current_setting('default_transaction_read_only')", ReadOnly: true})
	if res.Rows[0][0] != "off" {
		t.Fatalf("session default is %v; the trick did not take, so the test proves nothing", res.Rows[0][0])
	}
	_, err := s.Query(testCtx(t), source.Query{SQL: "INSERT INTO items (name) VALUES ($1)", Args: []any{e.role}, ReadOnly: true})
	if sqlState(err) != "25006" {
		t.Fatalf("insert after the trick: got %v, want SQLSTATE 25006", err)
	}
	if n := probeRows(t, s, e.role); n != 0 {
		t.Fatalf("insert after the trick wrote %d rows", n)
	}
}

// TestReadOnlyErrorsMatchReadWrite checks that a failing statement reports
// the same error in both modes, whether it fails at prepare (syntax), at
// argument encoding (client side: pgx refuses these before sending) or at
// execution, and that a read-only failure does not cost the connection.
func TestReadOnlyErrorsMatchReadWrite(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 1)
	pid := backendPID(t, s)
	for _, q := range []source.Query{
		{SQL: "SELEC 1"},
		{SQL: "SELECT $1::int4", Args: []any{struct{ X chan int }{}}},
		{SQL: "SELECT $1::int2", Args: []any{int64(70000)}},
		{SQL: "SELECT $1::int4, $2::int4", Args: []any{int64(1)}},
		{SQL: "SELECT 1 / $1::int4", Args: []any{int64(0)}},
		{SQL: "SELECT g / (g - 3) FROM generate_series(1, 5) g", MaxRows: 1},
	} {
		rw := q
		_, rwErr := s.Query(testCtx(t), rw)
		q.ReadOnly = true
		_, roErr := s.Query(testCtx(t), q)
		if rwErr == nil || roErr == nil || rwErr.Error() != roErr.Error() {
			t.Errorf("%s: read-write error %v, read-only error %v; want the same error", q.SQL, rwErr, roErr)
		}
		if got := backendPID(t, s); got != pid {
			t.Fatalf("%s: the connection was replaced after a read-only error", q.SQL)
		}
	}
}
