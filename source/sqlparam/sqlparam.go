// Package sqlparam counts the positional parameters of a SQL statement, so
// config can check a tool's statement against its declared parameters
// before anything runs. Each SQL source kind supplies its dialect's Rules.
package sqlparam

import (
	"fmt"
	"strconv"
	"strings"
)

// maxPlaceholder is PostgreSQL's limit on bind parameters; SQLite's default
// is lower but a statement that large is a mistake either way.
const maxPlaceholder = 65535

// Rules are a dialect's lexical rules that decide what is a placeholder.
// Every dialect has '...' strings, "..." identifiers, -- and /* */
// comments and $N placeholders.
type Rules struct {
	Question       bool // ? and ?N placeholders
	Backticks      bool // `...` identifiers
	Brackets       bool // [...] identifiers
	EscapeStrings  bool // E'...' strings, where a backslash escapes
	DollarQuotes   bool // $tag$...$tag$ strings
	NestedComments bool // /* /* */ */ nests
}

// Count returns how many positional parameters stmt binds under r. It skips
// string literals, quoted identifiers and comments, so a '?' or '$1' inside
// them does not count. Numbered placeholders must run from 1 without gaps,
// and a statement must not mix ? with numbers.
func Count(stmt string, r Rules) (int, error) {
	sc := sqlScan{s: stmt, r: r, nums: map[int]bool{}}
	for sc.i < len(sc.s) {
		if err := sc.step(); err != nil {
			return 0, err
		}
	}
	return sc.count()
}

type sqlScan struct {
	s    string
	i    int
	r    Rules
	bare int          // sqlite: plain ? placeholders
	nums map[int]bool // numbered placeholders seen
}

func (sc *sqlScan) step() error {
	c, next := sc.s[sc.i], sc.peek(1)
	switch {
	case c == '\'':
		sc.quoted('\'', sc.r.EscapeStrings && sc.escapeString())
	case c == '"':
		sc.quoted('"', false)
	case sc.r.Backticks && c == '`':
		sc.quoted('`', false)
	case sc.r.Brackets && c == '[':
		sc.skipPast("]")
	case c == '-' && next == '-':
		sc.skipPast("\n")
	case c == '/' && next == '*':
		sc.blockComment()
	case c == '$' && !sc.identBefore():
		return sc.dollar()
	case sc.r.Question && c == '?':
		return sc.question()
	default:
		sc.i++
	}
	return nil
}

func (sc *sqlScan) peek(k int) byte {
	if sc.i+k < len(sc.s) {
		return sc.s[sc.i+k]
	}
	return 0
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// identBefore reports whether s[i] continues an identifier: in PostgreSQL
// "a$1" is a name, not a placeholder.
func (sc *sqlScan) identBefore() bool { return sc.i > 0 && isIdent(sc.s[sc.i-1]) }

// escapeString reports whether the quote at i opens a PostgreSQL E'...'
// string, where a backslash escapes the next character.
func (sc *sqlScan) escapeString() bool {
	j := sc.i - 1
	return j >= 0 && sc.s[j]|0x20 == 'e' && (j == 0 || !isIdent(sc.s[j-1]))
}

// quoted skips a literal or identifier closed by q, where a doubled q is an
// escaped q.
func (sc *sqlScan) quoted(q byte, backslash bool) {
	for sc.i++; sc.i < len(sc.s); sc.i++ {
		switch {
		case backslash && sc.s[sc.i] == '\\':
			sc.i++
		case sc.s[sc.i] == q && sc.peek(1) == q:
			sc.i++
		case sc.s[sc.i] == q:
			sc.i++
			return
		}
	}
}

func (sc *sqlScan) skipPast(end string) {
	if k := strings.Index(sc.s[sc.i+1:], end); k >= 0 {
		sc.i += 1 + k + len(end)
		return
	}
	sc.i = len(sc.s)
}

// blockComment skips /* ... */; PostgreSQL nests them, SQLite does not.
func (sc *sqlScan) blockComment() {
	depth := 0
	for sc.i < len(sc.s) {
		switch {
		case sc.s[sc.i] == '/' && sc.peek(1) == '*' && (depth == 0 || sc.r.NestedComments):
			depth++
			sc.i += 2
		case sc.s[sc.i] == '*' && sc.peek(1) == '/':
			depth--
			sc.i += 2
			if depth == 0 {
				return
			}
		default:
			sc.i++
		}
	}
}

// dollar handles '$': a numbered placeholder, or in PostgreSQL the start of
// a $tag$...$tag$ string.
func (sc *sqlScan) dollar() error {
	if d := sc.peek(1); d >= '0' && d <= '9' {
		return sc.number("$")
	}
	if sc.r.DollarQuotes {
		if tag, ok := sc.dollarTag(); ok {
			body := sc.i + len(tag)
			sc.i = len(sc.s)
			if k := strings.Index(sc.s[body:], tag); k >= 0 {
				sc.i = body + k + len(tag)
			}
			return nil
		}
	}
	sc.i++
	return nil
}

// dollarTag returns the "$tag$" (or "$$") opening at i, if any. The caller
// has ruled out a digit after the first '$'.
func (sc *sqlScan) dollarTag() (string, bool) {
	for j := sc.i + 1; j < len(sc.s); j++ {
		c := sc.s[j]
		if c == '$' {
			return sc.s[sc.i : j+1], true
		}
		if !isIdent(c) {
			return "", false
		}
	}
	return "", false
}

func (sc *sqlScan) question() error {
	if d := sc.peek(1); d >= '0' && d <= '9' {
		return sc.number("?")
	}
	sc.bare++
	sc.i++
	return nil
}

// number reads the digits after a '$' or '?' at i.
func (sc *sqlScan) number(prefix string) error {
	j := sc.i + 1
	for j < len(sc.s) && sc.s[j] >= '0' && sc.s[j] <= '9' {
		j++
	}
	digits := sc.s[sc.i+1 : j]
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > maxPlaceholder || digits[0] == '0' {
		return fmt.Errorf("placeholder %s%.6s is invalid (want 1 to %d, no leading zero)", prefix, digits, maxPlaceholder)
	}
	sc.nums[n] = true
	sc.i = j
	return nil
}

func (sc *sqlScan) count() (int, error) {
	if sc.bare > 0 && len(sc.nums) > 0 {
		return 0, fmt.Errorf("mixes ? with numbered placeholders")
	}
	if sc.bare > 0 {
		return sc.bare, nil
	}
	n := 0
	for k := range sc.nums {
		n = max(n, k)
	}
	for k := 1; k <= n; k++ {
		if !sc.nums[k] {
			return 0, fmt.Errorf("uses placeholder %d but not %d (numbering must have no gaps)", n, k)
		}
	}
	return n, nil
}
