package vault_test

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/vault"
)

const (
	roleID   = "canary-role-id-NOT-REAL"
	secretID = "canary-secret-id-NOT-REAL"
	jwt      = "canary-jwt-NOT-REAL"
)

func kvEnv(t testing.TB, tweak func(*vault.Config)) *testEnv {
	e := newEnv(t, tweak)
	e.srv.MountKV("secret", 2)
	e.srv.PutKV("secret", "app", map[string]any{"password": kvPassword})
	return e
}

func TestNoTokenIsPermission(t *testing.T) {
	e := kvEnv(t, nil)
	e.setVar("VAULT_TOKEN", "")
	_, err := fetch(e.open(t, "vault://secret/data/app"))
	checkErr(t, "no token", err, driver.ErrPermission)
	if err != nil && !strings.Contains(err.Error(), "VAULT_TOKEN") {
		t.Errorf("error does not say what to set: %v", err)
	}
}

// A token file (a Vault Agent sink) is re-read when it changes; a token
// revoked behind our back is replaced by the file's next content.
func TestTokenFileRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	e := kvEnv(t, func(c *vault.Config) { c.TokenFile = path })
	d := e.open(t, "vault://secret/data/app")
	_, err := fetch(d)
	checkErr(t, "missing token file", err, driver.ErrPermission)

	first := e.srv.CreateToken(vaulttest.TokenOptions{TTL: time.Hour})
	writeFile(t, path, first+"\n")
	mustFetch(t, d)
	second := e.srv.CreateToken(vaulttest.TokenOptions{TTL: time.Hour})
	e.srv.RevokeToken(first)
	writeFile(t, path, second+"\n")
	if field(t, mustFetch(t, d), "password") != kvPassword {
		t.Fatal("no value after the token file rotated")
	}
	if n := e.srv.Count(vaulttest.TokenRenewals); n != 0 {
		t.Errorf("a file token was renewed %d times: its writer owns it", n)
	}
	e.srv.RevokeToken(second)
	_, err = fetch(d)
	checkErr(t, "revoked token, file unchanged", err, driver.ErrPermission, first, second)
}

// VAULT_TOKEN with a TTL is looked up and renewed before it expires.
func TestEnvTokenRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := kvEnv(t, nil)
		e.setVar("VAULT_TOKEN", e.srv.CreateToken(vaulttest.TokenOptions{TTL: time.Minute}))
		d := e.open(t, "vault://secret/data/app")
		mustFetch(t, d)
		time.Sleep(10 * time.Minute)
		mustFetch(t, d)
		if n := e.srv.Count(vaulttest.TokenRenewals); n < 10 || n > 20 {
			t.Errorf("%d renewals of a 1 min token in 10 min, want about 15", n)
		}
	})
}

func appRole(c *vault.Config) {
	c.AuthMethod, c.RoleID, c.SecretID = "approle", "env://ROLE_ID", "env://SECRET_ID"
}

// AppRole credentials come from other secret references. The token is
// renewed until its max TTL caps a renewal; then Hush logs in again, and
// leases obtained with the old token are replaced.
func TestAppRoleLoginRenewRelogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := kvEnv(t, appRole)
		e.setVar("VAULT_TOKEN", "")
		e.setVar("ROLE_ID", roleID)
		e.setVar("SECRET_ID", secretID+"\n")
		e.srv.AddAppRole("approle", "hush", roleID, secretID, vaulttest.TokenOptions{TTL: time.Minute, MaxTTL: 150 * time.Second})
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Hour})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		if n := e.srv.Count(vaulttest.Logins); n != 1 {
			t.Fatalf("%d logins, want 1", n)
		}
		next := nextLease(t, d, first.Version, 10)
		if e.srv.Count(vaulttest.Logins) != 2 || e.srv.Count(vaulttest.TokenRenewals) < 2 {
			t.Errorf("logins %d renewals %d: want a second login after renewals reached the max TTL",
				e.srv.Count(vaulttest.Logins), e.srv.Count(vaulttest.TokenRenewals))
		}
		if e.srv.Lease(next.Version) != vaulttest.LeaseActive {
			t.Error("new lease not active")
		}
	})
}

// A refused login is reported with its code, never the credentials, and
// retried only after a backoff however often secrets are fetched.
func TestAppRoleRefusedLoginBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := kvEnv(t, appRole)
		e.setVar("ROLE_ID", roleID)
		e.setVar("SECRET_ID", "canary-wrong-NOT-REAL")
		e.srv.AddAppRole("approle", "hush", roleID, secretID, vaulttest.TokenOptions{TTL: time.Hour})
		d := e.open(t, "vault://secret/data/app")
		for range 5 {
			_, err := fetch(d)
			checkErr(t, "refused login", err, driver.ErrInvalid, roleID, secretID, "canary-wrong")
		}
		if n := e.srv.Count(vaulttest.Logins); n != 1 {
			t.Errorf("%d logins for 5 fetches within the backoff, want 1", n)
		}
		e.setVar("SECRET_ID", secretID)
		time.Sleep(3 * time.Second)
		if field(t, mustFetch(t, d), "password") != kvPassword {
			t.Error("no recovery after the secret_id was fixed")
		}
	})
}

func TestAppRoleCredentialsFromFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "role-id"), roleID+"\n")
	writeFile(t, filepath.Join(dir, "secret-id"), secretID+"\n")
	e := kvEnv(t, func(c *vault.Config) {
		c.AuthMethod = "approle"
		c.AuthMount = "hush-approle"
		c.RoleID, c.SecretID = "file://"+filepath.Join(dir, "role-id"), "file://"+filepath.Join(dir, "secret-id")
	})
	e.srv.AddAppRole("hush-approle", "hush", roleID, secretID, vaulttest.TokenOptions{TTL: time.Hour})
	if field(t, mustFetch(t, e.open(t, "vault://secret/data/app")), "password") != kvPassword {
		t.Error("no value through an AppRole login with file credentials")
	}
}

// Kubernetes auth logs in with the service-account token file, and logs in
// again (reading the file anew) when Vault no longer accepts the token.
func TestKubernetesLogin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, jwt)
	e := kvEnv(t, func(c *vault.Config) { c.AuthMethod, c.Role, c.JWTFile = "kubernetes", "hush", path })
	e.srv.AddKubernetesRole("kubernetes", "hush", jwt, vaulttest.TokenOptions{TTL: time.Hour})
	d := e.open(t, "vault://secret/data/app")
	mustFetch(t, d)
	e.srv.AddKubernetesRole("kubernetes", "hush", jwt+"-2", vaulttest.TokenOptions{TTL: time.Hour})
	writeFile(t, path, jwt+"-2")
	e.srv.RevokeRoleTokens("hush")
	if field(t, mustFetch(t, d), "password") != kvPassword {
		t.Fatal("no value after the token was revoked")
	}
	if n := e.srv.Count(vaulttest.Logins); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	writeFile(t, path, "canary-other-jwt-NOT-REAL")
	e.srv.RevokeRoleTokens("hush")
	_, err := fetch(d)
	checkErr(t, "rejected jwt", err, driver.ErrPermission, jwt)
}

// A token that cannot be renewed is replaced by a new login at 85-95% of
// its life, before requests start failing.
func TestNonRenewableLoginReplacedEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := kvEnv(t, appRole)
		e.setVar("ROLE_ID", roleID)
		e.setVar("SECRET_ID", secretID)
		e.srv.AddAppRole("approle", "hush", roleID, secretID, vaulttest.TokenOptions{TTL: 100 * time.Second, NonRenewable: true})
		d := e.open(t, "vault://secret/data/app")
		mustFetch(t, d)
		time.Sleep(96 * time.Second)
		if n := e.srv.Count(vaulttest.Logins); n != 2 {
			t.Errorf("%d logins after 96s of a 100s non-renewable token, want 2", n)
		}
		e.srv.SetFault(vaulttest.Fault{Paths: []string{"auth/"}, Down: true})
		time.Sleep(80 * time.Second)
		mustFetch(t, d) // still within the second token's life
	})
}

func TestNamespaceSent(t *testing.T) {
	e := kvEnv(t, func(c *vault.Config) { c.Namespace = "team-a" })
	mustFetch(t, e.open(t, "vault://secret/data/app"))
	if e.srv.Namespaces()["team-a"] == 0 {
		t.Errorf("no request carried the namespace: %v", e.srv.Namespaces())
	}
}

// A given token that reached its max TTL is not renewed again and again as
// its grants shrink; once it expires, fetches report a permission error.
func TestEnvTokenAtMaxTTLStopsRenewing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := kvEnv(t, nil)
		e.setVar("VAULT_TOKEN", e.srv.CreateToken(vaulttest.TokenOptions{TTL: time.Minute, MaxTTL: 150 * time.Second}))
		d := e.open(t, "vault://secret/data/app")
		mustFetch(t, d)
		time.Sleep(10 * time.Minute)
		if n := e.srv.Count(vaulttest.TokenRenewals); n > 4 {
			t.Errorf("%d renewals of a token capped at 150s", n)
		}
		_, err := fetch(d)
		checkErr(t, "expired token", err, driver.ErrPermission)
	})
}

// A missing AppRole credential is a login problem (permission), not a
// missing Vault secret, and its reference is named.
func TestAppRoleCredentialMissing(t *testing.T) {
	e := kvEnv(t, appRole)
	e.setVar("ROLE_ID", roleID)
	_, err := fetch(e.open(t, "vault://secret/data/app"))
	checkErr(t, "missing secret_id", err, driver.ErrPermission, roleID)
	if err != nil && !strings.Contains(err.Error(), "SECRET_ID") {
		t.Errorf("error does not name the reference: %v", err)
	}
}
