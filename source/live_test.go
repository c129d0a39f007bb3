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
)

// fakeSecrets is a minimal source.Secrets: values in a map, change events
// sent by set.
type fakeSecrets struct {
	mu    sync.Mutex
	vals  map[string]string
	subs  map[chan secret.Event]bool
	unsub int
}

func newFakeSecrets(vals map[string]string) *fakeSecrets {
	return &fakeSecrets{vals: vals, subs: map[chan secret.Event]bool{}}
}

func (f *fakeSecrets) Expand(t string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, name := range secret.Refs(t) {
		v, ok := f.vals[name]
		if !ok {
			return "", fmt.Errorf("secret %q is not available", name)
		}
		t = strings.ReplaceAll(t, "${secret:"+name+"}", v)
	}
	return t, nil
}

func (f *fakeSecrets) Subscribe(...string) (<-chan secret.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan secret.Event, 4)
	f.subs[ch] = true
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			delete(f.subs, ch)
			close(ch)
			f.unsub++
		})
	}
}

func (f *fakeSecrets) set(name, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vals[name] = v
	for ch := range f.subs {
		select {
		case ch <- secret.Event{Name: name}:
		default:
		}
	}
}

func (f *fakeSecrets) subscribers() (open, ended int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs), f.unsub
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

func (c *connector) connect(_ context.Context, dsn string) (*conn, error) {
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

func openLive(t *testing.T, f *fakeSecrets, c *connector) *source.Live[*conn] {
	t.Helper()
	l, err := source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Spec: source.Spec{Name: "main", DSN: "db://app:${secret:PW}@host"}, Kind: "fake",
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
		f, c := newFakeSecrets(map[string]string{"PW": "one"}), &connector{}
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
		f, c := newFakeSecrets(map[string]string{"PW": "one"}), &connector{}
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
	f, c := newFakeSecrets(map[string]string{"PW": "bad"}), &connector{}
	_, err := source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Spec: source.Spec{Name: "main", DSN: "${secret:PW}"}, Secrets: f, Connect: c.connect, Close: c.close,
	})
	if !errors.Is(err, driver.ErrPermission) {
		t.Fatalf("got %v, want the connect error", err)
	}
	_, err = source.OpenLive(t.Context(), source.LiveConfig[*conn]{
		Spec: source.Spec{Name: "main", DSN: "${secret:NOPE}"}, Secrets: f, Connect: c.connect, Close: c.close,
	})
	if !errors.Is(err, driver.ErrNotFound) || !strings.Contains(err.Error(), `"NOPE"`) {
		t.Fatalf("got %v, want a not-found error naming the secret", err)
	}
	if open, ended := f.subscribers(); open != 0 || ended != 2 {
		t.Fatalf("%d subscriptions left open, %d ended; want 0, 2", open, ended)
	}
}

func TestLiveClose(t *testing.T) {
	f, c := newFakeSecrets(map[string]string{"PW": "one"}), &connector{}
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
