// Package sourcetest holds the conformance suites of source kinds:
// RunLifecycle, which every kind passes, and RunSQL, which every kind that
// runs SQL passes as well.
//
// A kind's test fills a Harness with a way to open a fresh source over a
// table the harness creates, plus the few dialect details the suite needs
// (placeholders, typed parameters, a long-running statement), and calls
// RunSQL. The suite checks the contract written in package source: parameter
// binding, JSON-friendly result types, read-only enforcement by the
// database, MaxRows and Truncated, error reporting, context deadlines,
// concurrent use and Close.
package sourcetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hushmcp/hush/source"
)

// Table is the shape of the table Harness.Open creates, empty:
//
//	<name> (id integer primary key, name text not null)
//
// The source must be allowed to select from and insert into it.
const Table = "(id integer primary key, name text not null)"

// Harness describes one source kind to the suite. Open and Param are
// required; the other fields have documented defaults.
type Harness struct {
	// Open creates the empty table called table (see Table) in a database
	// and returns a source opened on that database through the kind's own
	// Open. Every call gets a table name not used before in the process. The
	// suite closes the source; Open may also register a cleanup. Open
	// reports setup failures with t.Fatal.
	Open func(t *testing.T, table string) source.SQL
	// Param returns the placeholder for the n-th argument, counting from 1:
	// "$1" for PostgreSQL, "?" for SQLite.
	Param func(n int) string
	// Typed returns a select expression for the n-th argument that the
	// database reads as kind, one of "string", "int64", "float64", "bool"
	// or "nil" (a NULL text). nil: Param(n) as it is.
	Typed func(n int, kind string) string
	// BoolResult is what a bool argument reads back as. nil: the bool
	// itself. A database without a boolean type sets it and says why in
	// BoolReason.
	BoolResult func(b bool) any
	BoolReason string
	// Sleep is a statement that runs for far longer than a test should and
	// ends with an error when its context ends. Empty: the timeout case
	// passes with SleepReason logged.
	Sleep       string
	SleepReason string
}

// RunSQL runs every SQL conformance case against h as subtests of t.
func RunSQL(t *testing.T, h Harness) {
	if h.Open == nil || h.Param == nil {
		t.Fatal("sourcetest: Harness.Open and Harness.Param are required")
	}
	s := &suite{h: h}
	cases := []struct {
		name string
		run  func(*testing.T)
	}{
		{"Ping", s.testPing},
		{"ParamTypes", s.testParamTypes},
		{"Injection", s.testInjection},
		{"ReadOnlyRejectsWrite", s.testReadOnlyRejectsWrite},
		{"ReadWriteAllowsWrite", s.testReadWriteAllowsWrite},
		{"MaxRows", s.testMaxRows},
		{"MaxBytes", s.testMaxBytes},
		{"StatementError", s.testStatementError},
		{"Deadline", s.testDeadline},
		{"Concurrent", s.testConcurrent},
		{"Close", s.testClose},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// tables counts table names handed out in this process, so that runs with
// -count > 1 or several RunSQL calls never reuse a name in a shared database.
var tables atomic.Int64

// suite is one RunSQL harness.
type suite struct{ h Harness }

// open returns a fresh source over a new empty table, closed at cleanup.
func (s *suite) open(t *testing.T) (source.SQL, string) {
	t.Helper()
	table := fmt.Sprintf("conformance_%d", tables.Add(1))
	src := s.h.Open(t, table)
	if src == nil {
		t.Fatal("sourcetest: Harness.Open returned a nil source")
	}
	t.Cleanup(func() { _ = src.Close() })
	return src, table
}

func (s *suite) typed(n int, kind string) string {
	if s.h.Typed == nil {
		return s.h.Param(n)
	}
	return s.h.Typed(n, kind)
}

func (s *suite) boolResult(b bool) any {
	if s.h.BoolResult == nil {
		return b
	}
	return s.h.BoolResult(b)
}
