package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

// TestSecretChangeSwapsDatabase points the source at another file by
// rotating the secret its DSN names, under concurrent load: no call may
// fail, and calls must move to the new file.
func TestSecretChangeSwapsDatabase(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	createDB(t, a, "a")
	createDB(t, b, "b")
	log := newLog(t)
	store, mount := mountStore(t, log, a)
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: "${secret:DB_PATH}"}, store, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var seenB, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				res, err := s.Query(ctx, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
				cancel()
				switch {
				case err != nil || len(res.Rows) != 1:
					failed.Add(1)
				case res.Rows[0][0] == "b":
					seenB.Add(1)
				}
			}
		})
	}
	mount.Update(map[string]string{"path": b})
	eventually(t, "calls to reach the new file", func() bool { return seenB.Load() > 100 || failed.Load() > 0 })
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d calls failed across the swap", n)
	}
	if st := s.State(); st.Status != "ok" || st.LastSwap.IsZero() {
		t.Fatalf("state %+v, want ok with a swap", st)
	}
}

// TestFailedSwapKeepsServing rotates to a file that does not exist: the
// source must keep the old database, report degraded, and recover.
func TestFailedSwapKeepsServing(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.db")
	createDB(t, a, "a")
	log := newLog(t)
	store, mount := mountStore(t, log, a)
	s, err := sqlite.Open(testCtx(t), sqlite.Spec{Name: "local", DSN: "${secret:DB_PATH}"}, store, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	mount.Update(map[string]string{"path": filepath.Join(dir, "missing.db")})
	eventually(t, "degraded state", func() bool { return s.State().Status == "degraded" })
	if st := s.State(); st.LastError != "not_found" {
		t.Fatalf("state %+v, want error class not_found", st)
	}
	res := mustQuery(t, s, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
	if res.Rows[0][0] != "a" {
		t.Fatalf("rows %#v, want the old database", res.Rows)
	}
	mount.Update(map[string]string{"path": a})
	eventually(t, "recovery", func() bool { return s.State().Status == "ok" })
}
