package sqlite_test

import (
	"testing"

	"github.com/hushmcp/hush/source/sourcetest"
)

// TestConformanceValues checks that SQLite values read as its own client
// shows them, in the types source.Result promises.
func TestConformanceValues(t *testing.T) {
	s, _ := openFile(t)
	value := func(name, expr string, want any) sourcetest.ValueCase {
		return sourcetest.ValueCase{Name: name, Expr: expr, Want: want}
	}
	sourcetest.RunValues(t, s, []sourcetest.ValueCase{
		value("integer", "42", int64(42)),
		value("real", "1.5", 1.5),
		value("text", "'héllo'", "héllo"),
		value("blob", "x'00ff'", "AP8="),
		value("null", "NULL", nil),
		value("boolean expression", "1 < 2", int64(1)),
		value("json text", `json_array(1, 'a')`, `[1,"a"]`),
	})
}
