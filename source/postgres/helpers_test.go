package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/internal/testutil/pgtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

var srv *pgtest.Server

const appDB = "app"

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var err error
	if srv, err = pgtest.Start(); err != nil {
		return 0, err
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.CreateDatabase(ctx, appDB, pgtest.AdminUser); err != nil {
		return 0, err
	}
	if err := srv.Exec(ctx, appDB, "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)"); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// canary is an obviously fake password that tests assert never appears in
// any output.
func canary(tag string) string { return "canary-pw-" + tag + "-7f3a9c-NOT-REAL" }

// testCtx bounds one test's database calls.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer collects output from several goroutines.
type syncBuffer = leak.Buffer

// env is one role with its password published as a Kubernetes-style
// mounted secret, read by a real secret.Store with the file provider.
type env struct {
	t        testing.TB
	role     string
	password string
	used     []string // every password the role has had
	mount    *kubetest.Mount
	store    *secret.Store
	logs     *syncBuffer
	log      *slog.Logger
}

var roleSeq struct {
	sync.Mutex
	n int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	roleSeq.Lock()
	roleSeq.n++
	n := roleSeq.n
	roleSeq.Unlock()
	e := &env{t: t, role: "role_" + strconv.Itoa(n), logs: &syncBuffer{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.password = canary(strconv.Itoa(n) + "-v1")
	e.used = []string{e.password}
	ctx := testCtx(t)
	if err := srv.CreateRole(ctx, e.role, e.password); err != nil {
		t.Fatal(err)
	}
	grant := fmt.Sprintf("GRANT SELECT, INSERT ON items TO %s; GRANT USAGE ON SEQUENCE items_id_seq TO %[1]s",
		pgx.Identifier{e.role}.Sanitize())
	if err := srv.Exec(ctx, appDB, grant); err != nil {
		t.Fatal(err)
	}
	e.mount = kubetest.NewMount(t, filepath.Join(t.TempDir(), "db"), map[string]string{"password": e.password})
	e.store = e.openStore(ctx)
	t.Cleanup(func() {
		_ = e.store.Close()
		e.assertNoCanary("logs", e.logs.String())
	})
	return e
}

func (e *env) openStore(ctx context.Context) *secret.Store {
	mux := secret.NewMux()
	mux.Register("file", &file.Opener{Logger: e.log, Debounce: 20 * time.Millisecond, PollInterval: time.Second})
	decls := []secret.Decl{{Name: "DB_PASSWORD", From: "file://" + e.mount.Path("password")}}
	store, err := secret.Open(ctx, decls, secret.Options{Mux: mux, Logger: e.log})
	if err != nil {
		e.t.Fatal(err)
	}
	return store
}

// template is the DSN as it appears in config.
func (e *env) template() string {
	return fmt.Sprintf("postgres://%s:${secret:DB_PASSWORD}@127.0.0.1:%d/%s?sslmode=disable", e.role, srv.Port(), appDB)
}

func (e *env) open(t testing.TB, maxConns int) *postgres.Source {
	t.Helper()
	spec := postgres.Spec{Name: "main", DSN: e.template(), MaxConns: maxConns}
	s, err := postgres.Open(testCtx(t), spec, e.store, e.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// changePassword changes the role's password in the database only.
func (e *env) changePassword(tag string) (old string) {
	e.t.Helper()
	old, e.password = e.password, canary(e.role+"-"+tag)
	e.used = append(e.used, e.password)
	if err := srv.AlterPassword(testCtx(e.t), e.role, e.password); err != nil {
		e.t.Fatal(err)
	}
	return old
}

// publish writes value as the mounted secret, the way kubelet does.
func (e *env) publish(value string) {
	e.mount.Update(map[string]string{"password": value})
}

func (e *env) assertNoCanary(where, text string) {
	e.t.Helper()
	for _, pw := range e.used {
		if strings.Contains(text, pw) {
			e.t.Errorf("%s contain a password of role %s", where, e.role)
		}
	}
	if strings.Contains(text, "canary-pw-") {
		e.t.Errorf("%s contain a canary password", where)
	}
}

// scrub returns err's text with every password of the role replaced, for
// failure messages: test output must not carry a password either.
func (e *env) scrub(err error) string {
	if err == nil {
		return "<nil>"
	}
	text := err.Error()
	for _, pw := range e.used {
		text = strings.ReplaceAll(text, pw, "[PASSWORD]")
	}
	return text
}

// login opens a fresh connection with password and reports the result.
func (e *env) login(password string) error {
	ctx := testCtx(e.t)
	conn, err := pgx.Connect(ctx, srv.DSN(e.role, password, appDB))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func isAuthFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "28P01"
}

// eventually polls cond until it holds, for up to 15 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 15*time.Second, cond)
}

func mustQuery(t *testing.T, s *postgres.Source, q source.Query) *source.Result {
	t.Helper()
	res, err := s.Query(testCtx(t), q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	return res
}

// advisoryLock is an advisory lock held by a superuser session, so a test
// can park a call inside the database and release it at will.
type advisoryLock struct {
	t    *testing.T
	key  int64
	conn *pgx.Conn
}

func (e *env) holdLock(t *testing.T, key int64) *advisoryLock {
	t.Helper()
	// Advisory locks are per database: lock in the one the source uses.
	conn, err := pgx.Connect(testCtx(t), srv.AdminDSNFor(appDB))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(testCtx(t), "SELECT pg_advisory_lock($1)", key); err != nil {
		t.Fatal(err)
	}
	return &advisoryLock{t: t, key: key, conn: conn}
}

// waiters counts sessions waiting for the lock.
func (l *advisoryLock) waiters() int {
	var n int
	err := l.conn.QueryRow(testCtx(l.t), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, l.key).Scan(&n)
	if err != nil {
		l.t.Fatal(err)
	}
	return n
}

func (l *advisoryLock) release() {
	if _, err := l.conn.Exec(testCtx(l.t), "SELECT pg_advisory_unlock($1)", l.key); err != nil {
		l.t.Fatal(err)
	}
}

// backends counts the role's open sessions on the server.
func (e *env) backends() int {
	ctx := testCtx(e.t)
	conn, err := pgx.Connect(ctx, srv.AdminDSN())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", e.role).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
