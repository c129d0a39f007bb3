package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/wait"
	"github.com/hushmcp/hush/source"
)

// Lifecycle describes one source kind to RunLifecycle: the kind as it is
// registered, and a way to make fresh backends for it.
type Lifecycle struct {
	Kind source.Kind
	// Backend prepares a fresh backend for one case. Required.
	Backend func(t *testing.T) Backend
}

// CredSecret is the secret a Backend's spec names in its credential
// templates, e.g. dsn: "postgres://app:${secret:CRED}@host/db".
const CredSecret = "CRED"

// Backend is one backend the kind's source talks to.
type Backend struct {
	// Spec is what the kind's Decode would return for a source whose
	// templates name CredSecret.
	Spec any
	// Good are credentials the backend accepts, at least two, in the order
	// the suite rotates through them; Good[0] is the initial value.
	Good []string
	// Bad is a credential the backend refuses. It must be a canary: the
	// suite fails if it, or any Good value, appears in an error, a state
	// or a log line.
	Bad string
	// Hidden are more values that must never appear, such as the passwords
	// inside Good when those are JSON documents.
	Hidden []string
	// Call runs one cheap call that must succeed.
	Call func(ctx context.Context, src source.Source) error
	// Hold starts a call that stays in flight until release is called. It
	// returns once the backend has the call; done receives the call's
	// result.
	Hold func(t *testing.T, src source.Source) (release func(), done <-chan error)
}

// RunLifecycle checks what every source kind promises, whatever it talks
// to: ping and state, rotation through the secret store, a refused
// credential leaving the old client serving with state degraded, recovery,
// Close waiting for calls in flight, and no credential in any error, state
// or log.
func RunLifecycle(t *testing.T, l Lifecycle) {
	if l.Kind.Open == nil || l.Backend == nil {
		t.Fatal("sourcetest: Lifecycle.Kind and Lifecycle.Backend are required")
	}
	cases := []struct {
		name string
		run  func(*testing.T, *live)
	}{
		{"PingAndState", testPingAndState},
		{"Rotation", testRotation},
		{"RefusedCredentialKeepsServing", testRefused},
		{"CloseWaitsForCalls", testCloseWaits},
		{"AfterClose", testAfterClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, openLive(t, l)) })
	}
}

// live is one case's source with its backend, secrets and log.
type live struct {
	b       Backend
	src     source.Source
	secrets *Secrets
	log     *bytes.Buffer
	logMu   *sync.Mutex
}

func openLive(t *testing.T, l Lifecycle) *live {
	t.Helper()
	b := l.Backend(t)
	if len(b.Good) < 2 || b.Bad == "" || b.Call == nil || b.Hold == nil {
		t.Fatal("sourcetest: Backend needs two Good credentials, Bad, Call and Hold")
	}
	lv := &live{b: b, secrets: NewSecrets(t, map[string]string{CredSecret: b.Good[0]}), log: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{lv.logMu, lv.log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := l.Kind.Open(t.Context(), b.Spec, source.Env{Name: "lifecycle", Secrets: lv.secrets, Log: logger})
	if err != nil {
		t.Fatalf("open: %s", lv.scrub(err.Error()))
	}
	lv.src = src
	t.Cleanup(func() {
		_ = src.Close()
		lv.logMu.Lock()
		defer lv.logMu.Unlock()
		lv.assertClean(t, "log", lv.log.String())
	})
	return lv
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// assertClean fails when text holds any credential of the backend.
func (lv *live) assertClean(t *testing.T, where, text string) {
	t.Helper()
	for _, c := range lv.creds() {
		if strings.Contains(text, c) {
			t.Errorf("a credential appears in the %s: %s", where, lv.scrub(text))
		}
	}
}

func (lv *live) creds() []string {
	return append(append([]string{lv.b.Bad}, lv.b.Good...), lv.b.Hidden...)
}

func (lv *live) scrub(text string) string {
	for _, c := range lv.creds() {
		text = strings.ReplaceAll(text, c, "[CREDENTIAL]")
	}
	return text
}

func (lv *live) call(t *testing.T, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := lv.b.Call(ctx, lv.src); err != nil {
		lv.assertClean(t, "call error", err.Error())
		t.Fatalf("call %s: %s", what, lv.scrub(err.Error()))
	}
}

// eventually waits for cond: sources react to secret changes on their own
// goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 15*time.Second, cond)
}

func (lv *live) stateText(st source.State) string { return fmt.Sprintf("%+v", st) }

func testPingAndState(t *testing.T, lv *live) {
	if err := lv.src.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %s", lv.scrub(err.Error()))
	}
	st := lv.src.State()
	if st.Status != "ok" || len(st.Secrets) != 1 || st.Secrets[0] != CredSecret || st.LastError != "" {
		t.Fatalf("state %s, want ok using [%s]", lv.stateText(st), CredSecret)
	}
	lv.call(t, "on a new source")
}

func testRotation(t *testing.T, lv *live) {
	lv.secrets.Set(CredSecret, lv.b.Good[1])
	eventually(t, "the swap", func() bool { return !lv.src.State().LastSwap.IsZero() })
	lv.call(t, "after a rotation")
	if st := lv.src.State(); st.Status != "ok" {
		t.Fatalf("state %s after a rotation", lv.stateText(st))
	}
	// The old client drains and closes; only then is its version let go.
	eventually(t, "the old version's release", func() bool {
		r := lv.secrets.Released()
		return len(r) == 1 && r[0] == lv.b.Good[0]
	})
}

func testRefused(t *testing.T, lv *live) {
	lv.secrets.Set(CredSecret, lv.b.Bad)
	eventually(t, "state degraded", func() bool { return lv.src.State().Status == "degraded" })
	st := lv.src.State()
	lv.assertClean(t, "state", lv.stateText(st))
	if st.LastError == "" {
		t.Errorf("degraded state %s names no error class", lv.stateText(st))
	}
	lv.call(t, "on the old client while degraded")
	if err := lv.src.Ping(t.Context()); err != nil {
		t.Fatalf("ping while degraded: %s", lv.scrub(err.Error()))
	}
	lv.secrets.Set(CredSecret, lv.b.Good[1])
	eventually(t, "recovery", func() bool { return lv.src.State().Status == "ok" })
	lv.call(t, "after recovery")
	if lv.src.State().LastSwap.IsZero() {
		t.Error("recovered to a new credential without a swap")
	}
}

func testCloseWaits(t *testing.T, lv *live) {
	release, done := lv.b.Hold(t, lv.src)
	closed := make(chan error, 1)
	go func() { closed <- lv.src.Close() }()
	// Close must still be waiting: the call holds its client until it is
	// released, and nothing else can end it.
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-closed; err != nil {
		t.Fatalf("close: %s", lv.scrub(err.Error()))
	}
	// The call finished on its own client, which Close left open for it.
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the call in flight failed across Close: %s", lv.scrub(err.Error()))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight never finished")
	}
}

func testAfterClose(t *testing.T, lv *live) {
	if err := lv.src.Close(); err != nil {
		t.Fatalf("close: %s", lv.scrub(err.Error()))
	}
	if err := lv.src.Close(); err != nil {
		t.Fatalf("second close: %s", lv.scrub(err.Error()))
	}
	if st := lv.src.State(); st.Status != "closed" {
		t.Errorf("state %s after Close", lv.stateText(st))
	}
	if err := lv.src.Ping(t.Context()); !errors.Is(err, source.ErrClosed) {
		t.Errorf("ping after Close: %v, want source.ErrClosed", err)
	}
	lv.secrets.Set(CredSecret, lv.b.Good[1]) // a change after Close must not reopen anything
	if err := lv.src.Ping(t.Context()); !errors.Is(err, source.ErrClosed) {
		t.Errorf("ping after a change after Close: %v", err)
	}
}
