package vault_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret"
)

// Compressed TTLs (lease 3s, max 9s) across several credential generations
// with 8 consumers that pin the credentials for each call, as sources do:
// every call runs on a lease that Vault still honours, every replaced lease
// is revoked once its last call ended, and Vault sees no more requests than
// the schedule needs.
func TestGenerationsUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, nil)
		e.srv.MountDatabase("database")
		e.srv.SetRole("database", "ro", vaulttest.Role{TTL: 3 * time.Second, MaxTTL: 9 * time.Second})
		s := e.store(t, secret.Decl{Name: "DB", From: "vault://database/creds/ro"})
		var (
			calls, failed atomic.Int64
			mu            sync.Mutex
			seen          = map[string]bool{}
			stop          = make(chan struct{})
			wg            sync.WaitGroup
		)
		call := func() {
			pin, err := s.Pin("DB")
			if err != nil {
				failed.Add(1)
				return
			}
			defer pin.Release()
			v, _ := pin.Value("DB")
			id := v.Meta().Version
			mu.Lock()
			seen[id] = true
			mu.Unlock()
			ok := e.srv.Lease(id) == vaulttest.LeaseActive
			time.Sleep(100 * time.Millisecond) // the call's work on the pinned credentials
			if !ok || e.srv.Lease(id) != vaulttest.LeaseActive {
				failed.Add(1)
			}
			calls.Add(1)
		}
		for range 8 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						call()
					}
				}
			})
		}
		time.Sleep(40 * time.Second)
		close(stop)
		wg.Wait()
		synctest.Wait()

		t.Logf("calls %d generations %d issued %d renewals %d", calls.Load(), len(seen), e.srv.Count(vaulttest.CredsIssued), e.srv.Count(vaulttest.LeaseRenewals))
		cur, _ := s.Get("DB")
		if n := len(seen); n < 4 {
			t.Fatalf("%d credential generations in 40s, want at least 4", n)
		}
		if failed.Load() != 0 {
			t.Errorf("%d of %d calls ran on credentials Vault no longer honoured", failed.Load(), calls.Load())
		}
		for id := range seen {
			if id != cur.Meta().Version && e.srv.Lease(id) != vaulttest.LeaseRevoked {
				t.Errorf("replaced lease left %v after its last call", e.srv.Lease(id))
			}
		}
		issued, renewals := e.srv.Count(vaulttest.CredsIssued), e.srv.Count(vaulttest.LeaseRenewals)
		if issued > len(seen)+1 || renewals > 5*issued {
			t.Errorf("%d generations cost %d issues and %d renewals: more than the schedule needs", len(seen), issued, renewals)
		}
	})
}
