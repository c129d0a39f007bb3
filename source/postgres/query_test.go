package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
)

func TestQueryBindsEachParamType(t *testing.T) {
	s := newEnv(t).open(t, 2)
	for _, readOnly := range []bool{true, false} {
		res := mustQuery(t, s, source.Query{
			SQL:      "SELECT $1::text AS s, $2::int8 AS i, $3::float8 AS f, $4::bool AS b, $5::text AS n, $6::numeric * 2 AS d",
			Args:     []any{"héllo", int64(42), 2.5, true, nil, "1.25"},
			ReadOnly: readOnly,
		})
		wantCols := []string{"s", "i", "f", "b", "n", "d"}
		if !slices.Equal(res.Columns, wantCols) {
			t.Fatalf("columns %v, want %v", res.Columns, wantCols)
		}
		want := [][]any{{"héllo", int64(42), 2.5, true, nil, "2.50"}}
		if !reflect.DeepEqual(res.Rows, want) || res.Truncated {
			t.Fatalf("read-only %t: rows %#v (truncated %t), want %#v", readOnly, res.Rows, res.Truncated, want)
		}
	}
}

func TestQueryConvertsResultTypes(t *testing.T) {
	s := newEnv(t).open(t, 1)
	res := mustQuery(t, s, source.Query{ReadOnly: true, SQL: `SELECT
		12.345::numeric, 7::int2, 8::int4, 1.5::float4, 'NaN'::float8,
		'2026-11-26 10:02:03.5+01'::timestamptz, '2026-11-26'::date, 'infinity'::date,
		'2026-11-26 10:02:03'::timestamp, '\x00ff'::bytea,
		'0b7e6b46-5c1e-4c3a-9f7a-2d3c4b5a6978'::uuid,
		'{"a": [1, "x", null], "b": true}'::jsonb, '[1,2]'::json,
		ARRAY[1,2,3]::int4[], ARRAY['a', NULL]::text[], ARRAY['2026-01-02'::date],
		'1 day 02:00:00'::interval, '10.1.2.3'::inet, NULL::text`})
	ts := time.Date(2026, 11, 26, 9, 2, 3, 500_000_000, time.UTC)
	want := []any{
		"12.345", int64(7), int64(8), 1.5, "NaN",
		ts.In(time.Local).Format(time.RFC3339Nano), "2026-11-26", "infinity",
		"2026-11-26T10:02:03Z", "AP8=",
		"0b7e6b46-5c1e-4c3a-9f7a-2d3c4b5a6978",
		map[string]any{"a": []any{1.0, "x", nil}, "b": true}, []any{1.0, 2.0},
		[]any{int64(1), int64(2), int64(3)}, []any{"a", nil}, []any{"2026-01-02"},
		"1 day 02:00:00", "10.1.2.3/32", nil,
	}
	if len(res.Rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(res.Rows))
	}
	for i, w := range want {
		if got := res.Rows[0][i]; !reflect.DeepEqual(got, w) {
			t.Errorf("column %d: got %#v, want %#v", i+1, got, w)
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("result does not marshal to JSON: %v", err)
	}
}

func TestInjectionStringsAreData(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 2)
	evil := []string{
		"'; DROP TABLE items; --",
		"x' OR '1'='1",
		"$1); DELETE FROM items; --",
		`\'; SELECT pg_sleep(10); --`,
	}
	for _, payload := range evil {
		v := e.role + payload // unique per run
		ins := mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES ($1) RETURNING name", Args: []any{v}})
		if !reflect.DeepEqual(ins.Rows, [][]any{{v}}) {
			t.Fatalf("insert returned %#v, want the string back", ins.Rows)
		}
		got := mustQuery(t, s, source.Query{SQL: "SELECT name FROM items WHERE name = $1", Args: []any{v}, ReadOnly: true})
		if len(got.Rows) != 1 || got.Rows[0][0] != v {
			t.Fatalf("lookup returned %#v, want exactly the stored string", got.Rows)
		}
	}
	// The table survived every payload.
	mustQuery(t, s, source.Query{SQL: "SELECT count(*) FROM items", ReadOnly: true})
}

func TestMaxRowsTruncates(t *testing.T) {
	s := newEnv(t).open(t, 1)
	for _, tc := range []struct {
		max, rows int
		truncated bool
	}{{3, 3, true}, {10, 10, false}, {11, 10, false}, {0, 10, false}} {
		res := mustQuery(t, s, source.Query{SQL: "SELECT g FROM generate_series(1, 10) g", ReadOnly: true, MaxRows: tc.max})
		if len(res.Rows) != tc.rows || res.Truncated != tc.truncated {
			t.Errorf("max_rows %d: got %d rows, truncated %t; want %d, %t", tc.max, len(res.Rows), res.Truncated, tc.rows, tc.truncated)
		}
	}
	// The connection is clean after a truncated read: the next call works.
	res := mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true})
	if res.Rows[0][0] != int64(1) {
		t.Fatalf("follow-up query got %#v", res.Rows)
	}
}

func TestEmptyResultHasColumnsAndNoRows(t *testing.T) {
	s := newEnv(t).open(t, 1)
	res := mustQuery(t, s, source.Query{SQL: "SELECT id, name FROM items WHERE false", ReadOnly: true})
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"columns":["id","name"],"rows":[],"truncated":false}` {
		t.Fatalf("JSON %s", got)
	}
}

func TestTimeoutReturnsContextError(t *testing.T) {
	s := newEnv(t).open(t, 1)
	for _, readOnly := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		_, err := s.Query(ctx, source.Query{SQL: "SELECT pg_sleep(30)", ReadOnly: readOnly})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read-only %t: got %v, want context.DeadlineExceeded", readOnly, err)
		}
	}
	// The source recovers: a fresh call succeeds.
	mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true})
}

func TestPingAndState(t *testing.T) {
	s := newEnv(t).open(t, 1)
	if err := s.Ping(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	st := s.State()
	if st.Status != "ok" || !slices.Equal(st.Secrets, []string{"DB_PASSWORD"}) || !st.LastSwap.IsZero() || st.LastError != "" {
		t.Fatalf("state %+v", st)
	}
}
