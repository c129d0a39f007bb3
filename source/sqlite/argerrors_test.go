package sqlite_test

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/source"
)

// argCanary is an obviously fake argument value that must never come back
// in an error.
const argCanary = "canary-arg-7f3a9c-NOT-REAL"

// TestArgumentErrorsNeverRepeatValues binds arguments the driver cannot
// convert. database/sql and the driver name the argument's type, never its
// value; this keeps it so.
func TestArgumentErrorsNeverRepeatValues(t *testing.T) {
	s, _ := openFile(t)
	for _, arg := range []any{
		struct{ S string }{argCanary},
		map[string]any{"k": argCanary},
		[]any{argCanary},
		[]string{argCanary},
	} {
		for _, ro := range []bool{true, false} {
			_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT ?", Args: []any{arg}, ReadOnly: ro})
			if err == nil {
				t.Fatalf("%T (read-only %t): no error", arg, ro)
			}
			if strings.Contains(err.Error(), argCanary) {
				t.Errorf("%T (read-only %t): the error repeats the argument", arg, ro)
			}
		}
	}
}
