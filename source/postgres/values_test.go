package postgres_test

import (
	"testing"

	"github.com/hushmcp/hush/source/sourcetest"
)

// TestConformanceValues checks that PostgreSQL values read as psql shows
// them: ranges and multiranges in PostgreSQL's own text, arrays nested by
// their dimensions, xml as text and "char" as a one-character string.
func TestConformanceValues(t *testing.T) {
	s := newEnv(t).open(t, 1)
	value := func(name, expr string, want any) sourcetest.ValueCase {
		return sourcetest.ValueCase{Name: name, Expr: expr, Want: want}
	}
	sourcetest.RunValues(t, s, []sourcetest.ValueCase{
		value("int4range", "int4range(1, 10)", "[1,10)"),
		value("int8range unbounded", "'(,5]'::int8range", "(,6)"),
		value("empty range", "'empty'::int4range", "empty"),
		value("numrange", "numrange(1.5, 2.5, '[]')", "[1.5,2.5]"),
		value("daterange", "'[2026-01-01,2026-02-01)'::daterange", "[2026-01-01,2026-02-01)"),
		value("tsrange", "tsrange('2026-01-01 10:00', '2026-01-02')", `["2026-01-01 10:00:00","2026-01-02 00:00:00")`),
		value("int4multirange", "'{[1,3),[5,7)}'::int4multirange", "{[1,3),[5,7)}"),
		value("range array", "ARRAY[int4range(1, 2), 'empty']", []any{"[1,2)", "empty"}),
		value("2-D int array", "ARRAY[[1, 2], [3, 4]]", []any{[]any{int64(1), int64(2)}, []any{int64(3), int64(4)}}),
		value("3-D text array", "ARRAY[[['a']], [['b']]]", []any{[]any{[]any{"a"}}, []any{[]any{"b"}}}),
		value("2-D array with NULLs", "'{{NULL,2},{3,NULL}}'::int[]", []any{[]any{nil, int64(2)}, []any{int64(3), nil}}),
		value("2-D date array", "ARRAY[['2026-01-02'::date]]", []any{[]any{"2026-01-02"}}),
		value("2-D range array", "ARRAY[[int4range(1, 2)], [int4range(3, 4)]]", []any{[]any{"[1,2)"}, []any{"[3,4)"}}),
		value("array with bounds", "'[0:1]={7,8}'::int[]", []any{int64(7), int64(8)}),
		value("empty array", "'{}'::int[]", []any{}),
		value("xml", "'<a>x</a>'::xml", "<a>x</a>"),
		value("xml array", "ARRAY['<a/>'::xml]", []any{"<a/>"}),
		value("char", `'x'::"char"`, "x"),
		value("char array", `ARRAY['y'::"char", 'z']`, []any{"y", "z"}),
	})
}
