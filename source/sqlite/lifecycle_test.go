package sqlite_test

import (
	"context"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
	hushsqlite "github.com/hushmcp/hush/source/sqlite"
)

// The credential of a SQLite source is its DSN: the suite rotates between
// two database files and refuses one that does not exist.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: hushsqlite.Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
			createDB(t, a, "a")
			createDB(t, b, "b")
			return sourcetest.Backend{
				Spec: hushsqlite.Spec{DSN: "${secret:" + sourcetest.CredSecret + "}"},
				Good: []string{a, b},
				Bad:  filepath.Join(dir, "canary-missing-7c1e-NOT-REAL.db"),
				Call: func(ctx context.Context, src source.Source) error {
					_, err := src.(source.SQL).Query(ctx, source.Query{SQL: "SELECT name FROM items", ReadOnly: true})
					return err
				},
				Hold: hold,
			}
		},
	})
}

// holds are the calls in flight in sourcetest_hold(n), by n.
var (
	holdSeq atomic.Int64
	holds   sync.Map // int64 -> *held
)

type held struct {
	entered chan struct{}
	release chan struct{}
}

// sourcetest_hold(n) blocks its statement until the test releases hold n:
// a call that is in flight for as long as a test needs.
func init() {
	err := sqlite.RegisterScalarFunction("sourcetest_hold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		n, _ := args[0].(int64)
		v, ok := holds.Load(n)
		if !ok {
			return nil, fmt.Errorf("no hold %d", n)
		}
		h := v.(*held)
		close(h.entered)
		<-h.release
		return n, nil
	})
	if err != nil {
		panic(err)
	}
}

func hold(t *testing.T, src source.Source) (func(), <-chan error) {
	n := holdSeq.Add(1)
	h := &held{entered: make(chan struct{}), release: make(chan struct{})}
	holds.Store(n, h)
	done := make(chan error, 1)
	go func() {
		_, err := src.(source.SQL).Query(context.Background(), source.Query{
			SQL: "SELECT sourcetest_hold(?)", Args: []any{n}, ReadOnly: true})
		done <- err
	}()
	select {
	case <-h.entered:
	case err := <-done:
		t.Fatalf("the held call ended early: %v", err)
	}
	var once sync.Once
	return func() { once.Do(func() { close(h.release) }) }, done
}
