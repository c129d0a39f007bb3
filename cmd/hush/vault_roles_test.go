package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
)

// The harness the Vault tests rely on, driven through the official client:
// credentials the test server issues are real PostgreSQL roles that can
// read the granted table; a renewal moves their VALID UNTIL; and when a
// lease ends, revoked or expired, its open sessions are terminated and
// the role can no longer log in.
func TestVaultRolesEndWithTheirLeases(t *testing.T) {
	e := newVaultEnv(t, "vroles", vaulttest.Role{TTL: 2 * time.Second})
	client, err := api.NewClient(&api.Config{Address: e.url})
	if err != nil {
		t.Fatal(err)
	}
	client.SetToken(e.token)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	expiring, expConn := issueAndConnect(ctx, t, e, client)
	revoked, revConn := issueAndConnect(ctx, t, e, client)
	before := validUntil(ctx, t, expiring)
	if _, err := client.Sys().RenewWithContext(ctx, expiring.LeaseID, 2); err != nil {
		t.Fatalf("renew: %s", scrubVault(err.Error(), e.canaries()...))
	}
	if after := validUntil(ctx, t, expiring); !after.After(before) {
		t.Errorf("a renewal left VALID UNTIL at %v (was %v)", after, before)
	}

	if err := client.Sys().RevokeWithContext(ctx, revoked.LeaseID); err != nil {
		t.Fatalf("revoke: %s", scrubVault(err.Error(), e.canaries()...))
	}
	wantEnded(ctx, t, e, "revoked", revoked, revConn)

	waitSlowly(t, "the unrenewed lease to expire and be reaped", 20*time.Second, func() bool { return e.reaped() > 0 })
	wantEnded(ctx, t, e, "expired", expiring, expConn)
}

// issueAndConnect reads new credentials and opens a session with them that
// reads the granted table.
func issueAndConnect(ctx context.Context, t *testing.T, e *vaultEnv, client *api.Client) (*api.Secret, *pgx.Conn) {
	t.Helper()
	sec, err := client.Logical().ReadWithContext(ctx, "database/creds/hush-ro")
	if err != nil || sec == nil || sec.LeaseID == "" {
		t.Fatalf("read credentials: %v", scrubVault(errString(err), e.canaries()...))
	}
	conn, err := pgx.Connect(ctx, credsDSN(e, sec))
	if err != nil {
		t.Fatalf("log in with issued credentials: %s", scrubVault(err.Error(), e.canaries()...))
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil || n != 16 {
		t.Fatalf("read the granted table: %d rows, %s", n, scrubVault(errString(err), e.canaries()...))
	}
	return sec, conn
}

func credsDSN(e *vaultEnv, sec *api.Secret) string {
	user, _ := sec.Data["username"].(string)
	pw, _ := sec.Data["password"].(string)
	return pg.DSN(user, pw, e.app.DB)
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// validUntil reads the role's VALID UNTIL.
func validUntil(ctx context.Context, t *testing.T, sec *api.Secret) time.Time {
	t.Helper()
	conn, err := pgx.Connect(ctx, pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var until time.Time
	if err := conn.QueryRow(ctx, "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", sec.Data["username"]).Scan(&until); err != nil {
		t.Fatalf("VALID UNTIL: %v", err)
	}
	return until
}

// wantEnded: the session opened with the credentials was terminated, a new
// login is refused, and the role is gone.
func wantEnded(ctx context.Context, t *testing.T, e *vaultEnv, how string, sec *api.Secret, conn *pgx.Conn) {
	t.Helper()
	_, err := conn.Exec(ctx, "SELECT 1")
	var pgErr *pgconn.PgError
	if err == nil || (errors.As(err, &pgErr) && pgErr.Code != "57P01") {
		t.Errorf("%s lease: its open session still works or failed otherwise: %s", how, scrubVault(errString(err), e.canaries()...))
	}
	err = pgLogin(ctx, credsDSN(e, sec))
	if !errors.As(err, &pgErr) || (pgErr.Code != "28P01" && pgErr.Code != "28000") {
		t.Errorf("%s lease: new login got %s, want it refused", how, scrubVault(errString(err), e.canaries()...))
	}
	if user, _ := sec.Data["username"].(string); len(existingRoles(t, []string{user})) != 0 {
		t.Errorf("%s lease: its role still exists", how)
	}
}
