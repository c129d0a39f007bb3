// Package vault provides secrets read from HashiCorp Vault:
//
//	vault://secret/data/app#api_key        KV v2 (the data/ segment may be left out)
//	vault://secret/data/app?version=3      KV v2, one pinned version
//	vault://kv/app?kv=1#password           KV v1 (also detected from the mount)
//	vault://database/creds/readonly        dynamic credentials with a lease
//
// The host is the mount; a mount of several segments is found through the
// same preflight the Vault CLI uses (sys/internal/ui/mounts). A driver
// returns the secret's data as one JSON object, and the store selects
// #field from it, so a username and a password from one lease always
// arrive together.
//
// # Leases
//
// A read that returns a lease (database, AWS and similar engines) is held
// until the store releases it: Fetch returns the held credentials, and a
// renewal loop per secret renews the lease at about two thirds of its
// remaining life, with jitter. When Vault grants less than asked (the max
// TTL is near), the lease cannot be renewed, renewal keeps failing until a
// safety margin before expiry, or the client logged in again (the old
// token's leases die with it), the driver signals a change and the next
// Fetch obtains new credentials under a new version (the lease id).
// Release(version) revokes a replaced lease once no source uses it; Close
// revokes the held ones unless revoke_on_shutdown is false. A lease that has
// expired is never renewed, and failing renewals back off (10 s doubling to
// 5 min, bounded by the lease), so an outage causes no renew storm.
//
// # KV
//
// KV secrets are re-read every kv_refresh (default 5 min, jittered by
// ±10%): the driver signals, the store fetches and keeps the last good
// value when Vault is unavailable. A pinned ?version= never changes.
//
// # Client and auth
//
// One client is shared by every secret: address, namespace and TLS come
// from the standard VAULT_* variables the official client reads, overridden
// by the vault: block (see Config). Auth is a token (VAULT_TOKEN, or a token
// file re-read when it changes, e.g. a Vault Agent sink), AppRole (role_id
// and secret_id read through other secret references) or Kubernetes (the
// service-account token file). A token with a TTL is renewed before it
// expires; when it cannot be, the client logs in again.
package vault

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Opener opens vault:// references. Register it once per process:
//
//	mux.Register("vault", &vault.Opener{Mux: mux, Logger: logger})
//
// It implements secret.Configurer (the vault: block) and io.Closer (Close
// stops token renewal). Exported fields must be set before first use.
type Opener struct {
	// Mux resolves the AppRole role_id and secret_id references. Required
	// for auth_method: approle.
	Mux *secret.Mux
	// Logger receives lease and login events, never a value; nil discards.
	Logger *slog.Logger
	// HTTPClient replaces the client's transport; tests use it to reach a
	// test server in memory. The TLS settings do not apply to it.
	HTTPClient *http.Client
	// Getenv reads VAULT_TOKEN; nil means os.Getenv. The client itself
	// still reads the other VAULT_* variables from the process.
	Getenv func(string) string

	mu     sync.Mutex
	cl     *client
	closed bool
}

var (
	_ secret.Configurer = (*Opener)(nil)
	_ io.Closer         = (*Opener)(nil)
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Watcher    = (*Driver)(nil)
	_ driver.Static     = (*Driver)(nil)
	_ driver.Releaser   = (*Driver)(nil)
)

// OpenSecret validates ref and returns its driver. It does no network I/O:
// Vault is first asked at Fetch, so an outage or a missing secret is
// reported by Fetch with its error code, and the store retries. A bad
// reference is an error wrapping driver.ErrInvalid.
func (o *Opener) OpenSecret(ctx context.Context, ref secret.Ref) (driver.Driver, error) {
	t, err := parseTarget(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl, err := o.client()
	if err != nil {
		return nil, err
	}
	return newDriver(cl, t), nil
}

// client returns the shared client, building it from DefaultConfig when
// Configure was never called.
func (o *Opener) client() (*client, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, fmt.Errorf("vault: %w", driver.ErrClosed)
	}
	if o.cl == nil {
		cl, err := newClient(DefaultConfig(), o.deps())
		if err != nil {
			return nil, err
		}
		o.cl = cl
	}
	o.cl.used.Store(true)
	return o.cl, nil
}

func (o *Opener) deps() deps {
	d := deps{mux: o.Mux, log: o.Logger, http: o.HTTPClient, getenv: o.Getenv}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.getenv == nil {
		d.getenv = os.Getenv
	}
	return d
}

// Close stops the shared client's token renewal. Close the stores (and so
// the drivers, which revoke their leases) first. Idempotent.
func (o *Opener) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed && o.cl != nil {
		o.cl.close()
	}
	o.closed = true
	return nil
}

// target is a validated reference.
type target struct {
	mount   string // the reference's host
	path    string // the rest, without the leading slash
	kv      int    // 0: detect; 1 or 2: given with ?kv=
	version int    // ?version=N (KV v2); 0: latest
}

func (t target) String() string { return t.mount + "/" + t.path }

// parseTarget checks ref. Messages name the problem, never the reference's
// query values, which may hold a misplaced credential.
func parseTarget(ref secret.Ref) (target, error) {
	t := target{mount: ref.Host, path: strings.TrimPrefix(ref.Path, "/")}
	if err := ref.CheckParams("kv", "version"); err != nil {
		return t, fmt.Errorf("%w: %w", err, driver.ErrInvalid)
	}
	if err := checkPath(t); err != nil {
		return t, err
	}
	var err error
	if t.kv, err = intParam(ref, "kv", 1, 2); err != nil {
		return t, err
	}
	if t.version, err = intParam(ref, "version", 1, 1<<31); err != nil {
		return t, err
	}
	if t.version > 0 && t.kv == 1 {
		return t, fmt.Errorf("vault reference: version needs a KV v2 mount: %w", driver.ErrInvalid)
	}
	return t, nil
}

func checkPath(t target) error {
	if t.mount == "" || strings.ContainsAny(t.mount, ":@") {
		return fmt.Errorf("vault reference needs a mount as its host (vault://<mount>/<path>): %w", driver.ErrInvalid)
	}
	if t.path == "" {
		return fmt.Errorf("vault reference needs a path after the mount (vault://<mount>/<path>): %w", driver.ErrInvalid)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(t.path, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("vault reference path has an empty, . or .. segment: %w", driver.ErrInvalid)
		}
	}
	return nil
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(ref secret.Ref, key string, lo, hi int) (int, error) {
	vals, ok := ref.Query[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.Join(vals, ""))
	if len(vals) != 1 || err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("vault reference: %s must be one integer from %d to %d: %w", key, lo, hi, driver.ErrInvalid)
	}
	return n, nil
}
