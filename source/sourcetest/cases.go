package sourcetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
)

// callTimeout bounds every call the suite expects to succeed.
const callTimeout = 20 * time.Second

// hangGuard is how long the deadline case waits, after the deadline, for a
// call to return before it reports that the call ignores its context.
const hangGuard = 20 * time.Second

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// query runs q and fails the test on error.
func query(t *testing.T, src source.SQL, q source.Query) *source.Result {
	t.Helper()
	res, err := src.Query(callCtx(t), q)
	if err != nil {
		t.Fatalf("query %q: %v", q.SQL, err)
	}
	if res == nil {
		t.Fatalf("query %q: nil result without an error", q.SQL)
	}
	return res
}

// safeQuery runs q and turns a panic into an error, so a source that
// panics fails the case instead of the whole run.
func safeQuery(ctx context.Context, src source.SQL, q source.Query) (res *source.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("query panicked: %v", p)
		}
	}()
	return src.Query(ctx, q)
}

func (s *suite) insert(t *testing.T, src source.SQL, table string, id int64, name string) {
	t.Helper()
	sql := fmt.Sprintf("INSERT INTO %s (id, name) VALUES (%s, %s)", table, s.h.Param(1), s.h.Param(2))
	query(t, src, source.Query{SQL: sql, Args: []any{id, name}})
}

// names returns the table's names ordered by id.
func names(t *testing.T, src source.SQL, table string) []any {
	t.Helper()
	res := query(t, src, source.Query{SQL: "SELECT name FROM " + table + " ORDER BY id", ReadOnly: true})
	out := []any{}
	for _, row := range res.Rows {
		out = append(out, row[0])
	}
	return out
}

func (s *suite) testPing(t *testing.T) {
	src, _ := s.open(t)
	if err := src.Ping(callCtx(t)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if st := src.State(); st.Status != "ok" {
		t.Errorf("State().Status = %q after a good ping, want %q", st.Status, "ok")
	}
}

func (s *suite) testParamTypes(t *testing.T) {
	src, _ := s.open(t)
	cases := []struct {
		kind string
		arg  any
		want any
	}{
		{"string", "plain text, ünïcode ✓", "plain text, ünïcode ✓"},
		{"string", "", ""},
		{"int64", int64(-9007199254740993), int64(-9007199254740993)},
		{"float64", 1.5, 1.5},
		{"bool", true, s.boolResult(true)},
		{"bool", false, s.boolResult(false)},
		{"nil", nil, nil},
	}
	if s.h.BoolResult != nil {
		t.Logf("bool reads back as %T: %s", s.boolResult(true), s.h.BoolReason)
	}
	for _, c := range cases {
		for _, ro := range []bool{true, false} {
			q := source.Query{SQL: "SELECT " + s.typed(1, c.kind) + " AS v", Args: []any{c.arg}, ReadOnly: ro}
			res := query(t, src, q)
			if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
				t.Fatalf("%s (read-only %v): rows %v, want one row of one column", c.kind, ro, res.Rows)
			}
			got := res.Rows[0][0]
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s %#v (read-only %v): got %#v (%T), want %#v (%T)", c.kind, c.arg, ro, got, got, c.want, c.want)
			}
			if !reflect.DeepEqual(res.Columns, []string{"v"}) {
				t.Errorf("%s: columns %q, want [v]", c.kind, res.Columns)
			}
		}
	}
}

// injections are strings that would change a statement built by string
// concatenation. As parameters they must be plain data.
var injections = []string{
	"'; DROP TABLE %[1]s; --",
	"x' OR '1'='1",
	`"; DELETE FROM %[1]s; --`,
	"1); DROP TABLE %[1]s; --",
	"$1 ? ?1 :name @p1",
	`\'; DROP TABLE %[1]s; -- \`,
}

func (s *suite) testInjection(t *testing.T) {
	src, table := s.open(t)
	var want []any
	for i, pattern := range injections {
		v := fmt.Sprintf(pattern, table)
		want = append(want, v)
		s.insert(t, src, table, int64(i+1), v)
		sql := fmt.Sprintf("SELECT name FROM %s WHERE name = %s", table, s.h.Param(1))
		res := query(t, src, source.Query{SQL: sql, Args: []any{v}, ReadOnly: true})
		if len(res.Rows) != 1 || res.Rows[0][0] != v {
			t.Errorf("lookup by %q: rows %q, want exactly that value once", v, res.Rows)
		}
	}
	if got := names(t, src, table); !reflect.DeepEqual(got, want) {
		t.Errorf("table holds %q, want %q", got, want)
	}
}

func (s *suite) testReadOnlyRejectsWrite(t *testing.T) {
	src, table := s.open(t)
	s.insert(t, src, table, 1, "kept")
	writes := []string{
		fmt.Sprintf("INSERT INTO %s (id, name) VALUES (%s, %s)", table, s.h.Param(1), s.h.Param(2)),
		fmt.Sprintf("UPDATE %s SET name = %s WHERE id = %s", table, s.h.Param(2), s.h.Param(1)),
		fmt.Sprintf("DELETE FROM %s WHERE id = %s AND name <> %s", table, s.h.Param(1), s.h.Param(2)),
	}
	args := [][]any{{int64(2), "written"}, {int64(1), "written"}, {int64(1), ""}}
	for i, w := range writes {
		res, err := safeQuery(callCtx(t), src, source.Query{SQL: w, Args: args[i], ReadOnly: true})
		if err == nil {
			t.Errorf("read-only %q: no error (result %v), want the database to reject the write", w, res)
		}
	}
	if got := names(t, src, table); !reflect.DeepEqual(got, []any{"kept"}) {
		t.Errorf("after rejected writes the table holds %q, want [kept]", got)
	}
}

func (s *suite) testReadWriteAllowsWrite(t *testing.T) {
	src, table := s.open(t)
	s.insert(t, src, table, 1, "first")
	sql := fmt.Sprintf("UPDATE %s SET name = %s WHERE id = %s", table, s.h.Param(1), s.h.Param(2))
	query(t, src, source.Query{SQL: sql, Args: []any{"changed", int64(1)}})
	if got := names(t, src, table); !reflect.DeepEqual(got, []any{"changed"}) {
		t.Errorf("after writes the table holds %q, want [changed]", got)
	}
}

func (s *suite) testMaxRows(t *testing.T) {
	src, table := s.open(t)
	for i := range 5 {
		s.insert(t, src, table, int64(i+1), fmt.Sprintf("row %d", i+1))
	}
	cases := []struct {
		max, rows int
		truncated bool
	}{{1, 1, true}, {3, 3, true}, {5, 5, false}, {6, 5, false}, {0, 5, false}}
	for _, c := range cases {
		for _, ro := range []bool{true, false} {
			q := source.Query{SQL: "SELECT id, name FROM " + table + " ORDER BY id", MaxRows: c.max, ReadOnly: ro}
			res := query(t, src, q)
			if len(res.Rows) != c.rows || res.Truncated != c.truncated {
				t.Errorf("MaxRows %d (read-only %v): %d rows, truncated %v; want %d rows, truncated %v",
					c.max, ro, len(res.Rows), res.Truncated, c.rows, c.truncated)
				continue
			}
			if len(res.Rows) > 0 && res.Rows[0][0] != int64(1) {
				t.Errorf("MaxRows %d: first row %v, want the first by id", c.max, res.Rows[0])
			}
		}
	}
	// The source stays usable after an early stop.
	if got := names(t, src, table); len(got) != 5 {
		t.Errorf("after truncated reads: %d rows, want 5", len(got))
	}
}

func (s *suite) testStatementError(t *testing.T) {
	src, table := s.open(t)
	bad := []string{
		"SELEC 1",
		"SELECT no_such_column FROM " + table,
		"SELECT * FROM no_such_table_conformance",
		fmt.Sprintf("INSERT INTO %s (id, name) VALUES (%s, NULL)", table, s.h.Param(1)),
	}
	for _, sql := range bad {
		for _, ro := range []bool{true, false} {
			var args []any
			if sql == bad[3] {
				args = []any{int64(1)}
			}
			res, err := safeQuery(callCtx(t), src, source.Query{SQL: sql, Args: args, ReadOnly: ro})
			if err == nil {
				t.Errorf("%q (read-only %v): no error (result %v)", sql, ro, res)
			}
			s.assertWorks(t, src, table, fmt.Sprintf("after %q (read-only %v)", sql, ro))
		}
	}
}

// assertWorks checks that src still runs read-only and read-write calls.
func (s *suite) assertWorks(t *testing.T, src source.SQL, table, when string) {
	t.Helper()
	for _, ro := range []bool{true, false} {
		q := source.Query{SQL: "SELECT count(*) AS n FROM " + table, ReadOnly: ro}
		if _, err := src.Query(callCtx(t), q); err != nil {
			t.Errorf("%s: a good query (read-only %v) fails: %v", when, ro, err)
		}
	}
}
