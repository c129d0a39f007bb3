package source_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
	"github.com/hushmcp/hush/source/sourcetest"
)

// memSecrets is sourcetest's real secret store over an in-memory provider,
// counting subscriptions so tests can see Live end them.
type memSecrets struct {
	*sourcetest.Secrets

	mu         sync.Mutex
	open, done int
}

func newMemSecrets(t *testing.T, vals map[string]string) *memSecrets {
	return &memSecrets{Secrets: sourcetest.NewSecrets(t, vals)}
}

func (f *memSecrets) Subscribe(names ...string) (<-chan secret.Event, func()) {
	ch, cancel := f.Secrets.Subscribe(names...)
	f.mu.Lock()
	f.open++
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			cancel()
			f.mu.Lock()
			f.open--
			f.done++
			f.mu.Unlock()
		})
	}
}

func (f *memSecrets) set(name, v string) { f.Set(name, v) }

func (f *memSecrets) subscribers() (open, ended int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open, f.done
}

// conn is a fake client: the DSN it was built from.
type conn struct {
	dsn    string
	closed bool
}

// connector builds conns, refusing DSNs that contain "bad".
type connector struct {
	mu    sync.Mutex
	built []*conn
}

func (c *connector) connect(_ context.Context, creds cred.Expanded) (*conn, error) {
	dsn := creds.Values[0]
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(dsn, "bad") {
		return nil, fmt.Errorf("login rejected: %w", driver.ErrPermission)
	}
	n := &conn{dsn: dsn}
	c.built = append(c.built, n)
	return n, nil
}

func (c *connector) close(n *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n.closed = true
}

func (c *connector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.built)
}

func openLive(t *testing.T, f *memSecrets, c *connector) *source.Live[*conn] {
	t.Helper()
	l, err := source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Name: "main", Creds: cred.Set{cred.New("db://app:${secret:PW}@host", cred.DSN)}, Kind: "fake",
		Secrets: f, Connect: c.connect, Close: c.close,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func currentDSN(t *testing.T, l *source.Live[*conn]) string {
	t.Helper()
	lease, err := l.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	return lease.Value().dsn
}

func TestLiveSwapsOnChangeOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, c := newMemSecrets(t, map[string]string{"PW": "one"}), &connector{}
		l := openLive(t, f, c)
		defer l.Close()
		f.set("PW", "one") // spurious: same value
		synctest.Wait()
		if c.count() != 1 || !l.State().LastSwap.IsZero() {
			t.Fatalf("a spurious event rebuilt the client (%d built)", c.count())
		}
		f.set("PW", "two")
		synctest.Wait()
		if got := currentDSN(t, l); got != "db://app:two@host" {
			t.Fatalf("current client built from %q", got)
		}
		if !c.built[0].closed {
			t.Fatal("old client not closed after the swap")
		}
		if st := l.State(); st.Status != "ok" || st.LastSwap.IsZero() || st.Secrets[0] != "PW" {
			t.Fatalf("state %+v", st)
		}
	})
}

func TestLiveDegradedThenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, c := newMemSecrets(t, map[string]string{"PW": "one"}), &connector{}
		l := openLive(t, f, c)
		defer l.Close()
		f.set("PW", "bad")
		synctest.Wait()
		if st := l.State(); st.Status != "degraded" || st.LastError != "permission" {
			t.Fatalf("state %+v, want degraded/permission", st)
		}
		if got := currentDSN(t, l); got != "db://app:one@host" {
			t.Fatalf("serving %q, want the old client", got)
		}
		f.set("PW", "one") // the old value is back: nothing to rebuild
		synctest.Wait()
		if st := l.State(); st.Status != "ok" || st.LastError != "" || c.count() != 1 {
			t.Fatalf("state %+v with %d clients built, want ok and no rebuild", st, c.count())
		}
	})
}

func TestLiveOpenFailureUnsubscribes(t *testing.T) {
	f, c := newMemSecrets(t, map[string]string{"PW": "bad"}), &connector{}
	_, err := source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Name: "main", Creds: cred.Set{cred.New("${secret:PW}", cred.DSN)}, Secrets: f, Connect: c.connect, Close: c.close,
	})
	if !errors.Is(err, driver.ErrPermission) {
		t.Fatalf("got %v, want the connect error", err)
	}
	_, err = source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Name: "main", Creds: cred.Set{cred.New("${secret:NOPE}", cred.DSN)}, Secrets: f, Connect: c.connect, Close: c.close,
	})
	if !errors.Is(err, driver.ErrNotFound) || !strings.Contains(err.Error(), `"NOPE"`) {
		t.Fatalf("got %v, want a not-found error naming the secret", err)
	}
	if open, ended := f.subscribers(); open != 0 || ended != 2 {
		t.Fatalf("%d subscriptions left open, %d ended; want 0, 2", open, ended)
	}
}

func TestLiveClose(t *testing.T) {
	f, c := newMemSecrets(t, map[string]string{"PW": "one"}), &connector{}
	l := openLive(t, f, c)
	l.Close()
	l.Close()
	if _, err := l.Acquire(); !errors.Is(err, source.ErrClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
	if l.State().Status != "closed" || !c.built[0].closed {
		t.Fatal("Close did not close the client or mark the state")
	}
	if open, _ := f.subscribers(); open != 0 {
		t.Fatal("Close left the subscription open")
	}
}

// A client holds the secret versions it was built from until it is closed:
// the provider hears that the old version is unused only after the swap.
func TestLiveReleasesVersionAfterDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, c := newMemSecrets(t, map[string]string{"PW": "one"}), &connector{}
		l := openLive(t, f, c)
		defer l.Close()
		lease, err := l.Acquire() // a call in flight on the first client
		if err != nil {
			t.Fatal(err)
		}
		f.set("PW", "two")
		synctest.Wait()
		if got := f.Released(); len(got) != 0 {
			t.Fatalf("released %v while a call still used the old client", got)
		}
		lease.Release()
		synctest.Wait()
		if got := f.Released(); len(got) != 1 || got[0] != "one" {
			t.Fatalf("released %v, want [one]", got)
		}
	})
}
