package postgres_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
)

// conformanceTypes are the casts that make the server read an untyped
// parameter as each kind the suite round-trips.
var conformanceTypes = map[string]string{
	"string": "text", "int64": "bigint", "float64": "double precision", "bool": "boolean", "nil": "text",
}

func TestConformance(t *testing.T) {
	e := newEnv(t)
	sourcetest.RunSQL(t, sourcetest.Harness{
		Open:  func(t *testing.T, table string) source.SQL { return openConformance(t, e, table) },
		Param: func(n int) string { return "$" + strconv.Itoa(n) },
		Typed: func(n int, kind string) string { return "$" + strconv.Itoa(n) + "::" + conformanceTypes[kind] },
		Sleep: "SELECT pg_sleep(600)",
	})
}

// openConformance creates the table in the app database, lets the env's
// role use it, and opens a source as that role.
func openConformance(t *testing.T, e *env, table string) source.SQL {
	t.Helper()
	id := pgx.Identifier{table}.Sanitize()
	stmt := fmt.Sprintf("CREATE TABLE %[1]s %[2]s; GRANT SELECT, INSERT, UPDATE, DELETE ON %[1]s TO %[3]s",
		id, sourcetest.Table, pgx.Identifier{e.role}.Sanitize())
	if err := srv.Exec(testCtx(t), appDB, stmt); err != nil {
		t.Fatal(err)
	}
	return e.open(t, 0)
}
