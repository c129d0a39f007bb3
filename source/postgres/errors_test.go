package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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
			map[string]string{"PW": wrong}, `secret "NOPE" is not declared`, driver.ErrNotFound, 0},
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
			s, err := postgres.Open(ctx, postgres.Spec{Name: "main", DSN: tc.dsn}, store, e.log)
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
	for _, readOnly := range []bool{true, false} {
		// Server errors that quote their input are kept: they help fix a call.
		_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int", Args: []any{"abc"}, ReadOnly: readOnly})
		want := `query source "main": ERROR: invalid input syntax for type integer: "abc" (SQLSTATE 22P02)`
		if err == nil || err.Error() != want {
			t.Fatalf("got %s, want %s", e.scrub(err), want)
		}
		// The same error quoting the pool's own password keeps everything
		// but the password.
		_, err = s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int", Args: []any{"x " + e.password + " y"}, ReadOnly: readOnly})
		want = `query source "main": ERROR: invalid input syntax for type integer: "x [REDACTED] y" (SQLSTATE 22P02)`
		if err == nil || err.Error() != want {
			t.Fatalf("got %s, want %s", e.scrub(err), want)
		}
		assertScrubbedPgError(t, e, err, "22P02")
	}
}

// TestClientErrorsScrubbed checks an error raised by pgx itself, before
// anything is sent, that would print an argument holding the password: it
// names the parameter instead.
func TestClientErrorsScrubbed(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 1)
	type odd struct {
		S string
		C chan int
	}
	for _, readOnly := range []bool{true, false} {
		_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int4", Args: []any{odd{S: e.password}}, ReadOnly: readOnly})
		want := `query source "main": parameter $1: cannot be converted to the type the statement expects`
		if err == nil || err.Error() != want {
			t.Fatalf("read-only %t: got %s, want %s", readOnly, e.scrub(err), want)
		}
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			e.assertNoCanary("a wrapped error", u.Error())
		}
	}
}

// assertScrubbedPgError checks that err still carries the server's error
// with its SQLSTATE, and that no text field of it holds a password.
func assertScrubbedPgError(t *testing.T, e *env, err error, code string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		t.Fatalf("error %s: want a *pgconn.PgError with SQLSTATE %s", e.scrub(err), code)
	}
	e.assertNoCanary("the server error", fmt.Sprintf("%+v", *pgErr))
	if !strings.Contains(pgErr.Message, "[REDACTED]") {
		t.Errorf("server error message %q: want the password replaced", pgErr.Message)
	}
}

// TestQueryErrorsScrubEveryForm uses a password that every escaping
// changes, given as a whole-URL secret, and echoes it back in each form.
func TestQueryErrorsScrubEveryForm(t *testing.T) {
	e := newEnv(t)
	pw := canary(`sp@ce /:?#[]%&+=;'"\é`)
	e.used = append(e.used, pw)
	if err := srv.AlterPassword(testCtx(t), e.role, pw); err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "postgres", User: url.UserPassword(e.role, pw), Host: fmt.Sprintf("127.0.0.1:%d", srv.Port()),
		Path: "/" + appDB, RawQuery: "sslmode=disable"}
	dsn := u.String()
	store := storeWith(t, e, map[string]string{"DATABASE_URL": dsn})
	s, err := postgres.Open(testCtx(t), postgres.Spec{Name: "main", DSN: "${secret:DATABASE_URL}", MaxConns: 1}, store, e.log)
	if err != nil {
		t.Fatal(e.scrub(err))
	}
	defer s.Close()
	q := strconv.Quote(pw)
	forms := map[string]string{
		"raw":              pw,
		"query escaped":    url.QueryEscape(pw),
		"path escaped":     url.PathEscape(pw),
		"userinfo escaped": strings.TrimPrefix(url.UserPassword("", pw).String(), ":"),
		"go quoted":        q[1 : len(q)-1],
		"dsn":              dsn,
	}
	for name, f := range forms {
		_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT $1::int", Args: []any{"<" + f + ">"}, ReadOnly: true})
		text := fmt.Sprint(err)
		for other, g := range forms {
			if strings.Contains(text, g) {
				t.Errorf("%s: the error holds the %s form", name, other)
			}
		}
		if !strings.Contains(text, `integer: "<[REDACTED]>"`) {
			t.Errorf("%s: error %q: want the form replaced and the rest kept", name, scrubForms(text, forms))
		}
		assertScrubbedPgError(t, e, err, "22P02")
	}
}

// scrubForms replaces every form in text, for failure messages.
func scrubForms(text string, forms map[string]string) string {
	for _, f := range forms {
		text = strings.ReplaceAll(text, f, "[FORM]")
	}
	return text
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
