package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// authenticator owns the client token: it sets it, logs in, re-reads a
// token file, and renews the token before it expires (run). Every token
// change bumps a generation; leases obtained under an older one are
// replaced, since Vault revokes a token's leases with the token.
type authenticator struct {
	cfg    Config
	api    *api.Client // the shared client; only the authenticator sets its token
	login  *api.Client // a token-less clone for logins
	mux    *secret.Mux
	getenv func(string) string
	log    *slog.Logger
	kick   chan struct{} // wakes run after a token change
	sem    chan struct{} // one login at a time, waited for with a context

	mu        sync.Mutex
	tok       string
	stamp     fileStamp // token_file as last read
	known     bool      // ttl and renewable are known
	expires   time.Time // zero: never
	ttl       time.Duration
	renewable bool
	capped    bool // the last renewal granted less than asked: log in again
	gen       uint64
	genCh     chan struct{} // closed when gen changes
	nextAt    time.Time     // run's next step; zero: none planned
	renewBO   backoff
	loginBO   backoff
	retryAt   time.Time // no login before this, after a failure
	lastErr   error
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func newAuthenticator(cfg Config, ac, login *api.Client, d deps) *authenticator {
	return &authenticator{
		cfg: cfg, api: ac, login: login, mux: d.mux, getenv: d.getenv, log: d.log,
		kick: make(chan struct{}, 1), sem: make(chan struct{}, 1), genCh: make(chan struct{}),
		renewBO: newBackoff(renewBackoffMin), loginBO: newBackoff(loginBackoffMin),
	}
}

func (a *authenticator) loginMethod() bool { return a.cfg.AuthMethod != "token" }

func (a *authenticator) mount() string {
	if a.cfg.AuthMount != "" {
		return a.cfg.AuthMount
	}
	return a.cfg.AuthMethod
}

// changed returns the current generation and a channel closed when it
// changes.
func (a *authenticator) changed() (uint64, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen, a.genCh
}

// ensure makes sure a usable token is set and returns its generation.
func (a *authenticator) ensure(ctx context.Context) (uint64, error) {
	if !a.loginMethod() {
		return a.ensureToken()
	}
	a.mu.Lock()
	ok, gen := a.tok != "" && !a.expiredLocked(time.Now()), a.gen
	a.mu.Unlock()
	if ok {
		return gen, nil
	}
	return a.relogin(ctx, gen)
}

func (a *authenticator) expiredLocked(now time.Time) bool {
	return !a.expires.IsZero() && !now.Before(a.expires)
}

// ensureToken sets the token of the token method: the token file when it
// changed since it was last read, else VAULT_TOKEN once.
func (a *authenticator) ensureToken() (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg.TokenFile != "" {
		err := a.readTokenFileLocked(false)
		return a.gen, err
	}
	if a.tok == "" {
		tok := a.getenv(api.EnvVaultToken)
		if tok == "" {
			return 0, fmt.Errorf("vault token: VAULT_TOKEN is not set and no token_file is configured: %w", driver.ErrPermission)
		}
		a.setTokenLocked(tok)
	}
	return a.gen, nil
}

// readTokenFileLocked re-reads the token file when its stamp changed (or
// always, with force). A file that vanished keeps the token in use: the
// writer (Vault Agent) replaces it by rename.
func (a *authenticator) readTokenFileLocked(force bool) error {
	fi, err := os.Stat(a.cfg.TokenFile)
	if err != nil {
		return a.tokenFileErr()
	}
	st := fileStamp{mod: fi.ModTime(), size: fi.Size()}
	if st.mod.Equal(a.stamp.mod) && st.size == a.stamp.size && a.tok != "" && !force {
		return nil
	}
	b, err := os.ReadFile(a.cfg.TokenFile)
	tok := string(bytes.TrimSpace(b))
	if err != nil || tok == "" {
		return a.tokenFileErr()
	}
	a.stamp = st
	if tok != a.tok {
		a.setTokenLocked(tok)
		a.log.Info("vault token file read", "file", a.cfg.TokenFile, "generation", a.gen)
	}
	return nil
}

func (a *authenticator) tokenFileErr() error {
	if a.tok != "" {
		return nil
	}
	return fmt.Errorf("vault token file %q: missing, unreadable or empty: %w", a.cfg.TokenFile, driver.ErrPermission)
}

// setTokenLocked installs tok as a new generation with an unknown TTL; a
// login fills the TTL in, run looks it up otherwise.
func (a *authenticator) setTokenLocked(tok string) {
	a.api.SetToken(tok)
	a.tok, a.known, a.expires, a.ttl, a.renewable, a.capped = tok, false, time.Time{}, 0, false, false
	a.gen++
	close(a.genCh)
	a.genCh = make(chan struct{})
	a.renewBO.reset()
	a.nextAt = time.Now()
	if a.cfg.TokenFile != "" {
		a.nextAt = time.Time{} // the file's writer renews it
	}
	a.wake()
}

func (a *authenticator) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// recover is called after Vault answered 403 to a request made with
// generation gen. It reports whether a different token is now in place and
// the request is worth retrying.
func (a *authenticator) recover(ctx context.Context, gen uint64) bool {
	a.mu.Lock()
	if a.gen != gen {
		a.mu.Unlock()
		return true
	}
	if !a.loginMethod() {
		defer a.mu.Unlock()
		if a.cfg.TokenFile != "" {
			_ = a.readTokenFileLocked(true)
		}
		return a.gen != gen
	}
	a.mu.Unlock()
	// A policy denial and a dead token both answer 403: ask about the token.
	_, err := a.api.Auth().Token().LookupSelfWithContext(ctx)
	if statusOf(err) != http.StatusForbidden {
		return false
	}
	next, err := a.relogin(ctx, gen)
	return err == nil && next != gen
}

// relogin logs in unless another caller already replaced generation gen;
// logins are serialised and, after a failure, wait out a backoff (callers
// in the meantime get the last error without a request).
func (a *authenticator) relogin(ctx context.Context, gen uint64) (uint64, error) {
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, fmt.Errorf("vault login: %w", ctx.Err())
	}
	defer func() { <-a.sem }()
	a.mu.Lock()
	cur, retryAt, lastErr := a.gen, a.retryAt, a.lastErr
	a.mu.Unlock()
	switch {
	case cur != gen:
		return cur, nil
	case time.Now().Before(retryAt):
		return 0, lastErr
	}
	return a.doLogin(ctx)
}

func (a *authenticator) doLogin(ctx context.Context) (uint64, error) {
	path := "auth/" + a.mount() + "/login"
	body, err := a.credentials(ctx)
	var sec *api.Secret
	if err == nil {
		sec, err = a.login.Logical().WriteWithContext(ctx, path, body)
		err = classify("login", path, err)
	}
	if err == nil && (sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "") {
		err = fmt.Errorf("vault login %q: no token in the answer: %w", path, driver.ErrInvalid)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.loginFailedLocked(err)
		return 0, err
	}
	a.loginBO.reset()
	a.retryAt, a.lastErr = time.Time{}, nil
	a.setTokenLocked(sec.Auth.ClientToken)
	a.learnLocked(time.Duration(sec.Auth.LeaseDuration)*time.Second, sec.Auth.Renewable)
	a.log.Info("vault login", "method", a.cfg.AuthMethod, "ttl", a.ttl, "renewable", a.renewable, "generation", a.gen)
	return a.gen, nil
}

// loginFailedLocked starts or extends the login backoff, unless the caller
// gave up (its context ended): that says nothing about Vault.
func (a *authenticator) loginFailedLocked(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	a.retryAt, a.lastErr = time.Now().Add(a.loginBO.next()), err
	a.log.Warn("vault login", "method", a.cfg.AuthMethod, "error_class", driver.Class(err), "retry_at", a.retryAt)
}

// learnLocked records a token's TTL and plans its renewal (or, for a token
// that cannot be renewed, a new login at 85-95% of its life).
func (a *authenticator) learnLocked(ttl time.Duration, renewable bool) {
	now := time.Now()
	a.known, a.ttl, a.renewable, a.expires, a.nextAt = true, ttl, renewable, time.Time{}, time.Time{}
	if ttl <= 0 {
		return
	}
	a.expires = now.Add(ttl)
	switch {
	case renewable:
		a.nextAt = now.Add(renewDelay(ttl))
	case a.loginMethod():
		a.nextAt = now.Add(fraction(ttl, 0.85, 0.95))
	}
}

// credentials returns the login body of the configured method.
func (a *authenticator) credentials(ctx context.Context) (map[string]any, error) {
	if a.cfg.AuthMethod == "kubernetes" {
		jwtFile := a.cfg.JWTFile
		if jwtFile == "" {
			jwtFile = DefaultJWTFile
		}
		b, err := os.ReadFile(jwtFile)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			return nil, fmt.Errorf("vault kubernetes login: service-account token %q missing, unreadable or empty: %w", jwtFile, driver.ErrPermission)
		}
		return map[string]any{"role": a.cfg.Role, "jwt": string(bytes.TrimSpace(b))}, nil
	}
	roleID, err := a.resolve(ctx, "role_id", a.cfg.RoleID)
	if err != nil {
		return nil, err
	}
	secretID, err := a.resolve(ctx, "secret_id", a.cfg.SecretID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"role_id": roleID, "secret_id": secretID}, nil
}

// resolve reads an AppRole credential through its secret reference, fresh
// for every login so that a rotated secret_id is picked up.
func (a *authenticator) resolve(ctx context.Context, key, from string) (string, error) {
	if a.mux == nil {
		return "", fmt.Errorf("vault approle %s: no secret mux to resolve it (Opener.Mux): %w", key, driver.ErrInvalid)
	}
	ref, err := secret.ParseRef(from)
	if err != nil || ref.Scheme == "vault" {
		return "", fmt.Errorf("vault approle %s: not a usable secret reference: %w", key, driver.ErrInvalid)
	}
	b, err := fetchRef(ctx, a.mux, ref)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return "", fmt.Errorf("vault approle %s: %w", key, err)
	case err != nil:
		// The Vault secret is not missing: Hush cannot log in. Other
		// providers' errors hold no values, so their text is kept.
		return "", fmt.Errorf("vault approle %s: %v: %w", key, err, driver.ErrPermission)
	}
	return string(bytes.TrimSpace(b)), nil
}

func fetchRef(ctx context.Context, mux *secret.Mux, ref secret.Ref) ([]byte, error) {
	d, err := mux.Open(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	snap, err := d.Fetch(ctx)
	if err != nil || ref.Field == "" {
		return snap.Data, err
	}
	return secret.SelectField(snap.Data, ref.Field)
}
