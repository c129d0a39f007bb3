package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

func TestQueryBindsEachParamType(t *testing.T) {
	s, _ := openFile(t)
	for _, readOnly := range []bool{true, false} {
		res := mustQuery(t, s, source.Query{
			SQL:      "SELECT ? AS s, ? AS i, ? AS f, ? AS b, ? AS n, ? + 1 AS sum",
			Args:     []any{"héllo", int64(42), 2.5, true, nil, int64(41)},
			ReadOnly: readOnly,
		})
		if want := []string{"s", "i", "f", "b", "n", "sum"}; !slices.Equal(res.Columns, want) {
			t.Fatalf("columns %v, want %v", res.Columns, want)
		}
		// SQLite has no boolean type: true is stored and read as 1.
		want := [][]any{{"héllo", int64(42), 2.5, int64(1), nil, int64(42)}}
		if !reflect.DeepEqual(res.Rows, want) || res.Truncated {
			t.Fatalf("read-only %t: rows %#v, want %#v", readOnly, res.Rows, want)
		}
	}
}

func TestQueryConvertsResultTypes(t *testing.T) {
	s, _ := openFile(t)
	mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name, added) VALUES ('t', '2026-11-26 10:02:03')"})
	res := mustQuery(t, s, source.Query{ReadOnly: true,
		SQL: "SELECT 7, 1.5, 'x', x'00ff', NULL, added FROM items WHERE name = 't'"})
	want := [][]any{{int64(7), 1.5, "x", "AP8=", nil, "2026-11-26T10:02:03Z"}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Fatalf("rows %#v, want %#v", res.Rows, want)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatal(err)
	}
}

func TestInjectionStringsAreData(t *testing.T) {
	s, _ := openFile(t)
	for _, v := range []string{"'; DROP TABLE items; --", "x' OR '1'='1", "?); DELETE FROM items; --"} {
		ins := mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES (?) RETURNING name", Args: []any{v}})
		if !reflect.DeepEqual(ins.Rows, [][]any{{v}}) {
			t.Fatalf("insert returned %#v", ins.Rows)
		}
		got := mustQuery(t, s, source.Query{SQL: "SELECT name FROM items WHERE name = ?", Args: []any{v}, ReadOnly: true})
		if !reflect.DeepEqual(got.Rows, [][]any{{v}}) {
			t.Fatalf("lookup returned %#v, want exactly the stored string", got.Rows)
		}
	}
	res := mustQuery(t, s, source.Query{SQL: "SELECT count(*) FROM items", ReadOnly: true})
	if res.Rows[0][0] != int64(3) {
		t.Fatalf("%v rows after the payloads, want 3", res.Rows[0][0])
	}
}

func TestReadOnlyQueryCannotWrite(t *testing.T) {
	s, _ := openFile(t)
	for _, stmt := range []string{
		"INSERT INTO items (name) VALUES ('ro')",
		"INSERT INTO items (name) VALUES ('ro') RETURNING id",
		"CREATE TABLE other (x)",
		"PRAGMA user_version = 7",
	} {
		_, err := s.Query(testCtx(t), source.Query{SQL: stmt, ReadOnly: true})
		refused := err != nil && (strings.Contains(err.Error(), "readonly database") || strings.Contains(err.Error(), "not allowed in a read-only call"))
		if !refused || !errors.Is(err, driver.ErrPermission) {
			t.Fatalf("%s in a read-only call: got %v, want SQLite's readonly error or the authorizer's refusal", stmt, err)
		}
	}
	res := mustQuery(t, s, source.Query{SQL: "SELECT count(*) FROM items", ReadOnly: true})
	if res.Rows[0][0] != int64(0) {
		t.Fatal("a read-only call wrote")
	}
	mustQuery(t, s, source.Query{SQL: "INSERT INTO items (name) VALUES ('rw')"})
	res = mustQuery(t, s, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
	if !reflect.DeepEqual(res.Rows, [][]any{{"rw"}}) {
		t.Fatalf("read-write insert: rows %#v", res.Rows)
	}
}

func TestMaxRowsTruncates(t *testing.T) {
	s, _ := openFile(t)
	const stmt = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 10) SELECT x FROM g"
	for _, tc := range []struct {
		max, rows int
		truncated bool
	}{{3, 3, true}, {10, 10, false}, {0, 10, false}} {
		res := mustQuery(t, s, source.Query{SQL: stmt, ReadOnly: true, MaxRows: tc.max})
		if len(res.Rows) != tc.rows || res.Truncated != tc.truncated {
			t.Errorf("max_rows %d: got %d rows, truncated %t; want %d, %t", tc.max, len(res.Rows), res.Truncated, tc.rows, tc.truncated)
		}
	}
}

func TestTimeoutInterruptsStatement(t *testing.T) {
	s, _ := openFile(t)
	const endless = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g) SELECT count(*) FROM g"
	for _, readOnly := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		_, err := s.Query(ctx, source.Query{SQL: endless, ReadOnly: readOnly})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read-only %t: got %v, want context.DeadlineExceeded", readOnly, err)
		}
	}
	mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true})
}

func TestOpenRefusesMissingFileAndMemory(t *testing.T) {
	log := newLog(t)
	store := envStore(t, log, nil)
	missing := filepath.Join(t.TempDir(), "typo.db")
	_, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: missing}, store, log)
	if !errors.Is(err, driver.ErrNotFound) || !strings.Contains(err.Error(), `open source "local"`) {
		t.Fatalf("missing file: got %v, want a not-found error naming the source", err)
	}
	if _, statErr := os.Stat(missing); !os.IsNotExist(statErr) {
		t.Fatal("Open created the missing database file")
	}
	for _, dsn := range []string{":memory:", "file::memory:", "file:x.db?mode=memory", ""} {
		if _, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: dsn}, store, log); err == nil {
			t.Fatalf("DSN %q: Open succeeded, want an error", dsn)
		}
	}
}

func TestOddPathsAndURIs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "we?ird#name%20.db")
	createDB(t, odd, "odd")
	plain := filepath.Join(dir, "plain.db")
	createDB(t, plain, "uri")
	log := newLog(t)
	store := envStore(t, log, nil)
	for dsn, want := range map[string]string{
		odd:                                   "odd",
		"file:" + plain + "?cache=private":    "uri",
		"file:" + plain + "?_txlock=deferred": "uri",
	} {
		s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: dsn}, store, log)
		if err != nil {
			t.Fatalf("open %q: %v", dsn, err)
		}
		res := mustQuery(t, s, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
		s.Close()
		if !reflect.DeepEqual(res.Rows, [][]any{{want}}) {
			t.Fatalf("DSN %q: rows %#v, want %q", dsn, res.Rows, want)
		}
	}
}

func TestErrorsNeverHoldSecretValues(t *testing.T) {
	dir := t.TempDir()
	name := "canary-db-" + marker + ".db"
	createDB(t, filepath.Join(dir, name))
	log := newLog(t)
	store := envStore(t, log, map[string]string{"DB_NAME": name})
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: dir + "/${secret:DB_NAME}"}, store, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// SQLite quotes the file name of a failed ATTACH.
	_, err = s.Query(testCtx(t), source.Query{SQL: "ATTACH DATABASE ? AS other", Args: []any{"/nonexistent/" + name}})
	if err == nil || err.Error() != `query source "local": database error` {
		t.Fatalf("got %q, want the generic database error", strings.ReplaceAll(errText(err), marker, "[CANARY]"))
	}
	if st := s.State(); !slices.Equal(st.Secrets, []string{"DB_NAME"}) || st.Status != "ok" {
		t.Fatalf("state %+v", st)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	s, _ := openFile(t)
	if err := s.Ping(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if _, err := s.Query(testCtx(t), source.Query{SQL: "SELECT 1"}); !errors.Is(err, source.ErrClosed) {
		t.Fatalf("Query after Close: %v", err)
	}
	if err := s.Ping(testCtx(t)); !errors.Is(err, source.ErrClosed) {
		t.Fatalf("Ping after Close: %v", err)
	}
	if st := s.State(); st.Status != "closed" {
		t.Fatalf("state %q", st.Status)
	}
}
