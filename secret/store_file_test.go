package secret_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
)

// A Kubernetes Secret volume rotated by kubelet's AtomicWriter reaches the
// store's subscribers, and the previous value stays known for redaction.
func TestStoreFollowsKubernetesMount(t *testing.T) {
	m := kubetest.NewMount(t, t.TempDir(), map[string]string{"password": canaryKey})
	mux := secret.NewMux()
	mux.Register("file", &file.Opener{Debounce: 20 * time.Millisecond, PollInterval: time.Hour})
	s, logs, err := openStore(t, mux, secret.Decl{Name: "PW", From: "file://" + m.Path("password"), Rules: secret.Rules{MinLength: 16}})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := s.Subscribe("PW")
	defer cancel()
	for gen := 1; gen <= 3; gen++ {
		want := canaryKey + strings.Repeat("x", gen)
		m.Update(map[string]string{"password": want})
		select {
		case ev := <-events:
			if ev.New.Length != len(want) {
				t.Errorf("generation %d: event length %d, want %d", gen, ev.New.Length, len(want))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("generation %d: no change event", gen)
		}
		if v, _ := s.Get("PW"); v.RevealString() != want {
			t.Fatalf("generation %d: store serves a stale value", gen)
		}
	}
	if n := len(s.Known()); n != 4 {
		t.Errorf("Known holds %d values, want the current one and 3 previous", n)
	}
	assertNoCanary(t, "logs", logs.String())
}

// flaky is a watching driver whose first read after a change fails, like a
// file read mid-write; it signals each change only once.
type flaky struct {
	mu      sync.Mutex
	data    string
	failOne bool
	changes chan struct{}
}

func (f *flaky) Changes() <-chan struct{} { return f.changes }
func (f *flaky) Close() error             { return nil }

func (f *flaky) Fetch(context.Context) (driver.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOne {
		f.failOne = false
		return driver.Snapshot{}, driver.ErrUnavailable
	}
	return driver.Snapshot{Data: []byte(f.data)}, nil
}

func TestWatchedRefreshRetriesAfterFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flaky{data: canaryKey, changes: make(chan struct{}, 1)}
		mux := secret.NewMux()
		mux.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return f, nil }))
		s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k"}},
			secret.Options{Mux: mux, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f.mu.Lock()
		f.data, f.failOne = canaryKey+"-v2", true
		f.mu.Unlock()
		f.changes <- struct{}{}
		synctest.Wait()
		if h := s.Health()[0]; h.Status != secret.StatusDegraded {
			t.Fatalf("status after failed read = %s, want degraded", h.Status)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if v, _ := s.Get("K"); v.RevealString() != canaryKey+"-v2" {
			t.Error("a failed read after a change was never retried")
		}
	})
}
