package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
)

const (
	exampleVaultConfig = "../../examples/vault/hush.yaml"
	exampleMCPToken    = "canary-vault-example-mcp-token-8d02f1-NOT-REAL"
	exampleSecretID    = "canary-vault-example-secret-id-3a7c55-NOT-REAL"
	exampleRoleID      = "canary-vault-example-role-id-c19e47-NOT-REAL"
)

// examples/vault/hush.yaml as shipped passes config loading: hush check
// fails in the secrets stage (exit 4, not 3), since there is no Vault (nor
// its CA file) on this machine.
func TestVaultExampleLoads(t *testing.T) {
	code, out, errs := runHush(t, "check", "--config", exampleVaultConfig)
	if code != exitSecrets {
		t.Errorf("hush check exited %d, want %d (past config loading, failing on Vault):\n%s%s", code, exitSecrets, out, errs)
	}
}

// examples/vault/hush.yaml against a Vault test server set up as
// examples/vault/vault-setup.sh sets up Vault (AppRole role hush, KV v2
// secret secret/hush/mcp, database role hush-readonly issuing real
// PostgreSQL roles), over TLS with its CA file, and a PostgreSQL database
// orders: hush check passes, with only the addresses and file locations of
// the example changed.
func TestVaultExampleChecks(t *testing.T) {
	v := vaulttest.New()
	url, caFile := v.ListenTLS(t)
	app := newPGApp(t, "vexample", vaultOwnerPW,
		"CREATE TABLE orders(id int PRIMARY KEY, customer_id int, total numeric, status text, placed_at timestamptz)")
	roles := &vaulttest.PostgresRoles{AdminDSN: pg.AdminDSNFor, DB: app.DB,
		Grants: []string{"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {{name}}"}}
	t.Cleanup(roles.Close)
	v.MountDatabase("database")
	v.SetRole("database", "hush-readonly", roles.Hooks(vaulttest.Role{TTL: time.Hour, MaxTTL: 24 * time.Hour}))
	v.MountKV("secret", 2)
	v.PutKV("secret", "hush/mcp", map[string]any{"token": exampleMCPToken})
	v.AddAppRole("approle", "hush", exampleRoleID, exampleSecretID, vaulttest.TokenOptions{TTL: time.Hour, MaxTTL: 24 * time.Hour})

	dir := t.TempDir()
	roleIDFile := secretFile(t, dir, "role-id", exampleRoleID)
	t.Setenv("VAULT_SECRET_ID", exampleSecretID)
	cfg := localExample(t, dir, map[string]string{
		"https://vault.internal:8200":                 url,
		"/etc/vault/ca.pem":                           caFile,
		"file:///run/vault/role-id":                   "file://" + roleIDFile,
		"db.internal:5432/orders?sslmode=verify-full": fmt.Sprintf("127.0.0.1:%d/%s", pg.Port(), app.DB) + "?sslmode=disable",
		"listen: 0.0.0.0:8080":                        "listen: 127.0.0.1:0",
	})
	code, out, errs := runHush(t, "check", "--config", cfg)
	canaries := []string{exampleMCPToken, exampleSecretID, exampleRoleID}
	canaries = append(canaries, roles.Passwords()...)
	if code != exitOK {
		t.Fatalf("hush check exited %d:\n%s", code, scrubVault(out+errs, canaries...))
	}
	for _, want := range []string{"DB_CREDS", "MCP_TOKEN", "orders"} {
		if !strings.Contains(out, want) {
			t.Errorf("hush check report lacks %q:\n%s", want, scrubVault(out, canaries...))
		}
	}
	for where, text := range map[string]string{"hush check stdout": out, "hush check stderr": errs} {
		assertNoCanary(t, where, text, canaries...)
		if strings.Contains(text, vaulttest.Marker) {
			t.Errorf("%s holds a token or password (withheld)", where)
		}
	}
	if len(roles.Created()) != 1 || v.Count(vaulttest.Logins) != 1 {
		t.Errorf("%d database roles created and %d logins, want one each", len(roles.Created()), v.Count(vaulttest.Logins))
	}
	if left := existingRoles(t, roles.Created()); len(left) != 0 {
		t.Errorf("hush check left %d database roles behind, want its lease revoked", len(left))
	}
}

// localExample writes the example config into dir with each old string
// replaced by its new one; every old string must occur, so a change to the
// example that this test does not follow fails it.
func localExample(t *testing.T, dir string, replace map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(exampleVaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for old, repl := range replace {
		if !strings.Contains(text, old) {
			t.Fatalf("examples/vault/hush.yaml no longer contains %q", old)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	return hushYAML(t, dir, text)
}
