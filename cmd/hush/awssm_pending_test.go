package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
)

// Between setSecret and finishSecret PostgreSQL accepts only the new
// password while AWSCURRENT still holds the old one. When the server's
// connections are gone (here: terminated) a call needs a new login, which
// is rejected; the server then tries AWSPENDING, swaps to a pool built
// with it, and the call succeeds. finishSecret later changes nothing.
func TestAWSSMPendingAfterRejectedLogin(t *testing.T) {
	pws := rotationPasswords()[:2]
	e := newSMEnv(t)
	app := newItemsApp(t, "smpend", pws[0])
	e.srv.Put("prod/hush/db", rdsDoc(app.Role, pws[0], app.DB))
	cfg := "server:\n  name: hush-awssm-pending\n  transport: http\n" + e.block("1s", "100ms") +
		"secrets:\n  DB: { from: \"awssm://prod/hush/db\", format: json, fields: [username, password] }\n" +
		"sources:\n  main:\n    kind: postgres\n" +
		"    dsn: postgres://${secret:DB#username}:${secret:DB#password}@127.0.0.1:" +
		itoa(pg.Port()) + "/" + app.DB + "?sslmode=disable\n    max_conns: 2\n" + itemTool
	srv := startServe(t, "--config", hushYAML(t, e.dir, cfg))
	seen := &lockedBuffer{}
	cs := connectMCP(t, srv.URL, "", seen)
	l := &callers{canaries: pws}
	mustCall(t, l, cs, 1)

	r := e.srv.StartRotation("prod/hush/db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.CreateSecret(rdsDoc(app.Role, pws[1], app.DB)); err != nil {
		t.Fatal(err)
	}
	if err := r.SetSecret(func([]byte) error { return pg.AlterPassword(ctx, app.Role, pws[1]) }); err != nil {
		t.Fatal(err)
	}
	dropConnections(t, ctx, app.Role)
	mustCall(t, l, cs, 2)
	if n := len(logEntries(srv.Stderr.String(), "source credentials swapped")); n != 1 {
		t.Errorf("%d credential swaps, want 1 (to the AWSPENDING password)", n)
	}
	rotated := logEntries(srv.Stderr.String(), "secret rotated")
	if len(rotated) != 1 || rotated[0]["pending"] != true {
		t.Errorf("rotation log %v, want one line for the pending value", rotated)
	}

	if err := r.FinishSecret(); err != nil {
		t.Fatal(err)
	}
	checked := e.srv.Count("DescribeSecret")
	waitUntil(t, "a label check after finishSecret", 10*time.Second, func() bool {
		return e.srv.Count("DescribeSecret") > checked
	})
	mustCall(t, l, cs, 3)
	if n := len(logEntries(srv.Stderr.String(), "source credentials swapped")); n != 1 {
		t.Errorf("%d credential swaps after finishSecret, want still 1", n)
	}
	checkLogins(t, app, pws)
	assertNoCanary(t, "server stderr", srv.Stderr.String(), append(pws, awssmtest.SecretAccessKey)...)
	assertNoCanary(t, "client traffic", seen.String(), pws...)
}

func mustCall(t *testing.T, l *callers, cs *mcp.ClientSession, n int64) {
	t.Helper()
	if err := l.call(cs, n, n); err != nil {
		t.Fatalf("call %d: %s", n, scrub(err.Error(), l.canaries...))
	}
}

// dropConnections ends every session of role, and waits until the pool
// would check an idle connection before using it (pgxpool pings one that
// was idle for over a second), so the next call needs a new login rather
// than failing on a dead connection.
func dropConnections(t *testing.T, ctx context.Context, role string) {
	t.Helper()
	if err := pg.Exec(ctx, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"+role+"'"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
}

func itoa(n int) string { return fmt.Sprint(n) }
