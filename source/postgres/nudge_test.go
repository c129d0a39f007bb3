package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

// quietDriver holds a value the store only sees when it fetches: it neither
// watches nor is static, and the store's poll interval is long, so only
// Store.Refresh picks up a change.
type quietDriver struct {
	mu  sync.Mutex
	val []byte
}

func (d *quietDriver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return driver.Snapshot{Data: append([]byte(nil), d.val...)}, ctx.Err()
}

func (d *quietDriver) Close() error { return nil }

func (d *quietDriver) set(v string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.val = []byte(v)
}

// TestRejectedLoginAsksStoreAndRetries covers the window where the database
// password changed, the provider holds the new value but the store has not
// polled it yet, and the old pool has to log in again: the call must make
// the store refresh, wait for the swap and succeed on the new pool.
func TestRejectedLoginAsksStoreAndRetries(t *testing.T) {
	e := newEnv(t)
	d := &quietDriver{val: []byte(e.password)}
	mux := secret.NewMux()
	mux.Register("quiet", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return d, nil }))
	store, err := secret.Open(testCtx(t), []secret.Decl{{Name: "DB_PASSWORD", From: "quiet://db"}},
		secret.Options{Mux: mux, Logger: e.log, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s, err := postgres.Open(testCtx(t), postgres.Spec{Name: "main", DSN: e.template(), MaxConns: 2}, store, e.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	e.changePassword("v2")
	d.set(e.password)
	postgres.ResetPool(s)

	res, err := s.Query(testCtx(t), source.Query{SQL: "SELECT 1", ReadOnly: true})
	if err != nil {
		t.Fatalf("query after the old pool lost its logins: %s", e.scrub(err))
	}
	if res.Rows[0][0] != int64(1) {
		t.Fatalf("rows %#v", res.Rows)
	}
	if st := s.State(); st.Status != "ok" || st.LastSwap.IsZero() {
		t.Fatalf("state %+v, want ok after a swap", st)
	}
}
