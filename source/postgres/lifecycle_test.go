package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
	"github.com/hushmcp/hush/source/sourcetest"
)

// The credential is a JSON document naming a role and its password, read
// through ${secret:CRED#user} and ${secret:CRED#password}: the suite
// rotates between two roles and refuses a wrong password.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: postgres.Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			a, b := newEnv(t), newEnv(t)
			doc := func(role, pw string) string {
				out, _ := json.Marshal(map[string]string{"user": role, "password": pw})
				return string(out)
			}
			bad := canary(a.role + "-wrong")
			dsn := fmt.Sprintf("postgres://${secret:%[1]s#user}:${secret:%[1]s#password}@127.0.0.1:%d/%s?sslmode=disable",
				sourcetest.CredSecret, srv.Port(), appDB)
			return sourcetest.Backend{
				Spec:   postgres.Spec{DSN: dsn, MaxConns: 2},
				Good:   []string{doc(a.role, a.password), doc(b.role, b.password)},
				Bad:    doc(a.role, bad),
				Hidden: []string{a.password, b.password, bad},
				Call: func(ctx context.Context, src source.Source) error {
					_, err := src.(source.SQL).Query(ctx, source.Query{SQL: "SELECT count(*) FROM items", ReadOnly: true})
					return err
				},
				Hold: func(t *testing.T, src source.Source) (func(), <-chan error) { return holdCall(t, a, src) },
			}
		},
	})
}

var lockSeq atomic.Int64

// holdCall starts a call that waits for an advisory lock the test holds,
// and returns once the server shows it waiting.
func holdCall(t *testing.T, e *env, src source.Source) (func(), <-chan error) {
	key := 7_000_000 + lockSeq.Add(1)
	lock := e.holdLock(t, key)
	done := make(chan error, 1)
	go func() {
		_, err := src.(source.SQL).Query(context.Background(), source.Query{
			SQL: "SELECT pg_advisory_xact_lock($1)", Args: []any{key}, ReadOnly: true})
		done <- err
	}()
	eventually(t, "the call to wait for the lock", func() bool { return lock.waiters() > 0 })
	var once sync.Once
	return func() { once.Do(lock.release) }, done
}
