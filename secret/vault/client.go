package vault

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// deps are what the opener hands its client.
type deps struct {
	mux    *secret.Mux
	log    *slog.Logger
	http   *http.Client
	getenv func(string) string
}

// client is the Vault client shared by every secret: one api.Client, one
// authenticator, the mounts learned so far. Its background work (token
// renewal) runs under ctx and ends with close.
type client struct {
	api  *api.Client
	auth *authenticator
	cfg  Config
	log  *slog.Logger
	used atomic.Bool // a secret was opened: Configure may no longer replace it

	mountSem chan struct{} // one mount lookup at a time
	mountMu  sync.Mutex
	mounts   []mountInfo

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type mountInfo struct {
	path string // with a trailing slash
	kv   int    // 1 or 2 for KV mounts, 0 otherwise
}

func newClient(cfg Config, d deps) (*client, error) {
	ac, err := newAPIClient(cfg, d.http)
	if err != nil {
		return nil, err
	}
	login, err := ac.CloneWithHeaders()
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	login.ClearToken()
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{api: ac, cfg: cfg, log: d.log, ctx: ctx, cancel: cancel, mountSem: make(chan struct{}, 1)}
	c.auth = newAuthenticator(cfg, ac, login, d)
	c.wg.Go(func() { c.auth.run(ctx) })
	return c, nil
}

// newAPIClient builds the official client: the VAULT_* environment first,
// then the block's overrides. The token is the authenticator's alone, so
// the VAULT_TOKEN the client picks up by itself is cleared.
func newAPIClient(cfg Config, hc *http.Client) (*api.Client, error) {
	ac := api.DefaultConfig()
	if ac.Error != nil {
		return nil, fmt.Errorf("vault settings from the environment: %w", ac.Error)
	}
	if hc != nil {
		ac.HttpClient = hc
	} else if err := configureTLS(ac, cfg); err != nil {
		return nil, err
	}
	if cfg.Address != "" {
		ac.Address = cfg.Address
	}
	// Our renewal loops back off themselves; the client's own retries
	// would multiply every request during an outage.
	if os.Getenv(api.EnvVaultMaxRetries) == "" {
		ac.MaxRetries = 0
	}
	c, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	c.ClearToken()
	if cfg.Namespace != "" {
		c.SetNamespace(cfg.Namespace)
	}
	return c, nil
}

func configureTLS(ac *api.Config, cfg Config) error {
	if cfg.CAFile == "" && cfg.TLSServerName == "" && !cfg.TLSSkipVerify {
		return nil
	}
	err := ac.ConfigureTLS(&api.TLSConfig{CACert: cfg.CAFile, TLSServerName: cfg.TLSServerName, Insecure: cfg.TLSSkipVerify})
	if err != nil {
		return fmt.Errorf("vault tls settings: %w", driver.ErrInvalid)
	}
	return nil
}

func (c *client) close() {
	c.cancel()
	c.wg.Wait()
}

// call runs fn with a valid token and classifies its error (see classify);
// errors from authentication arrive classified already. When Vault answers
// 403 and the token turns out to be stale (a rotated token file, an expired
// login), it authenticates again and retries once; a policy denial stays a
// 403.
func (c *client) call(ctx context.Context, op, path string, fn func(context.Context) error) error {
	_, err := c.callGen(ctx, op, path, fn)
	return err
}

// callGen is call that also returns the token generation the request was
// last made with.
func (c *client) callGen(ctx context.Context, op, path string, fn func(context.Context) error) (uint64, error) {
	gen, err := c.auth.ensure(ctx)
	if err != nil {
		return gen, err
	}
	err = fn(ctx)
	if statusOf(err) == http.StatusForbidden && c.auth.recover(ctx, gen) {
		gen, _ = c.auth.changed()
		err = fn(ctx)
	}
	return gen, classify(op, path, err)
}

// read reads a logical path. A nil secret means Vault answered 404.
func (c *client) read(ctx context.Context, path string, params map[string][]string) (*api.Secret, error) {
	sec, _, err := c.readGen(ctx, path, params)
	return sec, err
}

// readGen is read that also returns the token generation used.
func (c *client) readGen(ctx context.Context, path string, params map[string][]string) (*api.Secret, uint64, error) {
	var sec *api.Secret
	gen, err := c.callGen(ctx, "read", path, func(ctx context.Context) error {
		var err error
		sec, err = c.api.Logical().ReadWithDataWithContext(ctx, path, params)
		return err
	})
	return sec, gen, err
}

func (c *client) renewLease(ctx context.Context, id string, increment time.Duration) (*api.Secret, error) {
	var sec *api.Secret
	err := c.call(ctx, "lease renew", "", func(ctx context.Context) error {
		var err error
		sec, err = c.api.Sys().RenewWithContext(ctx, id, int(increment/time.Second))
		return err
	})
	return sec, err
}

// lookupLease asks Vault whether a lease is still alive; Vault answers 400
// for one it no longer knows.
func (c *client) lookupLease(ctx context.Context, id string) (*api.Secret, error) {
	var sec *api.Secret
	err := c.call(ctx, "lease lookup", "", func(ctx context.Context) error {
		var err error
		sec, err = c.api.Sys().LookupWithContext(ctx, id)
		return err
	})
	return sec, err
}

func (c *client) revokeLease(ctx context.Context, id string) error {
	return c.call(ctx, "lease revoke", "", func(ctx context.Context) error {
		return c.api.Sys().RevokeWithContext(ctx, id)
	})
}

// readPath returns the logical path to read for t and whether the answer is
// KV v2's envelope. Without ?kv= the mount's type and KV version come from
// the preflight the Vault CLI uses, once per mount.
func (c *client) readPath(ctx context.Context, t target) (string, bool, error) {
	m := mountInfo{path: t.mount + "/", kv: t.kv}
	if t.kv == 0 {
		var err error
		if m, err = c.mount(ctx, t.String()); err != nil {
			return "", false, err
		}
	}
	if m.kv != 2 && t.version > 0 {
		return "", false, fmt.Errorf("vault %q: version needs a KV v2 mount: %w", t.String(), driver.ErrInvalid)
	}
	if m.kv != 2 {
		return t.String(), false, nil
	}
	rel := strings.TrimPrefix(t.String(), m.path)
	if !strings.HasPrefix(rel, "data/") {
		rel = "data/" + rel
	}
	return m.path + rel, true, nil
}

// mount returns what is known of the mount full falls under, asking Vault
// once per mount: lookups are serialised, so secrets resolved together at
// start-up share one.
func (c *client) mount(ctx context.Context, full string) (mountInfo, error) {
	if m, ok := c.cachedMount(full); ok {
		return m, nil
	}
	select {
	case c.mountSem <- struct{}{}:
	case <-ctx.Done():
		return mountInfo{}, classify("mount lookup", full, ctx.Err())
	}
	defer func() { <-c.mountSem }()
	if m, ok := c.cachedMount(full); ok {
		return m, nil
	}
	m, err := c.lookupMount(ctx, full)
	if err != nil {
		return m, err
	}
	c.mountMu.Lock()
	defer c.mountMu.Unlock()
	c.mounts = append(c.mounts, m)
	return m, nil
}

func (c *client) cachedMount(full string) (mountInfo, bool) {
	c.mountMu.Lock()
	defer c.mountMu.Unlock()
	for _, m := range c.mounts {
		if strings.HasPrefix(full+"/", m.path) {
			return m, true
		}
	}
	return mountInfo{}, false
}

// lookupMount asks sys/internal/ui/mounts. A Vault too old to have it
// answers 404, and then the mount is taken as KV v1, as the CLI does.
func (c *client) lookupMount(ctx context.Context, full string) (mountInfo, error) {
	first, _, _ := strings.Cut(full, "/")
	var sec *api.Secret
	err := c.call(ctx, "mount lookup", full, func(ctx context.Context) error {
		var err error
		sec, err = c.api.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+full)
		return err
	})
	switch {
	case err != nil && statusOf(err) == http.StatusNotFound:
		return mountInfo{path: first + "/", kv: 1}, nil
	case err != nil:
		return mountInfo{}, err
	case sec == nil:
		return mountInfo{path: first + "/", kv: 1}, nil
	}
	m := mountInfo{path: first + "/"}
	if p, ok := sec.Data["path"].(string); ok && strings.HasPrefix(full+"/", p) {
		m.path = p
	}
	if typ, _ := sec.Data["type"].(string); typ == "kv" || typ == "generic" {
		m.kv = 1
		if opts, ok := sec.Data["options"].(map[string]any); ok && opts["version"] == "2" {
			m.kv = 2
		}
	}
	return m, nil
}
