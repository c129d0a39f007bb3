package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/internal/testutil/pgtest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// login connects with dsn and reports the server's answer.
func login(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func wantAuthFailure(t *testing.T, err error) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("got %v, want password authentication failure (28P01)", err)
	}
}

func TestRoleDatabaseAndPasswordChange(t *testing.T) {
	c := ctx(t)
	const oldPW, newPW = "canary-pw-1-it's-NOT-REAL", "canary-pw-2 @/:?%-NOT-REAL"
	if err := srv.CreateRole(c, "app user", oldPW); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateDatabase(c, "app db", "app user"); err != nil {
		t.Fatal(err)
	}
	if err := login(c, srv.DSN("app user", oldPW, "app db")); err != nil {
		t.Fatalf("login with the role's password: %v", err)
	}
	wantAuthFailure(t, login(c, srv.DSN("app user", "wrong", "app db")))

	if err := srv.AlterPassword(c, "app user", newPW); err != nil {
		t.Fatal(err)
	}
	wantAuthFailure(t, login(c, srv.DSN("app user", oldPW, "app db")))
	if err := login(c, srv.DSN("app user", newPW, "app db")); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
}

func TestExecAsAdmin(t *testing.T) {
	c := ctx(t)
	if err := srv.Exec(c, "postgres", "CREATE TABLE IF NOT EXISTS t (v text)"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(c, "postgres", "INSERT INTO t VALUES ($1)", "x"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(c, srv.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(c)
	var n int
	if err := conn.QueryRow(c, "SELECT count(*) FROM t WHERE v = 'x'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count = %d, %v; want 1", n, err)
	}
}

func TestServerSettings(t *testing.T) {
	c := ctx(t)
	conn, err := pgx.Connect(c, srv.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(c)
	for name, want := range map[string]string{"fsync": "off", "listen_addresses": "127.0.0.1", "password_encryption": "scram-sha-256"} {
		var got string
		if err := conn.QueryRow(c, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestStopIsIdempotentAndFreesThePort(t *testing.T) {
	s, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	if s.Port() == srv.Port() {
		t.Fatal("two servers share a port")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))
	s.Stop()
	s.Stop()
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatal("server still accepts connections after Stop")
	}
}
