package sourcetest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hushmcp/hush/source"
)

// ValueCase is one select expression, in a kind's dialect, and the value a
// Result must hold for it: what a user of the database's own client would
// read, in the types source.Result promises.
type ValueCase struct {
	Name string // what the case shows, e.g. "int4range"
	Expr string // a select expression, e.g. "int4range(1, 10)"
	Want any    // string, int64, float64, bool, nil, or []any / map[string]any of those
}

// RunValues checks that src renders each case's expression as its Want, in
// read-only and read-write calls, using only the types Result promises,
// and that every result marshals to JSON. Expressions are dialect-specific,
// so each kind brings its own cases; src is a source from the kind's Open.
func RunValues(t *testing.T, src source.SQL, cases []ValueCase) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, ro := range []bool{true, false} {
				res := query(t, src, source.Query{SQL: "SELECT " + c.Expr + " AS v", ReadOnly: ro})
				if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
					t.Fatalf("%s: rows %v, want one row of one column", c.Expr, res.Rows)
				}
				got := res.Rows[0][0]
				if !reflect.DeepEqual(got, c.Want) {
					t.Errorf("%s (read-only %v): got %#v, want %#v", c.Expr, ro, got, c.Want)
				}
				if bad := foreignType(got); bad != "" {
					t.Errorf("%s: the result holds a %s, which Result does not promise", c.Expr, bad)
				}
				if _, err := json.Marshal(res); err != nil {
					t.Errorf("%s: the result does not marshal to JSON: %v", c.Expr, err)
				}
			}
		})
	}
}

// foreignType names the first type in v that Result does not promise, or
// returns "" when there is none.
func foreignType(v any) string {
	switch x := v.(type) {
	case nil, string, int64, float64, bool:
		return ""
	case []any:
		for _, e := range x {
			if bad := foreignType(e); bad != "" {
				return bad
			}
		}
		return ""
	case map[string]any:
		for _, e := range x {
			if bad := foreignType(e); bad != "" {
				return bad
			}
		}
		return ""
	}
	return reflect.TypeOf(v).String()
}
