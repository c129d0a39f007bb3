package redis

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hushmcp/hush/source/sourcetest"
)

// Under load, the password of one ACL user changes three times, each time
// on the server first (the old password stops working for new logins at
// once) and in the secret store after: no call fails, and afterwards the
// old passwords are refused.
func TestRotationUnderLoad(t *testing.T) {
	u := newUser(t)
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: credDoc(u.name, u.password)})
	src, err := Open(t.Context(), Spec{Name: "cache", URL: docURL(), PoolSize: 4}, secrets, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer src.Close()
	var calls, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { load(t, src, w, stop, &calls, &failed) })
	}
	old := []string{u.password}
	for i := range 3 {
		waitCalls(&calls, int64(500*(i+1)))
		pw := canary(fmt.Sprintf("rotated-%d-%s", i, u.name))
		if err := srv.SetUser(t.Context(), u.name, pw); err != nil {
			t.Fatal(err)
		}
		swaps := src.State().LastSwap
		secrets.Set(sourcetest.CredSecret, credDoc(u.name, pw))
		eventually(t, "the swap", func() bool { return src.State().LastSwap.After(swaps) })
		old = append(old, pw)
	}
	waitCalls(&calls, 2200)
	close(stop)
	wg.Wait()
	if calls.Load() < 2000 || failed.Load() != 0 {
		t.Errorf("%d calls, %d failed; want at least 2000 and none failed", calls.Load(), failed.Load())
	}
	for _, pw := range old[:len(old)-1] {
		c := goredis.NewClient(srv.Options(u.name, pw))
		if err := c.Ping(t.Context()).Err(); !goredis.IsAuthError(err) {
			t.Errorf("an old password still logs in (err %v)", err)
		}
		_ = c.Close()
	}
}

func load(t *testing.T, src *Source, w int, stop <-chan struct{}, calls, failed *atomic.Int64) {
	key := fmt.Sprintf("rot:%d", w)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		var err error
		if i%2 == 0 {
			_, err = src.Incr(t.Context(), key)
		} else {
			_, _, err = src.Get(t.Context(), key, 64)
		}
		calls.Add(1)
		if err != nil {
			failed.Add(1)
			msg := err.Error()
			if strings.Contains(msg, "canary") {
				msg = "an error holding a credential"
			}
			t.Errorf("call failed: %s", msg)
		}
	}
}

func waitCalls(calls *atomic.Int64, n int64) {
	for deadline := time.Now().Add(20 * time.Second); calls.Load() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// A call whose client must log in again after the password changed on the
// server, before the new secret arrived, waits for the swap and succeeds.
func TestRefusedLoginWaitsForSwap(t *testing.T) {
	u := newUser(t)
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: credDoc(u.name, u.password)})
	src, err := Open(t.Context(), Spec{Name: "cache", URL: docURL(), PoolSize: 1}, secrets, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer src.Close()
	pw := canary("after-kill-" + u.name)
	if err := srv.SetUser(t.Context(), u.name, pw); err != nil {
		t.Fatal(err)
	}
	if err := srv.Admin().ClientKillByFilter(t.Context(), "USER", u.name).Err(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { secrets.Set(sourcetest.CredSecret, credDoc(u.name, pw)) })
	if _, err := src.Incr(t.Context(), "rot:after-kill:"+u.name); err != nil {
		t.Fatalf("call across a refused login: %v", err)
	}
	if n := srv.Admin().Get(t.Context(), "rot:after-kill:"+u.name).Val(); n != "1" {
		t.Errorf("counter = %q after one INCR, want 1", n)
	}
}
