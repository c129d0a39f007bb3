package postgres_test

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/source"
)

// argCanary is an obviously fake argument value that must never come back
// in an error.
const argCanary = "canary-arg-7f3a9c-NOT-REAL"

// TestArgumentErrorsNeverRepeatValues binds arguments that pgx cannot
// encode, which pgx reports by printing the Go value: each error must name
// the parameter's position and never hold the value, in both modes.
func TestArgumentErrorsNeverRepeatValues(t *testing.T) {
	s := newEnv(t).open(t, 1)
	for _, tc := range []struct {
		sql          string
		args         []any
		canary, want string
	}{
		{"SELECT $1::text, $2::int2", []any{"x", int64(7000777123)}, "7000777123", "parameter $2: cannot be converted"},
		{"SELECT $1::int4", []any{struct{ S string }{argCanary}}, argCanary, "parameter $1: cannot be converted"},
		{"SELECT $1::bool", []any{map[string]any{"k": argCanary}}, argCanary, "parameter $1: cannot be converted"},
		{"SELECT $1::int4[]", []any{[]any{map[string]any{"k": argCanary}}}, argCanary, "parameter $1: cannot be converted"},
	} {
		for _, ro := range []bool{false, true} {
			_, err := s.Query(testCtx(t), source.Query{SQL: tc.sql, Args: tc.args, ReadOnly: ro})
			if err == nil {
				t.Fatalf("%s (read-only %t): no error", tc.sql, ro)
			}
			text := err.Error()
			if strings.Contains(text, tc.canary) {
				t.Errorf("%s (read-only %t): the error repeats the argument", tc.sql, ro)
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("%s (read-only %t): got %s, want %q", tc.sql, ro, strings.ReplaceAll(text, tc.canary, "[ARG]"), tc.want)
			}
		}
	}
	mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true}) // the connection survived
}
