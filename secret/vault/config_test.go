package vault_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/vault"
)

// fakeReader is a section.Reader over a map, recording problems by key.
type fakeReader struct {
	vals     map[string]any
	problems []string
	warnings []string
}

func (r *fakeReader) Path() string            { return "vault" }
func (r *fakeReader) Has(key string) bool     { _, ok := r.vals[key]; return ok }
func (r *fakeReader) Resolve(p string) string { return "/etc/hush/" + p }

func (r *fakeReader) Require(keys ...string) bool {
	ok := true
	for _, k := range keys {
		if !r.Has(k) {
			r.Errorf(k, "is required")
			ok = false
		}
	}
	return ok
}

func (r *fakeReader) String(key string) (string, bool) {
	v, ok := r.vals[key].(string)
	return v, ok && v != ""
}

func (r *fakeReader) Enum(key string, valid ...string) (string, bool) {
	v, ok := r.String(key)
	if ok && !slices.Contains(valid, v) {
		r.Errorf(key, "must be one of %v", valid)
		return "", false
	}
	return v, ok
}

func (r *fakeReader) Template(key string) (string, bool)         { return r.String(key) }
func (r *fakeReader) Templates(string) (map[string]string, bool) { return nil, false }
func (r *fakeReader) File(key string) (string, bool)             { return r.String(key) }
func (r *fakeReader) Int(string, int64, int64) (int64, bool)     { return 0, false }
func (r *fakeReader) Strings(string) ([]string, bool)            { return nil, false }
func (r *fakeReader) Bool(key string) (bool, bool)               { v, ok := r.vals[key].(bool); return v, ok }
func (r *fakeReader) Duration(key string) (time.Duration, bool) {
	v, ok := r.vals[key].(time.Duration)
	return v, ok
}
func (r *fakeReader) Errorf(key, format string, args ...any) {
	r.problems = append(r.problems, key+": "+fmt.Sprintf(format, args...))
}
func (r *fakeReader) Warnf(key, format string, args ...any) {
	r.warnings = append(r.warnings, key+": "+fmt.Sprintf(format, args...))
}

func decode(t *testing.T, vals map[string]any) (*vault.Config, []string) {
	t.Helper()
	r := &fakeReader{vals: vals}
	c := (&vault.Opener{}).DecodeBlock(r).(*vault.Config)
	return c, r.problems
}

func TestDecodeBlockDefaults(t *testing.T) {
	c, problems := decode(t, map[string]any{})
	if len(problems) > 0 || c.AuthMethod != "token" || c.KVRefresh != vault.DefaultKVRefresh || !c.RevokeOnShutdown {
		t.Errorf("defaults: %+v %v", c, problems)
	}
}

func TestDecodeBlockAppRole(t *testing.T) {
	c, problems := decode(t, map[string]any{
		"address": "https://vault.example:8200", "namespace": "team-a",
		"auth_method": "approle", "auth_mount": "hush", "role_id": "file:vault/role-id",
		"secret_id": "env://VAULT_SECRET_ID", "tls_ca_file": "/etc/vault/ca.pem",
		"tls_server_name": "vault.internal", "kv_refresh": time.Minute, "revoke_on_shutdown": false,
	})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := vault.Config{
		Address: "https://vault.example:8200", Namespace: "team-a", AuthMethod: "approle", AuthMount: "hush",
		RoleID: "file:///etc/hush/vault/role-id", SecretID: "env://VAULT_SECRET_ID", CAFile: "/etc/vault/ca.pem",
		TLSServerName: "vault.internal", KVRefresh: time.Minute,
	}
	if *c != want {
		t.Errorf("got %+v\nwant %+v", *c, want)
	}
}

func TestDecodeBlockProblems(t *testing.T) {
	const inline = "canary-inline-secret-id-NOT-REAL"
	cases := []struct {
		vals map[string]any
		keys []string // keys with a problem
	}{
		{map[string]any{"auth_method": "approle"}, []string{"role_id", "secret_id"}},
		{map[string]any{"auth_method": "approle", "role_id": "env://R", "secret_id": inline}, []string{"secret_id"}},
		{map[string]any{"auth_method": "approle", "role_id": "vault://secret/r", "secret_id": "env://S"}, []string{"role_id"}},
		{map[string]any{"auth_method": "kubernetes"}, []string{"role"}},
		{map[string]any{"auth_method": "kubernetes", "role": "r", "token_file": "/t"}, []string{"token_file"}},
		{map[string]any{"role_id": "env://R"}, []string{"role_id"}},
		{map[string]any{"auth_method": "ldap"}, []string{"auth_method"}},
		{map[string]any{"auth_mount": "x"}, []string{"auth_mount"}},
		{map[string]any{"address": "vault:8200"}, []string{"address"}},
		{map[string]any{"address": "https://u:p@vault:8200"}, []string{"address"}},
		{map[string]any{"kv_refresh": time.Millisecond}, []string{"kv_refresh"}},
	}
	for _, c := range cases {
		_, problems := decode(t, c.vals)
		var keys []string
		for _, p := range problems {
			keys = append(keys, strings.SplitN(p, ":", 2)[0])
			if strings.Contains(p, "NOT-REAL") || strings.Contains(p, "u:p") {
				t.Errorf("problem repeats a credential: %d chars withheld", len(p))
			}
		}
		if !slices.Equal(keys, c.keys) {
			t.Errorf("%v: problems at %v, want %v (%v)", c.vals["auth_method"], keys, c.keys, len(problems))
		}
	}
}

func TestBlockKeysCoverDecode(t *testing.T) {
	keys := (&vault.Opener{}).BlockKeys()
	for _, k := range []string{"address", "namespace", "auth_method", "auth_mount", "token_file", "role_id",
		"secret_id", "role", "jwt_file", "tls_ca_file", "tls_server_name", "tls_skip_verify", "kv_refresh", "revoke_on_shutdown"} {
		if !slices.Contains(keys, k) {
			t.Errorf("BlockKeys lacks %s", k)
		}
	}
}

func TestConfigureRules(t *testing.T) {
	o := &vault.Opener{}
	if err := o.Configure(context.Background(), "not a block"); err == nil {
		t.Error("a foreign block type was accepted")
	}
	cfg := vault.DefaultConfig()
	cfg.Address = "http://127.0.0.1:1"
	if err := o.Configure(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := o.OpenSecret(context.Background(), mustRef(t, "vault://secret/app")); err != nil {
		t.Fatal(err)
	}
	if err := o.Configure(context.Background(), &cfg); err == nil {
		t.Error("configured again after a secret was opened")
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.OpenSecret(context.Background(), mustRef(t, "vault://secret/app")); err == nil {
		t.Error("opened a secret after Close")
	}
}
