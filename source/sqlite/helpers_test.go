package sqlite_test

import (
	"context"
	"database/sql"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

const marker = "7f3a9c-NOT-REAL"

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer collects output from several goroutines.
type syncBuffer = leak.Buffer

// newLog returns a logger whose output is checked for canaries at the end
// of the test.
func newLog(t testing.TB) *slog.Logger {
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if strings.Contains(buf.String(), marker) {
			t.Error("logs contain a canary")
		}
	})
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// createDB makes a database file with a table items(id, name) holding
// names, outside the source under test.
func createDB(t testing.TB, path string, names ...string) {
	t.Helper()
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+escaped+"?mode=rwc")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, added DATETIME)"); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := db.Exec("INSERT INTO items (name) VALUES (?)", n); err != nil {
			t.Fatal(err)
		}
	}
}

// envStore serves vars as env:// secrets of the same names.
func envStore(t testing.TB, log *slog.Logger, vars map[string]string) *secret.Store {
	t.Helper()
	mux := secret.NewMux()
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	var decls []secret.Decl
	for name := range vars {
		decls = append(decls, secret.Decl{Name: name, From: "env://" + name})
	}
	return openStore(t, mux, log, decls)
}

// mountStore serves value as DB_PATH from a Kubernetes-style mount.
func mountStore(t testing.TB, log *slog.Logger, value string) (*secret.Store, *kubetest.Mount) {
	t.Helper()
	m := kubetest.NewMount(t, filepath.Join(t.TempDir(), "mount"), map[string]string{"path": value})
	mux := secret.NewMux()
	mux.Register("file", &file.Opener{Logger: log, Debounce: 20 * time.Millisecond, PollInterval: time.Second})
	return openStore(t, mux, log, []secret.Decl{{Name: "DB_PATH", From: "file://" + m.Path("path")}}), m
}

func openStore(t testing.TB, mux *secret.Mux, log *slog.Logger, decls []secret.Decl) *secret.Store {
	t.Helper()
	store, err := secret.Open(testCtx(t), decls, secret.Options{Mux: mux, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// openFile opens a source on a fresh database holding names.
func openFile(t testing.TB, names ...string) (*sqlite.Source, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	createDB(t, path, names...)
	log := newLog(t)
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: path}, envStore(t, log, nil), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func mustQuery(t testing.TB, s *sqlite.Source, q source.Query) *source.Result {
	t.Helper()
	res, err := s.Query(testCtx(t), q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	return res
}

// eventually polls cond until it holds, for up to 15 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 15*time.Second, cond)
}
