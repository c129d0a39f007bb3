package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

// openOneConn opens a source on a fresh database with a read-only pool of
// one connection, so every read-only call shares one SQLite connection.
func openOneConn(t *testing.T) (*sqlite.Source, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.db")
	createDB(t, path, "a")
	log := newLog(t)
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: path, MaxConns: 1}, envStore(t, log, nil), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReadOnlyRefusesFileWritesAndSessionChanges runs, as read-only calls,
// statements that mode=ro and query_only let through: each must be refused,
// no file may appear, and the shared connection must serve later calls as
// before (nothing attached, still query_only, no open transaction).
func TestReadOnlyRefusesFileWritesAndSessionChanges(t *testing.T) {
	s, dir := openOneConn(t)
	before := dirNames(t, dir)
	target := filepath.Join(dir, "copy.db")
	for _, q := range []source.Query{
		{SQL: "VACUUM INTO ?", Args: []any{target}},
		{SQL: "VACUUM"},
		{SQL: "ATTACH DATABASE ? AS x", Args: []any{target}},
		{SQL: "DETACH DATABASE x"},
		{SQL: "INSERT INTO items (name) VALUES (?)", Args: []any{"written"}},
		{SQL: "CREATE TEMP TABLE t AS SELECT 1 AS x"},
		{SQL: "PRAGMA query_only = 0"},
		{SQL: "PRAGMA journal_mode = wal"},
		{SQL: "BEGIN IMMEDIATE"},
		{SQL: "SAVEPOINT sp"},
	} {
		q.ReadOnly = true
		_, err := s.Query(testCtx(t), q)
		if !errors.Is(err, driver.ErrPermission) {
			t.Errorf("%s: got %v, want a refusal", q.SQL, err)
		}
	}
	if after := dirNames(t, dir); !slices.Equal(after, before) {
		t.Fatalf("read-only calls changed the directory: %q, want %q", after, before)
	}
	ro := func(sql string) *source.Result {
		return mustQuery(t, s, source.Query{SQL: sql, ReadOnly: true})
	}
	if got := ro("PRAGMA query_only").Rows[0][0]; got != int64(1) {
		t.Errorf("query_only is %v on the read-only connection, want 1", got)
	}
	if got := ro("SELECT count(*) FROM sqlite_temp_master").Rows[0][0]; got != int64(0) {
		t.Errorf("%v temporary objects on the read-only connection, want 0", got)
	}
	if got := len(ro("SELECT name FROM pragma_table_info('items')").Rows); got != 3 {
		t.Errorf("pragma_table_info: %d columns, want 3", got)
	}
	mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES (?)", Args: []any{"b"}})
	if got := ro("SELECT count(*) FROM items").Rows[0][0]; got != int64(2) {
		t.Errorf("read-only call sees %v rows after a write, want 2 (a stale transaction?)", got)
	}
}
