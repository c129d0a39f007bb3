package vault_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/redact"
)

const apiKey = "canary-search-api-key-NOT-REAL"

// bootEnv is a Vault test server on loopback and a hush.yaml that reads
// from it through the vault: block, with token file auth.
type bootEnv struct {
	srv   *vaulttest.Server
	token string
	yaml  string
}

func newBootEnv(t *testing.T) *bootEnv {
	t.Helper()
	b := &bootEnv{srv: vaulttest.New()}
	url := b.srv.Listen(t)
	b.srv.MountKV("secret", 2)
	b.srv.PutKV("secret", "hush/search", map[string]any{"api_key": apiKey})
	b.srv.MountDatabase("database")
	b.srv.SetRole("database", "hush-readonly", vaulttest.Role{TTL: time.Hour})
	b.token = b.srv.CreateToken(vaulttest.TokenOptions{TTL: time.Hour})
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, b.token)
	b.yaml = `
vault:
  address: ` + url + `
  token_file: ` + tokenFile + `
  kv_refresh: 1m
secrets:
  DB_CREDS: { from: "vault://database/creds/hush-readonly" }
  SEARCH_KEY: { from: "vault://secret/data/hush/search#api_key", min_length: 20 }
`
	return b
}

func (b *bootEnv) parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	kinds := config.Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: assembly.Providers(nil)}
	cfg, err := config.Parse("hush.yaml", []byte(yaml), kinds)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cfg
}

// The vault: block is decoded by config, the client is configured at
// start-up, secrets resolve over HTTP through the official client, fields
// of one lease expand together, and shutdown revokes the lease.
func TestBootWithVault(t *testing.T) {
	b := newBootEnv(t)
	cfg := b.parse(t, b.yaml)
	rt, err := boot.Start(context.Background(), cfg, boot.Options{Redactor: redact.New(redact.Options{})})
	if err != nil {
		_ = rt.Close()
		t.Fatalf("start: %s", safe(err))
	}
	if v, ok := rt.Store.Get("SEARCH_KEY"); !ok || v.RevealString() != apiKey {
		t.Error("KV v2 field not served")
	}
	dsn, err := rt.Store.Expand("${secret:DB_CREDS#username}:${secret:DB_CREDS#password}")
	if err != nil || !strings.HasPrefix(dsn, "v-token-") || !strings.Contains(dsn, marker) {
		t.Errorf("lease fields did not expand: %s", safe(err))
	}
	if len(b.srv.ActiveLeases()) != 1 {
		t.Fatalf("%d active leases after start, want 1", len(b.srv.ActiveLeases()))
	}
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(b.srv.ActiveLeases()); n != 0 {
		t.Errorf("%d leases left after shutdown, want them revoked", n)
	}
}

// An unknown key in the vault: block is a config error, like everywhere.
func TestVaultBlockIsStrict(t *testing.T) {
	b := newBootEnv(t)
	kinds := config.Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: assembly.Providers(nil)}
	_, err := config.Parse("hush.yaml", []byte(strings.Replace(b.yaml, "kv_refresh:", "kv_refreshh:", 1)), kinds)
	if err == nil || !strings.Contains(err.Error(), "kv_refreshh") {
		t.Errorf("unknown key accepted or not named: %v", err)
	}
}

// Vault down, sealed or refusing at start-up stops the start in the
// secrets stage, naming each secret and its error class, never a token.
func TestBootFailsWhenVaultFails(t *testing.T) {
	for _, c := range []struct {
		fault vaulttest.Fault
		class string
	}{
		{vaulttest.Fault{Down: true}, "unavailable"},
		{vaulttest.Fault{Sealed: true}, "unavailable"},
		{vaulttest.Fault{Status: 403}, "permission denied"},
	} {
		b := newBootEnv(t)
		b.srv.SetFault(c.fault)
		rt, err := boot.Start(context.Background(), b.parse(t, b.yaml),
			boot.Options{Redactor: redact.New(redact.Options{}), SecretTimeout: 5 * time.Second})
		_ = rt.Close()
		var be *boot.Error
		if !errors.As(err, &be) || be.Stage != boot.StageSecrets {
			t.Fatalf("%s: got %v, want a secrets-stage error", c.class, err)
		}
		msg := err.Error()
		for _, want := range []string{"DB_CREDS", "SEARCH_KEY", c.class} {
			if !strings.Contains(msg, want) {
				t.Errorf("start-up error does not name %q: %s", want, safe(err))
			}
		}
		if strings.Contains(msg, b.token) || strings.Contains(msg, marker) {
			t.Errorf("start-up error leaks a token or value (%d chars, withheld)", len(msg))
		}
	}
}
