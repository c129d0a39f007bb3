package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

const rotationYAML = `server:
  name: hush-rotation
  transport: http
secrets:
  DB_PASSWORD:
    from: file://%s
    min_length: 16
sources:
  main:
    kind: postgres
    dsn: postgres://%s:${secret:DB_PASSWORD}@127.0.0.1:%d/%s?sslmode=disable
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

// Rotation settings: each rotation waits for this many calls before the
// password changes in PostgreSQL, and again before the new value reaches
// the mount (the window in which the old pool must keep serving).
const (
	rotations         = 3
	workers           = 8
	minCalls          = 2000
	callsBeforeAlter  = 250
	callsBeforeUpdate = 60
	callsAfterLast    = 40 // per worker, after the last swap
)

func rotationPasswords() []string {
	pws := make([]string, rotations+1)
	for i := range pws {
		pws[i] = fmt.Sprintf("canary-pg-pw-%d-NOT-REAL", i+1)
	}
	return pws
}

// The database password lives in a Kubernetes Secret mount and is rotated
// three times (ALTER ROLE, then the mount update) while eight MCP clients
// keep calling a SQL tool: no call fails or returns a wrong result, the
// old passwords stop working, and no password reaches any output.
func TestRotationUnderLoad(t *testing.T) {
	for _, m := range answerModes {
		t.Run(m.name, func(t *testing.T) { rotationUnderLoad(t, m.yaml) })
	}
}

func rotationUnderLoad(t *testing.T, mode string) {
	pws := rotationPasswords()
	app := newPGApp(t, "rot", pws[0],
		"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g")
	dir := t.TempDir()
	mount := kubetest.NewMount(t, filepath.Join(dir, "db-credentials"), map[string]string{"password": pws[0]})
	cfg := hushYAML(t, dir, withMode(fmt.Sprintf(rotationYAML, mount.Path("password"), app.Role, pg.Port(), app.DB), mode))
	srv := startServe(t, "--config", cfg)
	seen := &lockedBuffer{}
	l := startCallers(t, srv.URL, seen, pws)
	for i := 1; i <= rotations; i++ {
		l.waitCalls(t, callsBeforeAlter)
		if err := pg.AlterPassword(context.Background(), app.Role, pws[i]); err != nil {
			t.Fatal(err)
		}
		l.waitCalls(t, callsBeforeUpdate)
		mount.Update(map[string]string{"password": pws[i]})
		waitUntil(t, fmt.Sprintf("swap %d", i), 20*time.Second, func() bool {
			return len(logEntries(srv.Stderr.String(), "source credentials swapped")) >= i || l.failed.Load() > 0
		})
	}
	l.waitEachWorker(t, callsAfterLast)
	l.waitTotal(t, minCalls)
	l.finish(t)

	checkLogins(t, app, pws)
	checkRotationLog(t, srv.Stderr.String(), pws)
	assertNoCanary(t, "server stderr", srv.Stderr.String(), pws...)
	assertNoCanary(t, "server stdout", srv.Stdout.String(), pws...)
	assertNoCanary(t, "client traffic", seen.String(), pws...)
}

// callers are the workers of TestRotationUnderLoad, each with its own
// session.
type callers struct {
	canaries []string
	ok       atomic.Int64
	failed   atomic.Int64
	perOK    [workers]atomic.Int64
	firstErr atomic.Pointer[string] // scrubbed
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startCallers(t *testing.T, url string, seen *lockedBuffer, canaries []string) *callers {
	l := &callers{canaries: canaries, stop: make(chan struct{})}
	sessions := make([]*mcp.ClientSession, workers)
	for w := range sessions {
		sessions[w] = connectMCP(t, url, "", seen)
	}
	for w, cs := range sessions {
		l.wg.Go(func() { l.work(cs, w) })
	}
	t.Cleanup(l.halt) // on an early Fatal; finish has already stopped them otherwise
	return l
}

func (l *callers) work(cs *mcp.ClientSession, w int) {
	for i := int64(0); ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		id := (int64(w)+i)%16 + 1
		n := int64(w)*1_000_000 + i
		if err := l.call(cs, id, n); err != nil {
			l.failed.Add(1)
			msg := scrub(fmt.Sprintf("worker %d call %d: %v", w, i, err), l.canaries...)
			l.firstErr.CompareAndSwap(nil, &msg)
			continue
		}
		l.ok.Add(1)
		l.perOK[w].Add(1)
	}
}

// call runs the item tool once and checks its structured result.
func (l *callers) call(cs *mcp.ClientSession, id, n int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "item", Arguments: map[string]any{"id": id, "n": n}})
	switch {
	case err != nil:
		return err
	case res.IsError:
		return fmt.Errorf("tool error: %s", toolText(res))
	}
	var got struct {
		Rows [][]json.RawMessage
	}
	if err := remarshal(res.StructuredContent, &got); err != nil {
		return err
	}
	want := fmt.Sprintf(`[["item-%d" %d]]`, id, n+1)
	if s := fmt.Sprintf("%s", got.Rows); s != want {
		return fmt.Errorf("rows %s, want %s", s, want)
	}
	return nil
}

func (l *callers) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// waitCalls waits until n more calls than now have succeeded; it gives up
// early when a call fails.
func (l *callers) waitCalls(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	waitUntil(t, fmt.Sprintf("%d more calls", n), 20*time.Second, func() bool {
		return l.ok.Load() >= target || l.failed.Load() > 0
	})
}

// waitEachWorker waits until every worker has n more successful calls.
func (l *callers) waitEachWorker(t *testing.T, n int64) {
	t.Helper()
	var targets [workers]int64
	for w := range targets {
		targets[w] = l.perOK[w].Load() + n
	}
	waitUntil(t, "every worker to succeed after the last rotation", 20*time.Second, func() bool {
		for w := range targets {
			if l.perOK[w].Load() < targets[w] && l.failed.Load() == 0 {
				return false
			}
		}
		return true
	})
}

func (l *callers) waitTotal(t *testing.T, n int64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d calls in total", n), 30*time.Second, func() bool {
		return l.ok.Load() >= n || l.failed.Load() > 0
	})
}

// finish stops the workers and fails the test if any call failed.
func (l *callers) finish(t *testing.T) {
	t.Helper()
	l.halt()
	if n := l.failed.Load(); n > 0 {
		t.Fatalf("%d of %d calls failed; first: %s", n, n+l.ok.Load(), *l.firstErr.Load())
	}
	t.Logf("%d calls by %d workers across %d rotations, none failed", l.ok.Load(), workers, rotations)
}

// checkLogins logs in afresh with every password: only the newest works,
// the old ones are rejected by the server as wrong passwords.
func checkLogins(t *testing.T, app pgApp, pws []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, pw := range pws {
		err := pgLogin(ctx, pg.DSN(app.Role, pw, app.DB))
		var pgErr *pgconn.PgError
		switch {
		case i == len(pws)-1 && err != nil:
			t.Errorf("login with the newest password: %s", scrub(err.Error(), pws...))
		case i < len(pws)-1 && (!errors.As(err, &pgErr) || pgErr.Code != "28P01"):
			t.Errorf("login with password %d of %d: got %s, want SQLSTATE 28P01", i+1, len(pws), scrub(fmt.Sprint(err), pws...))
		}
	}
}

func pgLogin(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// checkRotationLog wants one "secret rotated" line per rotation, all for
// DB_PASSWORD, and one credential swap of the source per rotation.
func checkRotationLog(t *testing.T, logs string, pws []string) {
	t.Helper()
	rotated := logEntries(logs, "secret rotated")
	if len(rotated) != rotations {
		t.Errorf("%d \"secret rotated\" log lines, want %d", len(rotated), rotations)
	}
	for _, e := range rotated {
		if e["secret"] != "DB_PASSWORD" {
			t.Errorf("rotation logged for secret %v, want DB_PASSWORD", e["secret"])
		}
	}
	if n := len(logEntries(logs, "source credentials swapped")); n != rotations {
		t.Errorf("%d credential swaps logged, want %d", n, rotations)
	}
	if n := len(logEntries(logs, "source credential swap")); n != 0 {
		t.Errorf("%d failed credential swaps logged, want none:\n%s", n, scrub(logs, pws...))
	}
}
