package vaulttest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
)

// client returns an official client that reaches s in memory.
func client(t *testing.T, s *vaulttest.Server, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address, cfg.HttpClient, cfg.MaxRetries = vaulttest.Addr, s.Client(), 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	c.SetToken(token)
	return c
}

func status(err error) int {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestKVv2VersionsAndDelete(t *testing.T) {
	s := vaulttest.New()
	s.MountKV("secret", 2)
	s.PutKV("secret", "app", map[string]any{"k": "one"})
	s.PutKV("secret", "app", map[string]any{"k": "two"})
	c := client(t, s, s.RootToken())
	ctx := context.Background()

	sec, err := c.KVv2("secret").Get(ctx, "app")
	if err != nil || sec.Data["k"] != "two" || sec.VersionMetadata.Version != 2 {
		t.Fatalf("latest: %v %+v", err, sec)
	}
	old, err := c.KVv2("secret").GetVersion(ctx, "app", 1)
	if err != nil || old.Data["k"] != "one" {
		t.Fatalf("version 1: %v", err)
	}
	s.DeleteKV("secret", "app")
	raw, err := c.Logical().ReadWithContext(ctx, "secret/data/app")
	if err != nil || raw == nil || raw.Data["data"] != nil {
		t.Fatalf("deleted read: want 404 with metadata, got %v %+v", err, raw)
	}
	if none, err := c.Logical().ReadWithContext(ctx, "secret/data/nope"); err != nil || none != nil {
		t.Fatalf("missing: %v %+v", err, none)
	}
}

func TestKVv1AndMountPreflight(t *testing.T) {
	s := vaulttest.New()
	s.MountKV("kv", 1)
	s.MountKV("team/a", 2)
	s.PutKV("kv", "app", map[string]any{"k": "v"})
	c := client(t, s, s.RootToken())
	sec, err := c.Logical().Read("kv/app")
	if err != nil || sec.Data["k"] != "v" || sec.LeaseDuration == 0 || sec.LeaseID != "" {
		t.Fatalf("kv v1 read: %v %+v", err, sec)
	}
	m, err := c.Logical().Read("sys/internal/ui/mounts/team/a/x/y")
	if err != nil || m.Data["path"] != "team/a/" || m.Data["options"].(map[string]any)["version"] != "2" {
		t.Fatalf("preflight: %v %+v", err, m)
	}
	if _, err := c.Logical().Read("sys/internal/ui/mounts/nothing/here"); status(err) != http.StatusForbidden {
		t.Fatalf("preflight of an unmounted path: %v", err)
	}
}

func TestLeaseRenewCapRevokeAndTokenDeath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := vaulttest.New()
		s.MountDatabase("database")
		s.SetRole("database", "ro", vaulttest.Role{TTL: 10 * time.Second, MaxTTL: 25 * time.Second})
		tok := s.CreateToken(vaulttest.TokenOptions{TTL: time.Minute})
		c := client(t, s, tok)
		sec, err := c.Logical().Read("database/creds/ro")
		if err != nil || sec.LeaseDuration != 10 || !sec.Renewable || !strings.Contains(sec.Data["password"].(string), vaulttest.Marker) {
			t.Fatalf("creds: %v", err)
		}
		time.Sleep(8 * time.Second)
		if r, err := c.Sys().Renew(sec.LeaseID, 10); err != nil || r.LeaseDuration != 10 || len(r.Warnings) != 0 {
			t.Fatalf("renewal: %v %+v", err, r)
		}
		time.Sleep(8 * time.Second)
		r, err := c.Sys().Renew(sec.LeaseID, 10)
		if err != nil || r.LeaseDuration != 9 || len(r.Warnings) != 1 {
			t.Fatalf("capped renewal: %v %+v", err, r)
		}
		time.Sleep(10 * time.Second)
		if _, err := c.Sys().Renew(sec.LeaseID, 10); status(err) != http.StatusBadRequest {
			t.Fatalf("renewing an expired lease: %v", err)
		}
		second, _ := c.Logical().Read("database/creds/ro")
		if l, err := c.Sys().Lookup(second.LeaseID); err != nil || l.Data["ttl"] == nil {
			t.Fatalf("lookup: %v", err)
		}
		if err := c.Sys().Revoke(second.LeaseID); err != nil || s.Lease(second.LeaseID) != vaulttest.LeaseRevoked {
			t.Fatalf("revoke: %v", err)
		}
		if _, err := c.Sys().Lookup(second.LeaseID); status(err) != http.StatusBadRequest {
			t.Fatalf("lookup of a revoked lease: %v", err)
		}
		third, _ := c.Logical().Read("database/creds/ro")
		s.RevokeToken(tok)
		if s.Lease(third.LeaseID) != vaulttest.LeaseExpired {
			t.Fatal("a lease outlived its token")
		}
		if s.Count(vaulttest.LeaseRenewals) != 3 || s.Count(vaulttest.Revocations) != 1 {
			t.Fatalf("counters: renew %d revoke %d", s.Count(vaulttest.LeaseRenewals), s.Count(vaulttest.Revocations))
		}
	})
}

func TestLoginsAndTokenRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := vaulttest.New()
		s.AddAppRole("approle", "hush", "role-1", "canary-secret-id-NOT-REAL", vaulttest.TokenOptions{TTL: 30 * time.Second, MaxTTL: 50 * time.Second})
		s.AddKubernetesRole("kubernetes", "hush", "jwt-1", vaulttest.TokenOptions{TTL: time.Minute})
		c := client(t, s, "")
		sec, err := c.Logical().Write("auth/approle/login", map[string]any{"role_id": "role-1", "secret_id": "canary-secret-id-NOT-REAL"})
		if err != nil || sec.Auth == nil || sec.Auth.LeaseDuration != 30 || !sec.Auth.Renewable {
			t.Fatalf("approle login: %v", err)
		}
		if _, err := c.Logical().Write("auth/approle/login", map[string]any{"role_id": "role-1", "secret_id": "wrong"}); status(err) != http.StatusBadRequest {
			t.Fatalf("bad secret id: %v", err)
		}
		if _, err := c.Logical().Write("auth/kubernetes/login", map[string]any{"role": "hush", "jwt": "other"}); status(err) != http.StatusForbidden {
			t.Fatalf("bad jwt: %v", err)
		}
		c.SetToken(sec.Auth.ClientToken)
		time.Sleep(25 * time.Second)
		r, err := c.Auth().Token().RenewSelf(30)
		if err != nil || r.Auth.LeaseDuration != 25 || len(r.Warnings) != 1 {
			t.Fatalf("capped token renewal: %v %+v", err, r)
		}
		time.Sleep(26 * time.Second)
		if _, err := c.Auth().Token().LookupSelf(); status(err) != http.StatusForbidden {
			t.Fatalf("expired token: %v", err)
		}
	})
}

func TestFaults(t *testing.T) {
	s := vaulttest.New()
	s.MountKV("secret", 2)
	s.PutKV("secret", "app", map[string]any{"k": "v"})
	c := client(t, s, s.RootToken())
	s.SetFault(vaulttest.Fault{Down: true})
	if _, err := c.Logical().Read("secret/data/app"); err == nil || status(err) != 0 {
		t.Fatalf("down: %v", err)
	}
	s.SetFault(vaulttest.Fault{Sealed: true})
	if _, err := c.Logical().Read("secret/data/app"); status(err) != http.StatusServiceUnavailable {
		t.Fatalf("sealed: %v", err)
	}
	s.SetFault(vaulttest.Fault{Status: http.StatusInternalServerError, Paths: []string{"secret/"}})
	if _, err := c.Logical().Read("secret/data/app"); status(err) != http.StatusInternalServerError {
		t.Fatalf("500: %v", err)
	}
	s.SetFault(vaulttest.Fault{})
	other := client(t, s, s.CreateToken(vaulttest.TokenOptions{}))
	s.Deny("secret/data/app")
	if _, err := other.Logical().Read("secret/data/app"); status(err) != http.StatusForbidden {
		t.Fatalf("denied: %v", err)
	}
	if s.Count(vaulttest.Rejected) != 3 {
		t.Fatalf("rejected count %d", s.Count(vaulttest.Rejected))
	}
}

func TestSlowAnswerHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := vaulttest.New()
		s.MountKV("secret", 2)
		s.SetFault(vaulttest.Fault{Delay: time.Minute})
		c := client(t, s, s.RootToken())
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.Logical().ReadWithContext(ctx, "secret/data/app"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow: %v", err)
		}
	})
}

func TestOverLoopback(t *testing.T) {
	s := vaulttest.New()
	s.MountKV("secret", 2)
	s.PutKV("secret", "app", map[string]any{"k": "v"})
	cfg := api.DefaultConfig()
	cfg.Address, cfg.MaxRetries = s.Listen(t), 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(s.RootToken())
	c.SetNamespace("team-a")
	if sec, err := c.KVv2("secret").Get(context.Background(), "app"); err != nil || sec.Data["k"] != "v" {
		t.Fatalf("read: %v", err)
	}
	if s.Namespaces()["team-a"] != 1 {
		t.Fatalf("namespace header not seen: %v", s.Namespaces())
	}
	s.SetFault(vaulttest.Fault{Down: true})
	if _, err := c.KVv2("secret").Get(context.Background(), "app"); err == nil {
		t.Fatal("read while down succeeded")
	}
}

// Role hooks make credentials real: created before they are issued, moved
// on renewal, dropped once on revocation or, through Reap, on expiry.
func TestRoleHooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := vaulttest.New()
		s.MountDatabase("database")
		var created, dropped []string
		var renewedTo time.Time
		fail := false
		s.SetRole("database", "ro", vaulttest.Role{
			TTL: 10 * time.Second,
			Create: func(_ context.Context, user, _ string, _ time.Time) error {
				if fail {
					return errors.New("database down")
				}
				created = append(created, user)
				return nil
			},
			Renew: func(_ context.Context, _ string, exp time.Time) error { renewedTo = exp; return nil },
			Drop:  func(user string) { dropped = append(dropped, user) },
		})
		c := client(t, s, s.RootToken())
		a, err := c.Logical().Read("database/creds/ro")
		if err != nil || len(created) != 1 || created[0] != a.Data["username"] {
			t.Fatalf("create: %v %v", err, created)
		}
		if _, err := c.Sys().Renew(a.LeaseID, 10); err != nil || !renewedTo.Equal(time.Now().Add(10*time.Second)) {
			t.Fatalf("renew hook: %v %v", err, renewedTo)
		}
		b, _ := c.Logical().Read("database/creds/ro")
		_ = c.Sys().Revoke(a.LeaseID)
		_ = c.Sys().Revoke(a.LeaseID)
		time.Sleep(11 * time.Second)
		if n := s.Reap(); n != 1 || len(dropped) != 2 || dropped[0] != a.Data["username"] || dropped[1] != b.Data["username"] {
			t.Fatalf("drops: reaped %d, dropped %v", n, dropped)
		}
		fail = true
		if _, err := c.Logical().Read("database/creds/ro"); status(err) != http.StatusInternalServerError {
			t.Fatalf("failing create: %v", err)
		}
		if len(s.ActiveLeases()) != 0 {
			t.Error("a lease was issued although its user could not be created")
		}
	})
}
