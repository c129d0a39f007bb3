package vault_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/vault"
)

const kvPassword = "canary-kv-password-NOT-REAL"

func TestKVv2FieldsThroughTheStore(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("secret", 2)
	e.srv.PutKV("secret", "hush/db", map[string]any{"username": "app", "password": kvPassword, "port": 5432})
	s := e.store(t,
		secret.Decl{Name: "USER", From: "vault://secret/data/hush/db#username"},
		secret.Decl{Name: "PASS", From: "vault://secret/hush/db#password"},
		secret.Decl{Name: "PORT", From: "vault://secret/data/hush/db#port"},
	)
	for name, want := range map[string]string{"USER": "app", "PASS": kvPassword, "PORT": "5432"} {
		if v, ok := s.Get(name); !ok || v.RevealString() != want {
			t.Errorf("%s: got %d chars, want %d (values withheld)", name, v.Len(), len(want))
		}
	}
	if h := s.Health()[0]; h.Version != "1" || !h.ExpiresAt.IsZero() {
		t.Errorf("KV v2 health: version %q expires %v, want version 1 and no expiry", h.Version, h.ExpiresAt)
	}
	if n := e.srv.Count(vaulttest.MountLookups); n != 1 {
		t.Errorf("mount preflight ran %d times for one mount, want 1", n)
	}
}

func TestKVv2DocumentKeepsTypesAndHTML(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("secret", 2)
	e.srv.PutKV("secret", "app", map[string]any{"a": "<&>", "n": 1.5, "b": true, "o": map[string]any{"k": "v"}})
	got := string(mustFetch(t, e.open(t, "vault://secret/data/app")).Data)
	if want := `{"a":"<&>","b":true,"n":1.5,"o":{"k":"v"}}`; got != want {
		t.Errorf("document: got %s, want %s", got, want)
	}
}

func TestKVv1DetectedOrGiven(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("kv", 1)
	e.srv.PutKV("kv", "app", map[string]any{"password": kvPassword})
	snap := mustFetch(t, e.open(t, "vault://kv/app"))
	if field(t, snap, "password") != kvPassword || snap.Version != "" || !snap.ExpiresAt.IsZero() {
		t.Error("KV v1 read: wrong value, or a version or expiry reported (KV v1 has neither)")
	}
	e.srv.ResetCounts()
	mustFetch(t, e.open(t, "vault://kv/app?kv=1"))
	if n := e.srv.Count(vaulttest.MountLookups); n != 0 {
		t.Errorf("?kv=1 still asked for the mount (%d lookups)", n)
	}
}

func TestKVMountOfSeveralSegments(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("team/a", 2)
	e.srv.PutKV("team/a", "app", map[string]any{"password": kvPassword})
	if field(t, mustFetch(t, e.open(t, "vault://team/a/app")), "password") != kvPassword {
		t.Error("secret under a two-segment mount not read")
	}
}

func TestKVPinnedVersionIsStatic(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("secret", 2)
	e.srv.PutKV("secret", "app", map[string]any{"v": "one"})
	e.srv.PutKV("secret", "app", map[string]any{"v": "two"})
	d := e.open(t, "vault://secret/data/app?version=1")
	snap := mustFetch(t, d)
	if field(t, snap, "v") != "one" || snap.Version != "1" || !d.Static() {
		t.Errorf("pinned version: got version %q static %v", snap.Version, d.Static())
	}
	if e.open(t, "vault://secret/data/app").Static() {
		t.Error("an unpinned secret reports Static")
	}
}

func TestKVDeletedVersionIsNotFound(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("secret", 2)
	e.srv.PutKV("secret", "app", map[string]any{"password": kvPassword})
	d := e.open(t, "vault://secret/data/app")
	mustFetch(t, d)
	e.srv.DeleteKV("secret", "app")
	_, err := fetch(d)
	checkErr(t, "deleted", err, driver.ErrNotFound, kvPassword)
}

// KV secrets are re-read every kv_refresh with jitter: the driver signals,
// the store fetches.
func TestKVRefreshSignalsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *vault.Config) { c.KVRefresh = time.Minute })
		e.srv.MountKV("secret", 2)
		e.srv.PutKV("secret", "app", map[string]any{"v": "one"})
		d := e.open(t, "vault://secret/data/app")
		mustFetch(t, d)
		start := time.Now()
		for range 3 {
			<-d.Changes()
		}
		if took := time.Since(start); took < 3*54*time.Second || took > 3*66*time.Second {
			t.Errorf("three refresh signals took %v, want about 3m (±10%%)", took)
		}
	})
}

// While Vault is down the store keeps serving the last good KV value and
// reports it degraded; requests stay few (the store backs off); it recovers
// by itself.
func TestKVOutageServesLastGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, func(c *vault.Config) { c.KVRefresh = time.Minute })
		e.srv.MountKV("secret", 2)
		e.srv.PutKV("secret", "app", map[string]any{"password": kvPassword})
		s := e.store(t, secret.Decl{Name: "PASS", From: "vault://secret/data/app#password"})
		e.srv.ResetCounts()
		e.srv.SetFault(vaulttest.Fault{Down: true})
		time.Sleep(30 * time.Minute)
		if v, ok := s.Get("PASS"); !ok || v.RevealString() != kvPassword {
			t.Fatal("last good value not served during the outage")
		}
		if h := s.Health()[0]; h.Status != secret.StatusDegraded || h.LastError != "unavailable" {
			t.Errorf("health during outage: %s/%s, want degraded/unavailable", h.Status, h.LastError)
		}
		// The store retries from 250 ms doubling to its 1 min poll interval
		// (about 37 reads) and the token lookup backs off to 5 min (about 9).
		if n := e.srv.Count(vaulttest.Rejected); n > 60 {
			t.Errorf("%d requests in a 30 min outage: the retries do not back off", n)
		}
		e.srv.SetFault(vaulttest.Fault{})
		e.srv.PutKV("secret", "app", map[string]any{"password": kvPassword + "-2"})
		time.Sleep(3 * time.Minute)
		if v, _ := s.Get("PASS"); v.RevealString() != kvPassword+"-2" || s.Health()[0].Status != secret.StatusOK {
			t.Error("no recovery after the outage")
		}
	})
}

func TestReferencesRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, ref := range []string{
		"vault://secret", "vault://secret/", "vault://secret/a//b", "vault://secret/./a",
		"vault://secret/a?kv=3", "vault://secret/a?version=0", "vault://secret/a?kv=1&version=2",
		"vault://secret/a?field=x", "vault://secret/a?version=1&version=2",
	} {
		_, err := e.openErr(ref)
		checkErr(t, ref, err, driver.ErrInvalid)
	}
}

func TestStatusCodesMapToDriverCodes(t *testing.T) {
	const echoed = "canary-server-echo-NOT-REAL"
	e := newEnv(t, nil)
	e.srv.MountKV("secret", 2)
	e.srv.MountDatabase("database")
	e.srv.PutKV("secret", "app", map[string]any{"password": kvPassword})
	limited := e.srv.CreateToken(vaulttest.TokenOptions{})
	cases := []struct {
		name  string
		fault vaulttest.Fault
		ref   string
		want  error
	}{
		{"404", vaulttest.Fault{}, "vault://secret/data/nope", driver.ErrNotFound},
		{"unknown role", vaulttest.Fault{}, "vault://database/creds/nope", driver.ErrNotFound},
		{"403", vaulttest.Fault{Status: http.StatusForbidden, Message: echoed}, "vault://secret/data/app", driver.ErrPermission},
		{"400", vaulttest.Fault{Status: http.StatusBadRequest, Message: echoed}, "vault://secret/data/app", driver.ErrInvalid},
		{"500", vaulttest.Fault{Status: http.StatusInternalServerError, Message: echoed}, "vault://secret/data/app", driver.ErrUnavailable},
		{"sealed", vaulttest.Fault{Sealed: true}, "vault://secret/data/app", driver.ErrUnavailable},
		{"down", vaulttest.Fault{Down: true}, "vault://secret/data/app", driver.ErrUnavailable},
	}
	for _, c := range cases {
		e.srv.SetFault(c.fault)
		_, err := fetch(e.open(t, c.ref))
		checkErr(t, c.name, err, c.want, echoed, kvPassword, e.srv.RootToken(), limited)
	}
	e.srv.SetFault(vaulttest.Fault{})
	e.setVar("VAULT_TOKEN", limited)
	other := newEnvSharing(t, e)
	e.srv.Deny("secret/data/app")
	_, err := fetch(other.open(t, "vault://secret/data/app"))
	checkErr(t, "policy denial", err, driver.ErrPermission, limited)
}

// newEnvSharing returns an opener on e's server and variables, so a test
// can change VAULT_TOKEN for a fresh client.
func newEnvSharing(t testing.TB, e *testEnv) *testEnv {
	t.Helper()
	o := &vault.Opener{Mux: e.mux, HTTPClient: e.srv.Client(), Getenv: e.getenv}
	cfg := vault.DefaultConfig()
	cfg.Address = vaulttest.Addr
	if err := o.Configure(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return &testEnv{srv: e.srv, opener: o, mux: e.mux, logs: e.logs, vars: e.vars}
}

func TestSlowVaultHonoursDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountKV("secret", 2)
		e.srv.SetFault(vaulttest.Fault{Delay: time.Hour})
		d := e.open(t, "vault://secret/data/app")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := d.Fetch(ctx)
		checkErr(t, "slow", err, context.DeadlineExceeded)
		if driver.Class(err) != "timeout" {
			t.Errorf("class %q, want timeout", driver.Class(err))
		}
	})
}

func TestVersionOnKVv1MountRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountKV("kv", 1)
	e.srv.PutKV("kv", "app", map[string]any{"password": kvPassword})
	_, err := fetch(e.open(t, "vault://kv/app?version=2"))
	checkErr(t, "version on KV v1", err, driver.ErrInvalid)
}

// TLS settings of the vault: block reach the official client: an unknown
// CA and a wrong server name are refused as unavailable with the reason,
// the right CA works.
func TestTLSSettings(t *testing.T) {
	srv := vaulttest.New()
	url, ca := srv.ListenTLS(t)
	srv.MountKV("secret", 2)
	srv.PutKV("secret", "app", map[string]any{"password": kvPassword})
	read := func(tweak func(*vault.Config)) error {
		o := &vault.Opener{Getenv: func(string) string { return srv.RootToken() }}
		cfg := vault.DefaultConfig()
		cfg.Address = url
		tweak(&cfg)
		if err := o.Configure(context.Background(), &cfg); err != nil {
			return err
		}
		defer o.Close()
		d, err := o.OpenSecret(context.Background(), mustRef(t, "vault://secret/data/app"))
		if err != nil {
			return err
		}
		defer d.Close()
		_, err = d.Fetch(context.Background())
		return err
	}
	err := read(func(*vault.Config) {})
	checkErr(t, "unknown CA", err, driver.ErrUnavailable, srv.RootToken())
	if err != nil && !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("unknown CA: reason not given: %v", err)
	}
	if err := read(func(c *vault.Config) { c.CAFile = ca }); err != nil {
		t.Errorf("with the CA: %s", safe(err))
	}
	err = read(func(c *vault.Config) { c.CAFile, c.TLSServerName = ca, "vault.wrong.example" })
	checkErr(t, "wrong server name", err, driver.ErrUnavailable)
	if err := read(func(c *vault.Config) { c.TLSSkipVerify = true }); err != nil {
		t.Errorf("skip verify: %s", safe(err))
	}
	checkErr(t, "missing CA file", read(func(c *vault.Config) { c.CAFile = ca + ".missing" }), driver.ErrInvalid)
}
