package vault

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/secret"
)

// Defaults.
const (
	DefaultKVRefresh  = 5 * time.Minute // like Vault Agent's static secret refresh
	DefaultJWTFile    = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	minKVRefresh      = time.Second
	defaultAuthMethod = "token"
)

// Config is the top-level vault: block of hush.yaml. section.Reader reads
// flat keys only, so the auth and TLS settings are flattened with prefixes
// (auth_method, tls_ca_file...) instead of nested blocks.
type Config struct {
	Address   string // overrides VAULT_ADDR
	Namespace string // overrides VAULT_NAMESPACE

	AuthMethod string // token (default), approle or kubernetes
	AuthMount  string // auth/<mount>/login; default: the method's name
	TokenFile  string // token method: re-read when it changes; empty: VAULT_TOKEN
	RoleID     string // approle: a secret reference (file://, env://...)
	SecretID   string // approle: a secret reference
	Role       string // kubernetes: the Vault role
	JWTFile    string // kubernetes: the service-account token; default DefaultJWTFile

	CAFile        string // overrides VAULT_CACERT
	TLSServerName string // overrides VAULT_TLS_SERVER_NAME
	TLSSkipVerify bool   // overrides VAULT_SKIP_VERIFY when true

	KVRefresh        time.Duration // KV re-read period; default DefaultKVRefresh
	RevokeOnShutdown bool          // revoke held leases at Close; default true
}

// DefaultConfig is the configuration without a vault: block: everything
// from the VAULT_* environment, token auth.
func DefaultConfig() Config {
	return Config{AuthMethod: defaultAuthMethod, KVRefresh: DefaultKVRefresh, RevokeOnShutdown: true}
}

var blockKeys = []string{
	"address", "namespace",
	"auth_method", "auth_mount", "token_file", "role_id", "secret_id", "role", "jwt_file",
	"tls_ca_file", "tls_server_name", "tls_skip_verify",
	"kv_refresh", "revoke_on_shutdown",
}

// BlockKeys lists the keys of the vault: block.
func (o *Opener) BlockKeys() []string { return append([]string(nil), blockKeys...) }

// DecodeBlock reads the vault: block into a *Config. It does no I/O; every
// problem is recorded on r, and the returned value is only used when there
// were none.
func (o *Opener) DecodeBlock(r section.Reader) any {
	c := DefaultConfig()
	decodeServer(r, &c)
	decodeAuth(r, &c)
	decodeTLS(r, &c)
	if d, ok := r.Duration("kv_refresh"); ok {
		if d < minKVRefresh {
			r.Errorf("kv_refresh", "must be at least %v", minKVRefresh)
		}
		c.KVRefresh = d
	}
	if b, ok := r.Bool("revoke_on_shutdown"); ok {
		c.RevokeOnShutdown = b
	}
	return &c
}

func decodeServer(r section.Reader, c *Config) {
	if v, ok := r.String("address"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			r.Errorf("address", "must be an http:// or https:// URL without credentials")
		}
		c.Address = v
	}
	if v, ok := r.String("namespace"); ok {
		c.Namespace = v
	}
}

func decodeAuth(r section.Reader, c *Config) {
	if v, ok := r.Enum("auth_method", "token", "approle", "kubernetes"); ok {
		c.AuthMethod = v
	}
	if v, ok := r.String("auth_mount"); ok {
		c.AuthMount = v
	}
	c.TokenFile, _ = r.File("token_file")
	c.RoleID = fileRelative(r, "role_id")
	c.SecretID = fileRelative(r, "secret_id")
	c.Role, _ = r.String("role")
	c.JWTFile, _ = r.File("jwt_file")
	onlyFor(r, c.AuthMethod, "token", "token_file")
	onlyFor(r, c.AuthMethod, "approle", "role_id", "secret_id")
	onlyFor(r, c.AuthMethod, "kubernetes", "role", "jwt_file")
	switch c.AuthMethod {
	case "approle":
		if r.Require("role_id", "secret_id") {
			checkSecretRef(r, "role_id", c.RoleID)
			checkSecretRef(r, "secret_id", c.SecretID)
		}
	case "kubernetes":
		r.Require("role")
	case "token":
		if r.Has("auth_mount") {
			r.Errorf("auth_mount", "is not used by auth_method: token")
		}
	}
}

// fileRelative reads a secret reference and, like the secrets section
// does, resolves a relative file: reference against the config file's
// directory.
func fileRelative(r section.Reader, key string) string {
	v, _ := r.String(key)
	if rest, ok := strings.CutPrefix(v, "file:"); ok && !strings.HasPrefix(rest, "//") {
		return "file://" + r.Resolve(rest)
	}
	return v
}

// onlyFor reports keys set for another auth method than the one in use.
func onlyFor(r section.Reader, method, owner string, keys ...string) {
	if method == owner {
		return
	}
	for _, k := range keys {
		if r.Has(k) {
			r.Errorf(k, "is only used with auth_method: %s", owner)
		}
	}
}

// checkSecretRef checks that a credential is given as a reference to
// another provider, never inline and never through Vault itself (Vault
// cannot hand out the credentials needed to log in to it).
func checkSecretRef(r section.Reader, key, v string) {
	ref, err := secret.ParseRef(v)
	switch {
	case err != nil:
		r.Errorf(key, "must be a secret reference such as file:///run/vault/%s or env://VAULT_%s",
			key, upper(key))
	case ref.Scheme == "vault":
		r.Errorf(key, "cannot be a vault:// reference (it is needed to log in to Vault)")
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func decodeTLS(r section.Reader, c *Config) {
	c.CAFile, _ = r.File("tls_ca_file")
	c.TLSServerName, _ = r.String("tls_server_name")
	if b, ok := r.Bool("tls_skip_verify"); ok {
		c.TLSSkipVerify = b
		if b {
			r.Warnf("tls_skip_verify", "TLS certificates are not verified: anyone on the path can read every secret")
		}
	}
}

// Configure builds the shared client from what DecodeBlock returned (nil:
// DefaultConfig). It does no network I/O: the first login happens when the
// first secret is fetched, so a Vault outage at start-up is reported per
// secret. Configure replaces an earlier configuration only while no secret
// has been opened.
func (o *Opener) Configure(_ context.Context, block any) error {
	cfg := DefaultConfig()
	switch b := block.(type) {
	case nil:
	case *Config:
		cfg = *b
	default:
		return fmt.Errorf("vault block of type %T", block)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("vault: configure after close")
	}
	if o.cl != nil && o.cl.used.Load() {
		return fmt.Errorf("vault: configure after secrets were opened")
	}
	cl, err := newClient(cfg, o.deps())
	if err != nil {
		return err
	}
	if o.cl != nil {
		o.cl.close()
	}
	o.cl = cl
	return nil
}
