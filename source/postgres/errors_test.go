package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

// storeWith returns a store serving values, each from its own mounted file.
func storeWith(t *testing.T, e *env, values map[string]string) *secret.Store {
	t.Helper()
	var decls []secret.Decl
	for name, v := range values {
		m := kubetest.NewMount(t, filepath.Join(t.TempDir(), name), map[string]string{"value": v})
		decls = append(decls, secret.Decl{Name: name, From: "file://" + m.Path("value")})
	}
	mux := secret.NewMux()
	mux.Register("file", &file.Opener{Logger: e.log})
	store, err := secret.Open(testCtx(t), decls, secret.Options{Mux: mux, Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestOpenErrorsNeverHoldCredentials(t *testing.T) {
	e := newEnv(t)
	wrong := canary("wrong-password")
	e.used = append(e.used, wrong)
	url := func(user, pw string, port int, db string) string {
		return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", user, pw, port, db)
	}
	cases := []struct {
		name    string
		dsn     string
		values  map[string]string
		want    string
		code    error
		timeout time.Duration
	}{
		{"wrong password", "postgres://" + e.role + ":${secret:PW}@127.0.0.1:" + fmt.Sprint(srv.Port()) + "/app?sslmode=disable",
			map[string]string{"PW": wrong}, "authentication failed (SQLSTATE 28P01)", driver.ErrPermission, 0},
		{"whole url secret", "${secret:DATABASE_URL}",
			map[string]string{"DATABASE_URL": url(e.role, wrong, srv.Port(), "app")}, "authentication failed", driver.ErrPermission, 0},
		{"refused", "${secret:DATABASE_URL}",
			map[string]string{"DATABASE_URL": url(e.role, wrong, closedPort(t), "app")}, "connection refused", driver.ErrUnavailable, 0},
		{"malformed", "${secret:DATABASE_URL}",
			map[string]string{"DATABASE_URL": "postgres://" + e.role + ":" + wrong + "@127.0.0.1:notaport/app"}, "invalid connection string", driver.ErrInvalid, 0},
		{"unknown database", "${secret:DATABASE_URL}",
			map[string]string{"DATABASE_URL": url(e.role, e.password, srv.Port(), "nope")}, "database does not exist", driver.ErrInvalid, 0},
		{"timeout", "${secret:DATABASE_URL}",
			map[string]string{"DATABASE_URL": url(e.role, wrong, srv.Port(), "app")}, "timed out", context.DeadlineExceeded, time.Nanosecond},
		{"missing secret", "postgres://" + e.role + ":${secret:NOPE}@127.0.0.1/app",
			map[string]string{"PW": wrong}, `secret "NOPE" is not available`, driver.ErrNotFound, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := storeWith(t, e, tc.values)
			ctx := testCtx(t)
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			s, err := postgres.Open(ctx, source.Spec{Name: "main", DSN: tc.dsn}, store, e.log)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			e.assertNoCanary("error", msg)
			if strings.Contains(msg, e.role) {
				t.Errorf("error names the role (it may be a generated credential): %s", e.scrub(err))
			}
			if !strings.Contains(msg, `source "main"`) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q: want it to name the source and say %q", e.scrub(err), tc.want)
			}
			if !errors.Is(err, tc.code) {
				t.Errorf("error %q does not wrap %v", e.scrub(err), tc.code)
			}
		})
	}
}

func TestQueryErrorsNeverHoldCredentials(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 1)
	// Server errors that quote their input are kept: they help fix a call.
	_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int", Args: []any{"abc"}, ReadOnly: true})
	want := `query source "main": ERROR: invalid input syntax for type integer: "abc" (SQLSTATE 22P02)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %s, want %s", e.scrub(err), want)
	}
	// The same error quoting the pool's own password is replaced.
	_, err = s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int", Args: []any{e.password}, ReadOnly: true})
	if err == nil || err.Error() != `query source "main": database error` {
		t.Fatalf("got %s, want the generic database error", e.scrub(err))
	}
}

func TestCallsAfterCloseFail(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Query(testCtx(t), source.Query{SQL: "SELECT 1"}); !errors.Is(err, source.ErrClosed) {
		t.Fatalf("Query after Close: got %v, want ErrClosed", err)
	}
	if err := s.Ping(testCtx(t)); !errors.Is(err, source.ErrClosed) {
		t.Fatalf("Ping after Close: got %v, want ErrClosed", err)
	}
	if st := s.State(); st.Status != "closed" {
		t.Fatalf("state %q after Close, want closed", st.Status)
	}
}
