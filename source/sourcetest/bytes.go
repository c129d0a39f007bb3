package sourcetest

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/source"
)

// testMaxBytes reads rows of about 1 KB each under byte caps: the result
// stays within the cap, says it was cut, and keeps the rows in order.
func (s *suite) testMaxBytes(t *testing.T) {
	src, table := s.open(t)
	big := strings.Repeat("x", 1000)
	for i := range 20 {
		s.insert(t, src, table, int64(i+1), big)
	}
	cases := []struct {
		max       int
		rows      int
		truncated bool
	}{{500, 0, true}, {3100, 3, true}, {1 << 20, 20, false}, {0, 20, false}}
	for _, c := range cases {
		for _, ro := range []bool{true, false} {
			q := source.Query{SQL: "SELECT id, name FROM " + table + " ORDER BY id", MaxBytes: c.max, ReadOnly: ro}
			res := query(t, src, q)
			if len(res.Rows) != c.rows || res.Truncated != c.truncated {
				t.Errorf("MaxBytes %d (read-only %v): %d rows, truncated %v; want %d rows, truncated %v",
					c.max, ro, len(res.Rows), res.Truncated, c.rows, c.truncated)
			}
			if size := source.ValueSize(toAny(res.Rows)); c.max > 0 && size > c.max {
				t.Errorf("MaxBytes %d: result of %d bytes", c.max, size)
			}
		}
	}
}

func toAny(rows [][]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}
