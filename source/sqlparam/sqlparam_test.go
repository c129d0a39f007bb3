package sqlparam

import "testing"

var dialects = map[string]Rules{
	"postgres": {EscapeStrings: true, DollarQuotes: true, NestedComments: true},
	"sqlite":   {Question: true, Backticks: true, Brackets: true},
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		dialect, stmt string
		want          int
		err           string
	}{
		{"postgres", "SELECT 1", 0, ""},
		{"postgres", "SELECT * FROM t WHERE a = $1 AND b = $2 OR a = $1", 2, ""},
		{"postgres", "SELECT $10, $9, $8, $7, $6, $5, $4, $3, $2, $1", 10, ""},
		{"postgres", "SELECT '$1', \"$2\", $1", 1, ""},
		{"postgres", "SELECT 'it''s $2', $1", 1, ""},
		{"postgres", "SELECT E'\\' $2', $1", 1, ""},
		{"postgres", "SELECT $$ $2 $$, $tag$ $3 'x $tag$, $1", 1, ""},
		{"postgres", "SELECT $1 -- and $2\n", 1, ""},
		{"postgres", "SELECT /* $2 /* nested $3 */ still $4 */ $1", 1, ""},
		{"postgres", "SELECT data ? 'key', $1 FROM t", 1, ""},
		{"postgres", "SELECT a$1 FROM t", 0, ""},
		{"postgres", "SELECT $1::int", 1, ""},
		{"postgres", "SELECT $2", 0, "uses placeholder 2 but not 1 (numbering must have no gaps)"},
		{"postgres", "SELECT $0", 0, "placeholder $0 is invalid (want 1 to 65535, no leading zero)"},
		{"postgres", "SELECT $01", 0, "placeholder $01 is invalid (want 1 to 65535, no leading zero)"},
		{"postgres", "SELECT $99999", 0, "placeholder $99999 is invalid (want 1 to 65535, no leading zero)"},
		{"postgres", "SELECT 'unterminated $1", 0, ""},
		{"sqlite", "SELECT ?, ?, ?", 3, ""},
		{"sqlite", "SELECT ?1, ?2, ?1", 2, ""},
		{"sqlite", "SELECT $1, $2", 2, ""},
		{"sqlite", "SELECT '?', \"?\", `?`, [?], ? -- ?\n", 1, ""},
		{"sqlite", "SELECT /* ? /* */ ?", 1, ""},
		{"sqlite", "SELECT ?, ?2", 0, "mixes ? with numbered placeholders"},
		{"sqlite", "SELECT ?3", 0, "uses placeholder 3 but not 1 (numbering must have no gaps)"},
	}
	for _, c := range cases {
		n, err := Count(c.stmt, dialects[c.dialect])
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s %q: error %v, want %q", c.dialect, c.stmt, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s %q: unexpected error %v", c.dialect, c.stmt, err)
		case n != c.want:
			t.Errorf("%s %q: %d placeholders, want %d", c.dialect, c.stmt, n, c.want)
		}
	}
}
