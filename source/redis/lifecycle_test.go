package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/redistest"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
)

var srv *redistest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = redistest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

var seq atomic.Int64

// user is one ACL user made for a test.
type user struct{ name, password string }

func canary(tag string) string { return "canary-" + tag + "-NOT-REAL" }

// newUser creates an ACL user with a fresh canary password holding URL
// syntax, so escaping is exercised on every login.
func newUser(t *testing.T) user {
	t.Helper()
	n := seq.Add(1)
	u := user{name: fmt.Sprintf("app%d", n), password: canary(fmt.Sprintf("redis-%d p@ss/w:rd#?%%", n))}
	if err := srv.SetUser(t.Context(), u.name, u.password); err != nil {
		t.Fatal(err)
	}
	return u
}

// credDoc is a JSON credential naming an ACL user and its password.
func credDoc(name, password string) string {
	out, _ := json.Marshal(map[string]string{"user": name, "password": password})
	return string(out)
}

// docURL reads user and password from the JSON secret CRED.
func docURL() string {
	return fmt.Sprintf("redis://${secret:%[1]s#user}:${secret:%[1]s#password}@%s/0", sourcetest.CredSecret, srv.Addr())
}

// The credential is a JSON document naming an ACL user and its password:
// the suite rotates between two users and refuses a wrong password.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			a, b := newUser(t), newUser(t)
			bad := canary(a.name + "-wrong")
			return sourcetest.Backend{
				Spec:   Spec{URL: docURL(), PoolSize: 2},
				Good:   []string{credDoc(a.name, a.password), credDoc(b.name, b.password)},
				Bad:    credDoc(a.name, bad),
				Hidden: []string{a.password, b.password, bad},
				Call: func(ctx context.Context, src source.Source) error {
					_, err := src.(KV).Exists(ctx, "lifecycle:probe")
					return err
				},
				Hold: holdCall,
			}
		},
	})
}

// holdCall starts a BLPOP on a fresh list and returns once the server shows
// a client blocked on it; release pushes to the list.
func holdCall(t *testing.T, src source.Source) (func(), <-chan error) {
	key := fmt.Sprintf("lifecycle:hold:%d", seq.Add(1))
	before := blockedClients(t)
	done := make(chan error, 1)
	go func() {
		done <- src.(*Source).do(context.Background(), "BLPOP", func(c *client) error {
			return c.BLPop(context.Background(), 0, key).Err()
		})
	}()
	eventually(t, "the call to block", func() bool { return blockedClients(t) > before })
	var once sync.Once
	release := func() {
		once.Do(func() {
			if err := srv.Admin().RPush(context.Background(), key, "go").Err(); err != nil {
				t.Errorf("release: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release, done
}

func blockedClients(t *testing.T) int {
	info, err := srv.Admin().Info(t.Context(), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "blocked_clients:"); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 10*time.Second, cond)
}
