package sqlite_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

const seedScript = `-- two statements and a comment
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO items (name) VALUES ('seeded'), ('twice');
`

func writeSeed(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.sql")
	if err := os.WriteFile(p, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSeedCreatesMissingDatabaseOnce(t *testing.T) {
	log := newLog(t)
	store := envStore(t, log, nil)
	path := filepath.Join(t.TempDir(), "data", "shop.db") // data/ does not exist yet
	spec := sqlite.Spec{Name: "local", DSN: path, Seed: writeSeed(t, seedScript)}

	s, err := sqlite.Open(testCtx(t), spec, store, log)
	if err != nil {
		t.Fatal(err)
	}
	mustQuery(t, s, source.Query{SQL: "DELETE FROM items WHERE name = 'twice'"})
	s.Close()

	s, err = sqlite.Open(testCtx(t), spec, store, log) // the file exists: no reseed
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res := mustQuery(t, s, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
	if !reflect.DeepEqual(res.Rows, [][]any{{"seeded"}}) {
		t.Fatalf("rows %#v, want the seeded row without the deleted one", res.Rows)
	}
}

func TestFailedSeedLeavesNothing(t *testing.T) {
	log := newLog(t)
	store := envStore(t, log, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.db")
	spec := sqlite.Spec{Name: "local", DSN: path, Seed: writeSeed(t, seedScript+"INSERT INTO nope VALUES (1);\n")}
	_, err := sqlite.Open(testCtx(t), spec, store, log)
	if err == nil || !strings.Contains(err.Error(), `seed source "local"`) || !strings.Contains(err.Error(), "no such table: nope") {
		t.Fatalf("got %v, want the seed script's error", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("failed seed left %d files behind", len(entries))
	}
	spec.Seed = filepath.Join(dir, "missing.sql")
	if _, err := sqlite.Open(testCtx(t), spec, store, log); err == nil || !strings.Contains(err.Error(), `read seed of source "local"`) {
		t.Fatalf("missing seed file: got %v", err)
	}
}
