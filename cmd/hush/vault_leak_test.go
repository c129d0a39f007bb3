package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
)

// Canaries of TestVaultLeakCanary: the AppRole credentials Hush logs in
// with, a KV v2 API key, and the text of error bodies Vault sends back.
// Tokens and passwords the test server issues carry vaulttest.Marker.
const (
	vaultRoleID   = "canary-vault-role-id-6b1f0e-NOT-REAL"
	vaultSecretID = "canary-vault-secret-id-91ad3c-NOT-REAL"
	vaultAPIKey   = "canary-vault-api-key-52c7d8-NOT-REAL"
	vaultErrBody  = "canary-vault-error-body-e40b19-NOT-REAL"
)

const vaultLeakYAML = `server:
  name: hush-vault-leak
  transport: http
vault:
  address: %[1]s
  auth_method: approle
  role_id: file:role-id
  secret_id: env://HUSH_TEST_VAULT_SECRET_ID
  kv_refresh: 1s
secrets:
  DB: { from: "vault://database/creds/hush-ro" }
  API_KEY: { from: "vault://secret/hush/search#api_key", min_length: 20 }
sources:
  main:
    kind: postgres
    dsn: postgres://${secret:DB#username}:${secret:DB#password}@127.0.0.1:%[2]d/%[3]s?sslmode=disable
    max_conns: 2
tools:
  item:
    kind: sql
    source: main
    description: Name an item.
    statement: SELECT name FROM items WHERE id = $1
    parameters:
      - { name: id, type: integer, required: true }
    read_only: true
`

// vaultLeak is a Vault test server with AppRole auth, a KV v2 secret and a
// database role over pg, a config that uses them, and every byte that
// left Hush for a client or a caller.
type vaultLeak struct {
	*vaultEnv
	cfg  string
	seen *lockedBuffer
}

func newVaultLeak(t *testing.T) *vaultLeak {
	t.Helper()
	e := newVaultEnv(t, "vleak", vaulttest.Role{TTL: 3 * time.Second, MaxTTL: 6 * time.Second})
	e.vault.AddAppRole("approle", "hush", vaultRoleID, vaultSecretID, vaulttest.TokenOptions{TTL: time.Hour})
	e.vault.MountKV("secret", 2)
	e.vault.PutKV("secret", "hush/search", map[string]any{"api_key": vaultAPIKey})
	secretFile(t, e.dir, "role-id", vaultRoleID)
	t.Setenv("HUSH_TEST_VAULT_SECRET_ID", vaultSecretID)
	cfg := hushYAML(t, e.dir, fmt.Sprintf(vaultLeakYAML, e.url, pg.Port(), e.app.DB))
	return &vaultLeak{vaultEnv: e, cfg: cfg, seen: &lockedBuffer{}}
}

func (v *vaultLeak) canaries() []string {
	return append(v.vaultEnv.canaries(), vaultRoleID, vaultSecretID, vaultAPIKey, vaultErrBody)
}

// errorBody is what a Vault plug-in might answer: an error that quotes
// the credentials it was handling.
func (v *vaultLeak) errorBody() string {
	pws := v.roles.Passwords()
	last := ""
	if len(pws) > 0 {
		last = pws[len(pws)-1]
	}
	return fmt.Sprintf("%s: pq: password %q for role_id %s secret_id %s rejected", vaultErrBody, last, vaultRoleID, vaultSecretID)
}

// record adds what a command or client saw to the checked output.
func (v *vaultLeak) record(where, text string) {
	_, _ = io.WriteString(v.seen, "\n["+where+"]\n"+text+"\n")
}

// check runs hush check and wants the given exit code.
func (v *vaultLeak) check(t *testing.T, want int) string {
	t.Helper()
	code, out, errs := runHush(t, "check", "--config", v.cfg, "--log-level", "debug")
	v.record("hush check stdout", out)
	v.record("hush check stderr", errs)
	if code != want {
		t.Errorf("hush check exited %d, want %d:\n%s", code, want, scrubVault(out+errs, v.canaries()...))
	}
	return errs
}

// assertClean checks everything recorded, and one more text.
func (v *vaultLeak) assertClean(t *testing.T, where, text string) {
	t.Helper()
	for w, s := range map[string]string{where: text, "client-visible output": v.seen.String()} {
		assertNoCanary(t, w, s, v.canaries()...)
		if strings.Contains(s, vaulttest.Marker) {
			t.Errorf("%s holds part of a canary, a Vault token or a password (withheld)", w)
		}
	}
}

// No Vault credential and no value Vault hands out reaches any output:
// not the AppRole role_id and secret_id, not the client token a login
// returns, not the KV API key, not any issued database password, and not
// the text of Vault's error bodies, which here quote such values. Covered:
// hush check and hush serve failing at start-up on a refused login and on
// a failing secrets engine, a server at debug level through a credential
// replacement, failing lease renewals and failing KV re-reads, tool calls
// and health reports during those failures.
func TestVaultLeakCanary(t *testing.T) {
	v := newVaultLeak(t)
	t.Run("refused login at start-up", func(t *testing.T) {
		v.vault.SetFault(vaulttest.Fault{Status: 400, Message: v.errorBody(), Paths: []string{"auth/approle/login"}})
		errs := v.check(t, exitSecrets)
		for _, want := range []string{"DB", "API_KEY", "invalid"} {
			if !strings.Contains(errs, want) {
				t.Errorf("hush check stderr lacks %q:\n%s", want, scrubVault(errs, v.canaries()...))
			}
		}
		code, out, errs := runHush(t, "serve", "--config", v.cfg, "--transport", "http", "--listen", "127.0.0.1:0")
		v.record("hush serve output", out+errs)
		if code != exitSecrets {
			t.Errorf("hush serve exited %d, want %d", code, exitSecrets)
		}
	})
	t.Run("failing engine at start-up", func(t *testing.T) {
		v.vault.SetFault(vaulttest.Fault{Status: 500, Message: v.errorBody(), Paths: []string{"database/creds/"}})
		errs := v.check(t, exitSecrets)
		if !strings.Contains(errs, "DB") || !strings.Contains(errs, "unavailable") {
			t.Errorf("hush check stderr does not name DB as unavailable:\n%s", scrubVault(errs, v.canaries()...))
		}
		v.vault.SetFault(vaulttest.Fault{})
		v.check(t, exitOK)
	})
	t.Run("serving through failures", v.serveThroughFailures)
	v.assertClean(t, "recorded output", "")
}

// serveThroughFailures runs a server at debug level while Vault fails a
// lease renewal and KV re-reads with bodies quoting secrets, and while the
// lease is replaced; a client calls tools and health_check throughout.
func (v *vaultLeak) serveThroughFailures(t *testing.T) {
	srv := startServe(t, "--config", v.cfg, "--log-level", "debug")
	cs := connectMCP(t, srv.URL, "", v.seen)
	v.calls(t, cs)
	for _, f := range []struct {
		what  string
		fault vaulttest.Fault
	}{
		{"a lease renewal", vaulttest.Fault{Status: 500, Paths: []string{"sys/leases/renew"}}},
		{"KV re-reads", vaulttest.Fault{Status: 403, Paths: []string{"secret/"}}},
		{"a sealed Vault", vaulttest.Fault{Sealed: true}},
	} {
		f.fault.Message = v.errorBody()
		rejected := v.vault.Count(vaulttest.Rejected)
		v.vault.SetFault(f.fault)
		waitSlowly(t, "Vault to refuse "+f.what, 20*time.Second, func() bool {
			return v.vault.Count(vaulttest.Rejected) > rejected
		})
		v.calls(t, cs)
		v.vault.SetFault(vaulttest.Fault{})
	}
	waitSlowly(t, "a replaced lease to be revoked", 20*time.Second, func() bool {
		c := v.roles.Created()
		return len(c) > 1 && v.roles.Dropped(c[0])
	})
	v.calls(t, cs)
	_ = cs.Close()
	if code := srv.Stop(); code != exitOK {
		t.Errorf("hush serve exited %d", code)
	}
	v.assertClean(t, "server stderr", srv.Stderr.String())
	v.assertClean(t, "server stdout", srv.Stdout.String())
}

// calls runs the item tool (with good and bad arguments) and
// health_check, recording everything the client received.
func (v *vaultLeak) calls(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	for _, c := range []struct {
		name string
		args map[string]any
	}{
		{"item", map[string]any{"id": 1}},
		{"item", map[string]any{"id": "one"}},
		{"health_check", nil},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.name, Arguments: c.args})
		cancel()
		b, _ := json.Marshal(res)
		text := string(b)
		if err != nil {
			text += "\n" + err.Error()
		}
		v.record("call "+c.name, text)
	}
}
