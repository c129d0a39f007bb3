package vault_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/vault"
)

// nextLease waits for change signals and fetches after each until the
// driver serves a lease other than old. It fails after max signals.
func nextLease(t *testing.T, d *vault.Driver, old string, max int) driver.Snapshot {
	t.Helper()
	for range max {
		<-d.Changes()
		if snap := mustFetch(t, d); snap.Version != old {
			return snap
		}
	}
	t.Fatalf("no new lease after %d signals", max)
	return driver.Snapshot{}
}

// A renewable lease is renewed at about 2/3 of its life; once Vault grants
// less than asked (max TTL near), new credentials come before the old ones
// expire, and the old lease is revoked when released.
func TestLeaseRenewedThenReplacedBeforeMaxTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: 30 * time.Second, MaxTTL: 100 * time.Second})
		d := e.open(t, "vault://database/creds/ro")
		start := time.Now()
		first := mustFetch(t, d)
		if first.Version == "" || !first.ExpiresAt.Equal(start.Add(30*time.Second)) {
			t.Fatalf("lease: version %q expires in %v, want a lease id and 30s", first.Version, first.ExpiresAt.Sub(start))
		}
		if pw := field(t, first, "password"); len(pw) == 0 || field(t, first, "username") == "" {
			t.Fatal("credentials without username or password")
		}
		next := nextLease(t, d, first.Version, 10)
		if e.srv.Lease(first.Version) != vaulttest.LeaseActive {
			t.Error("old lease gone before the new one was fetched")
		}
		if took := time.Since(start); took > 100*time.Second || took < 70*time.Second {
			t.Errorf("replaced after %v, want between the capped renewal and the 100s max TTL", took)
		}
		if n := e.srv.Count(vaulttest.LeaseRenewals); n < 3 || n > 5 {
			t.Errorf("%d renewals over a 100s max TTL with a 30s TTL, want 3 to 5", n)
		}
		if field(t, next, "password") == field(t, first, "password") {
			t.Error("new lease came with the old password")
		}
		d.Release(first.Version)
		synctest.Wait()
		if e.srv.Lease(first.Version) != vaulttest.LeaseRevoked {
			t.Error("released lease not revoked")
		}
	})
}

// Each successful renewal signals, and the store then sees the same
// version with a later expiry.
func TestLeaseRenewalExtendsExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Minute})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		<-d.Changes()
		again := mustFetch(t, d)
		if again.Version != first.Version || !again.ExpiresAt.After(first.ExpiresAt) {
			t.Errorf("after a renewal: same version %v, expiry moved by %v", again.Version == first.Version, again.ExpiresAt.Sub(first.ExpiresAt))
		}
		if st := d.Status(); st.State != vault.LeaseValid || st.RenewalFailing {
			t.Errorf("status %+v, want valid", st)
		}
	})
}

// A lease that cannot be renewed is replaced at 85-95% of its life, and
// never renewed.
func TestNonRenewableLeaseReplacedBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: 100 * time.Second, NonRenewable: true})
		d := e.open(t, "vault://database/creds/ro")
		start := time.Now()
		first := mustFetch(t, d)
		if st := d.Status(); st.State != vault.LeaseExpiring {
			t.Errorf("non-renewable lease in state %q, want expiring", st.State)
		}
		nextLease(t, d, first.Version, 3)
		if took := time.Since(start); took < 85*time.Second || took >= 95*time.Second {
			t.Errorf("replaced after %v, want 85-95s of a 100s lease", took)
		}
		if n := e.srv.Count(vaulttest.LeaseRenewals); n != 0 {
			t.Errorf("a non-renewable lease was renewed %d times", n)
		}
	})
}

// While Vault is down, renewals back off (10s doubling, bounded by the
// lease): few requests, status "renewing", and the same credentials until
// the safety margin; then a replacement is asked for. When Vault is back,
// new credentials arrive.
func TestLeaseRenewalOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Hour})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		synctest.Wait()
		e.srv.ResetCounts()
		e.srv.SetFault(vaulttest.Fault{Down: true})
		time.Sleep(45 * time.Minute)
		if st := d.Status(); st.State != vault.LeaseRenewing || !st.RenewalFailing {
			t.Errorf("status during outage: %+v, want renewing and failing", st)
		}
		if snap := mustFetch(t, d); snap.Version != first.Version {
			t.Error("credentials changed while the held ones were still good")
		}
		<-d.Changes() // the safety margin is reached: replacement wanted
		if n := e.srv.Count(vaulttest.Rejected); n > 10 {
			t.Errorf("%d requests before the margin of a 1h lease: a renew storm", n)
		}
		if st := d.Status(); st.State != vault.LeaseReplacing || !st.RenewalFailing {
			t.Errorf("status near expiry: %+v, want replacing with renewal failing", st)
		}
		_, err := fetch(d)
		checkErr(t, "fetch during outage", err, driver.ErrUnavailable)
		e.srv.SetFault(vaulttest.Fault{})
		if snap := mustFetch(t, d); snap.Version == first.Version {
			t.Error("no new lease after Vault came back")
		}
	})
}

// A lease that expired during an outage is never renewed; the next fetch
// after the outage obtains new credentials.
func TestExpiredLeaseIsNotRenewed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Minute})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		e.srv.SetFault(vaulttest.Fault{Down: true})
		time.Sleep(2 * time.Minute)
		if st := d.Status(); st.State != vault.LeaseExpired {
			t.Errorf("status after expiry: %q, want expired", st.State)
		}
		e.srv.ResetCounts()
		e.srv.SetFault(vaulttest.Fault{})
		time.Sleep(5 * time.Minute)
		if n := e.srv.Count(vaulttest.LeaseRenewals); n != 0 {
			t.Errorf("an expired lease was renewed %d times", n)
		}
		if snap := mustFetch(t, d); snap.Version == first.Version {
			t.Error("expired lease served again")
		}
	})
}

// Vault refusing a renewal (the lease was revoked behind our back) asks
// for new credentials at once.
func TestRevokedLeaseReplacedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Hour})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		e.srv.ResetCounts()
		e.srv.RevokeLease(first.Version) // an operator's revocation
		next := nextLease(t, d, first.Version, 2)
		if next.Version == first.Version || e.srv.Count(vaulttest.LeaseRenewals) != 1 {
			t.Error("refused renewal did not lead to new credentials")
		}
	})
}

// Close revokes held leases, including replaced ones not yet released;
// with revoke_on_shutdown: false it leaves them to expire.
func TestCloseRevokesHeldLeases(t *testing.T) {
	for _, revoke := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, func(c *vault.Config) { c.RevokeOnShutdown = revoke })
			e.srv.MountDatabase("database")
			e.srv.SetRole("database", "ro", vaulttest.Role{TTL: 30 * time.Second, MaxTTL: 60 * time.Second})
			d := e.open(t, "vault://database/creds/ro")
			first := mustFetch(t, d)
			second := nextLease(t, d, first.Version, 5)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			want := vaulttest.LeaseActive
			if revoke {
				want = vaulttest.LeaseRevoked
			}
			for _, id := range []string{first.Version, second.Version} {
				if got := e.srv.Lease(id); got != want {
					t.Errorf("revoke_on_shutdown %v: lease state %v, want %v", revoke, got, want)
				}
			}
			_, err := fetch(d)
			checkErr(t, "fetch after close", err, driver.ErrClosed)
		})
	}
}

// Through the store: a replaced lease is released (and revoked) once the
// store no longer holds it, and never while a consumer pins it.
func TestStoreReleasesReplacedLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: 30 * time.Second, MaxTTL: 60 * time.Second})
		s := e.store(t, secret.Decl{Name: "DB", From: "vault://database/creds/ro"})
		pin, err := s.Pin("DB")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := pin.Value("DB")
		first := v.Meta().Version
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if cur, _ := s.Get("DB"); cur.Meta().Version == first {
			t.Fatal("store still on the first lease near its max TTL")
		}
		if e.srv.Lease(first) != vaulttest.LeaseActive {
			t.Error("pinned lease revoked")
		}
		pin.Release()
		synctest.Wait()
		if e.srv.Lease(first) != vaulttest.LeaseRevoked {
			t.Error("released lease not revoked")
		}
	})
}

// Through the store, across an outage longer than the lease: the held
// credentials are served until they expire, health turns degraded as soon
// as renewals fail (with the lease still valid), then expired, and
// recovers by itself.
func TestStoreLeaseThroughOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Hour})
		s := e.store(t, secret.Decl{Name: "DB", From: "vault://database/creds/ro"})
		first, _ := s.Get("DB")
		synctest.Wait()
		e.srv.ResetCounts()
		e.srv.SetFault(vaulttest.Fault{Down: true})
		time.Sleep(40 * time.Minute)
		if h := s.Health()[0]; h.Status != secret.StatusDegraded || !h.RenewalFailing || h.Version != first.Meta().Version {
			t.Errorf("40 min into the outage: %s %q renewal failing %v, want degraded on the held lease", h.Status, h.LastError, h.RenewalFailing)
		}
		time.Sleep(18 * time.Minute)
		if h := s.Health()[0]; h.Status != secret.StatusDegraded || h.LastError != "unavailable" {
			t.Errorf("past the safety margin: %s %q, want degraded/unavailable", h.Status, h.LastError)
		}
		if v, ok := s.Get("DB"); !ok || v.Meta().Version != first.Meta().Version {
			t.Error("held credentials not served while still valid")
		}
		time.Sleep(10 * time.Minute)
		if h := s.Health()[0]; h.Status != secret.StatusExpired {
			t.Errorf("after expiry: %s, want expired", h.Status)
		}
		if n := e.srv.Count(vaulttest.Rejected); n > 60 {
			t.Errorf("%d requests during a 68 min outage: not backing off", n)
		}
		e.srv.SetFault(vaulttest.Fault{})
		time.Sleep(2 * time.Minute)
		if h := s.Health()[0]; h.Status != secret.StatusOK || h.Version == first.Meta().Version {
			t.Errorf("after the outage: %s on version changed %v, want ok on a new lease", h.Status, h.Version != first.Meta().Version)
		}
	})
}

// A fetch outside the schedule (a source saw its login refused and asked
// the store to re-read) checks a lease Vault has not confirmed lately, and
// replaces it when Vault no longer knows it. Fetches right after a grant or
// renewal ask nothing.
func TestFetchReplacesLeaseRevokedBehindOurBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: time.Hour})
		d := e.open(t, "vault://database/creds/ro")
		first := mustFetch(t, d)
		mustFetch(t, d)
		if n := e.srv.Count(vaulttest.LeaseLookups); n != 0 {
			t.Errorf("%d lookups of a lease just granted", n)
		}
		time.Sleep(time.Minute)
		e.srv.RevokeLease(first.Version)
		next := mustFetch(t, d)
		if next.Version == first.Version || e.srv.Lease(next.Version) != vaulttest.LeaseActive {
			t.Error("a revoked lease was served again")
		}
	})
}
