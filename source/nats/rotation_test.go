package nats

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/hushmcp/hush/source/sourcetest"
)

// load is a rotation test's publishers and the subscriber that counts what
// arrives.
type load struct {
	src      *Source
	subject  string
	js       bool
	calls    atomic.Int64
	mu       sync.Mutex
	sent     map[string]bool // payloads whose publish succeeded
	failures []error
	recvMu   sync.Mutex
	received map[string]int
}

func newLoad(t *testing.T, src *Source, subject string, js bool) *load {
	l := &load{src: src, subject: subject, js: js, sent: map[string]bool{}, received: map[string]int{}}
	nc := admin(t)
	sub, err := nc.Subscribe(subject, func(m *natsio.Msg) {
		l.recvMu.Lock()
		l.received[string(m.Data)]++
		l.recvMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1) // never drop a message as a slow consumer
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return l
}

// run starts 8 workers; stop ends them and waits.
func (l *load) run(t *testing.T) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { l.work(t, w, done) })
	}
	return func() { close(done); wg.Wait() }
}

func (l *load) work(t *testing.T, w int, done <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		id := fmt.Sprintf("%d-%d", w, i)
		m := Message{Subject: l.subject, Data: []byte(id), JetStream: l.js}
		if l.js {
			m.MsgID = id
		}
		_, err := l.src.Publish(callCtx(t), m)
		l.calls.Add(1)
		l.mu.Lock()
		if err != nil {
			l.failures = append(l.failures, err)
		} else {
			l.sent[id] = true
		}
		l.mu.Unlock()
	}
}

func (l *load) waitCalls(n int64) {
	for deadline := time.Now().Add(30 * time.Second); l.calls.Load() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// checkReceived waits for every sent message and fails on a lost, an
// unexpected or a repeated one.
func (l *load) checkReceived(t *testing.T) {
	t.Helper()
	eventually(t, "every sent message", func() bool {
		l.recvMu.Lock()
		defer l.recvMu.Unlock()
		return len(l.received) >= len(l.sent)
	})
	time.Sleep(50 * time.Millisecond) // let a late copy arrive, if there were one
	l.recvMu.Lock()
	defer l.recvMu.Unlock()
	for id, n := range l.received {
		if n != 1 || !l.sent[id] {
			t.Errorf("message %s received %d times (publish succeeded: %v)", id, n, l.sent[id])
		}
	}
	for id := range l.sent {
		if l.received[id] == 0 {
			t.Errorf("message %s published but never received", id)
		}
	}
}

func (l *load) failed() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.failures...)
}

// Under load, the credential changes three times the way NATS allows
// without a gap: the server admits the next user (or the next password of
// the idle one) first, the secret follows, and the user that was replaced
// is revoked once the old connection has drained. No publish fails, every
// message arrives exactly once, and the old passwords are refused.
func TestRotationUnderLoad(t *testing.T) {
	users := []user{newUser(t), {name: fmt.Sprintf("app%d", seq.Add(1))}}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: credDoc(users[0].name, users[0].password)})
	src, err := Open(t.Context(), Spec{Name: "bus", URL: docURL()}, secrets, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer src.Close()
	l := newLoad(t, src, "rot.core", false)
	stop := l.run(t)
	var old []user
	for i := range 3 {
		l.waitCalls(int64(600 * (i + 1)))
		cur, next := users[i%2], users[(i+1)%2]
		next.password = canary(fmt.Sprintf("rotated-%d-%s", i, next.name))
		users[(i+1)%2] = next
		setPassword(t, next.name, next.password)
		rotate(t, src, secrets, credDoc(next.name, next.password), credDoc(cur.name, cur.password))
		setPassword(t, cur.name, "") // revoke the replaced user
		old = append(old, cur)
	}
	l.waitCalls(2400)
	stop()
	if f := l.failed(); len(f) > 0 || l.calls.Load() < 2000 {
		t.Fatalf("%d publishes, %d failed (first: %v); want at least 2000 and none failed", l.calls.Load(), len(f), first(f))
	}
	l.checkReceived(t)
	t.Logf("%d publishes across 3 credential changes, each received once", l.calls.Load())
	for _, u := range old {
		if _, err := natsio.Connect(srv.URL(), natsio.UserInfo(u.name, u.password)); !errors.Is(err, natsio.ErrAuthorization) {
			t.Errorf("an old password still logs in (err %v)", err)
		}
	}
}

// rotate sets the secret and waits for the swap and for the old
// connection to drain and close (its secret version is then released).
func rotate(t *testing.T, src *Source, secrets *sourcetest.Secrets, next, prev string) {
	t.Helper()
	swaps := src.State().LastSwap
	secrets.Set(sourcetest.CredSecret, next)
	eventually(t, "the swap", func() bool { return src.State().LastSwap.After(swaps) })
	eventually(t, "the old connection to drain", func() bool {
		for _, r := range secrets.Released() {
			if r == prev {
				return true
			}
		}
		return false
	})
}

func first(errs []error) string {
	if len(errs) == 0 {
		return "none"
	}
	msg := errs[0].Error()
	if strings.Contains(msg, "canary") {
		return "an error holding a credential"
	}
	return msg
}
