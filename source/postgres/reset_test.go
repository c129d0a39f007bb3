package postgres_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

// sessionState shows what a call can leave on its session. Names are
// qualified: a leaked search_path must not break the probe itself.
const sessionState = `SELECT pg_catalog.current_setting('statement_timeout'),
	pg_catalog.current_setting('search_path'),
	pg_catalog.current_setting('application_name'),
	pg_catalog.current_setting('DateStyle'),
	current_user,
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class WHERE relnamespace = pg_catalog.pg_my_temp_schema()),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_prepared_statements WHERE from_sql),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_listening_channels()),
	(SELECT pg_catalog.count(*) FROM pg_catalog.pg_cursors WHERE is_holdable),
	pg_catalog.pg_backend_pid()`

// TestSessionStateDoesNotLeak changes the session in every way a call can,
// on a pool of one connection, then checks that the next calls, read-only
// and read-write, see the session as it was, on the same connection (a
// reconnect would hide a missing reset, and cost a login).
func TestSessionStateDoesNotLeak(t *testing.T) {
	e := newEnv(t)
	other := pgx.Identifier{e.role + "_other"}.Sanitize()
	grant := fmt.Sprintf("CREATE ROLE %s; GRANT %[1]s TO %s", other, pgx.Identifier{e.role}.Sanitize())
	if err := srv.Exec(testCtx(t), appDB, grant); err != nil {
		t.Fatal(err)
	}
	s := e.open(t, 1)
	before := state(t, s, true)
	for _, tc := range []struct {
		sql      string
		readOnly []bool // the modes in which the statement can run
		fails    bool   // after changing the session
	}{
		{"SELECT set_config('statement_timeout', '1', false)", both, false},
		{"SELECT set_config('search_path', 'pg_catalog', false)", both, false},
		{"SELECT set_config('application_name', 'leaked-name', false)", both, false},
		{"SET DateStyle = 'SQL, DMY'", both, false},
		{"SET ROLE " + other, both, false},
		{"SELECT pg_advisory_lock(4242)", both, false},
		{"PREPARE leaked_stmt AS SELECT 1", both, false},
		{"LISTEN leaked_channel", both, false},
		{"DECLARE leaked_cursor CURSOR WITH HOLD FOR SELECT 1", both, false},
		{"CREATE TEMP TABLE leaked_table AS SELECT 1 AS x", []bool{false}, false},
		{"SELECT pg_advisory_lock(4243), 1 / (g - 1) FROM generate_series(1, 1) g", both, true},
	} {
		for _, ro := range tc.readOnly {
			if _, err := s.Query(testCtx(t), source.Query{SQL: tc.sql, ReadOnly: ro}); (err != nil) != tc.fails {
				t.Fatalf("%s (read-only %t): got error %v, want an error: %t", tc.sql, ro, err, tc.fails)
			}
			for _, next := range both {
				if got := state(t, s, next); !reflect.DeepEqual(got, before) {
					t.Errorf("after %s (read-only %t), a read-only %t call sees %v, want %v", tc.sql, ro, next, got, before)
				}
			}
		}
	}
}

var both = []bool{true, false}

func state(t *testing.T, s *postgres.Source, readOnly bool) []any {
	t.Helper()
	res, err := s.Query(testCtx(t), source.Query{SQL: sessionState, ReadOnly: readOnly})
	if err != nil {
		t.Fatalf("session state (read-only %t): %v", readOnly, err)
	}
	return res.Rows[0]
}

// TestStatementsThatCannotRunInATransaction runs, read-write, statements
// the server refuses inside a transaction block: each must succeed once
// (the refused attempt is rolled back) and leave the session clean.
func TestStatementsThatCannotRunInATransaction(t *testing.T) {
	e := newEnv(t)
	proc := pgx.Identifier{e.role + "_commit_twice"}.Sanitize()
	create := fmt.Sprintf(`CREATE PROCEDURE %s(tag text) LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO items (name) VALUES (tag);
			COMMIT;
			INSERT INTO items (name) VALUES (tag);
		END $$`, proc)
	if err := srv.Exec(testCtx(t), appDB, create); err != nil {
		t.Fatal(err)
	}
	s := e.open(t, 1)
	before := state(t, s, true)
	mustQuery(t, s, source.Query{SQL: "VACUUM items"})
	mustQuery(t, s, source.Query{SQL: "CALL " + proc + "($1)", Args: []any{e.role}})
	if n := probeRows(t, s, e.role); n != 2 {
		t.Fatalf("the procedure inserted %d rows, want 2 (it ran once)", n)
	}
	if got := state(t, s, false); !reflect.DeepEqual(got, before) {
		t.Errorf("session after the calls: %v, want %v", got, before)
	}
}

// TestDeallocateAllDoesNotBreakLaterCalls runs DEALLOCATE ALL, which drops
// the statements pgx prepared on the connection: the call itself may fail,
// but no later call may.
func TestDeallocateAllDoesNotBreakLaterCalls(t *testing.T) {
	s := newEnv(t).open(t, 1)
	pid := backendPID(t, s)
	for _, ro := range both {
		mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true})
		mustQuery(t, s, source.Query{SQL: "SELECT 2"})
		_, _ = s.Query(testCtx(t), source.Query{SQL: "DEALLOCATE ALL", ReadOnly: ro})
		for _, next := range both {
			mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: next})
			mustQuery(t, s, source.Query{SQL: "SELECT 2", ReadOnly: next})
		}
	}
	if got := backendPID(t, s); got != pid {
		t.Errorf("the connection was replaced; a reset should have kept it")
	}
}
