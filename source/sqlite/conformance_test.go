package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
	"github.com/hushmcp/hush/source/sqlite"
)

func TestConformance(t *testing.T) {
	sourcetest.RunSQL(t, sourcetest.Harness{
		Open:       openConformance,
		Param:      func(int) string { return "?" },
		BoolResult: func(b bool) any { return map[bool]any{false: int64(0), true: int64(1)}[b] },
		BoolReason: "SQLite has no boolean storage class; a bool is bound as the integer 0 or 1",
		// Counts without end; only an interrupt from the context stops it.
		Sleep: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
	})
}

// openConformance creates a database file holding the empty table and
// opens the source on it.
func openConformance(t *testing.T, table string) source.SQL {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conformance.db")
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+escaped+"?mode=rwc")
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("CREATE TABLE " + table + " " + sourcetest.Table)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	log := newLog(t)
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "conformance", DSN: path}, envStore(t, log, nil), log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
