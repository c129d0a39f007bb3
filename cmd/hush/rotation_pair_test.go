package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

const pairYAML = `server:
  name: hush-pair-rotation
  transport: http
secrets:
  DB:
    from: file://%s
    format: json
    fields: [username, password]
sources:
  main:
    kind: postgres
    dsn: postgres://${secret:DB#username}:${secret:DB#password}@127.0.0.1:%d/%s?sslmode=disable
    max_conns: 4
tools:
  item:
    kind: sql
    source: main
    description: Name an item and add one to n.
    statement: SELECT name, $2::int8 + 1 AS next FROM items WHERE id = $1
    parameters:
      - { name: id, type: integer, required: true, min: 1, max: 16 }
      - { name: n, type: integer, required: true }
    read_only: true
    timeout: 10s
`

// A username and a password taken from one JSON document rotate together:
// the whole document changes three times, each time to another role with
// its own password, while eight clients call a tool. No call fails, and the
// server never sees a login that pairs a user from one document with a
// password from another (PostgreSQL would log it as a failed login).
func TestJSONPairRotationUnderLoad(t *testing.T) {
	pws := rotationPasswords()
	app := newPGApp(t, "pair", pws[0],
		"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g")
	roles := []string{app.Role}
	for i := 1; i <= rotations; i++ {
		roles = append(roles, addRole(t, app, fmt.Sprintf("%s_v%d", app.Role, i), pws[i]))
	}
	dir := t.TempDir()
	doc := func(i int) string {
		b, _ := json.Marshal(map[string]string{"username": roles[i], "password": pws[i]})
		return string(b)
	}
	mount := kubetest.NewMount(t, filepath.Join(dir, "db-credentials"), map[string]string{"db.json": doc(0)})
	cfg := hushYAML(t, dir, fmt.Sprintf(pairYAML, mount.Path("db.json"), pg.Port(), app.DB))
	srv := startServe(t, "--config", cfg)
	seen := &lockedBuffer{}
	l := startCallers(t, srv.URL, seen, pws)
	for i := 1; i <= rotations; i++ {
		l.waitCalls(t, callsBeforeAlter)
		mount.Update(map[string]string{"db.json": doc(i)})
		waitUntil(t, fmt.Sprintf("swap %d", i), 20*time.Second, func() bool {
			return len(logEntries(srv.Stderr.String(), "source credentials swapped")) >= i || l.failed.Load() > 0
		})
	}
	l.waitEachWorker(t, callsAfterLast)
	l.waitTotal(t, minCalls)
	l.finish(t)

	assertNoMixedLogins(t, roles)
	assertNoCanary(t, "server stderr", srv.Stderr.String(), pws...)
	assertNoCanary(t, "client traffic", seen.String(), pws...)
}

// addRole creates a role that may read app's items.
func addRole(t *testing.T, app pgApp, role, password string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pg.CreateRole(ctx, role, password); err != nil {
		t.Fatal(err)
	}
	if err := pg.Exec(ctx, app.DB, "GRANT SELECT ON items TO "+role); err != nil {
		t.Fatal(err)
	}
	return role
}

// assertNoMixedLogins reads the server's own log: a login with one role's
// name and another's password is a failed password authentication there.
func assertNoMixedLogins(t *testing.T, roles []string) {
	t.Helper()
	logs, err := pg.ServerLog()
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range roles {
		failed := regexp.MustCompile(`password authentication failed for user "` + regexp.QuoteMeta(role) + `"`)
		if n := len(failed.FindAllString(logs, -1)); n > 0 {
			t.Errorf("the server refused %d logins as %s: a user and a password from different documents", n, role)
		}
	}
}
