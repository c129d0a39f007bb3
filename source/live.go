package source

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// LiveConfig says how to build and close one kind's client.
type LiveConfig[T any] struct {
	Spec    Spec
	Kind    string // for logs: "postgres", "sqlite", ...
	Secrets Secrets
	Log     *slog.Logger // nil: discard
	// Connect builds a client for an expanded DSN and verifies it (a ping).
	// On error it leaves nothing open, and its error holds no part of dsn.
	Connect func(ctx context.Context, dsn string) (T, error)
	// Close closes a client; it runs once no call uses the client.
	Close func(T)
}

// Live keeps a client built from a DSN template current as the secrets the
// template names rotate: on a change it expands the template, connects,
// and swaps the new client in (Swap), retrying failures with backoff
// (Rotator) while the old client keeps serving and State reports degraded.
// Safe for concurrent use.
type Live[T any] struct {
	cfg       LiveConfig[T]
	names     []string
	swap      *Swap[T]
	applied   string // DSN of the live client; used by Open, then only by the rotation goroutine
	cancel    context.CancelFunc
	done      chan struct{}
	unsub     func()
	closeOnce sync.Once

	mu    sync.Mutex
	state State
}

// OpenLive subscribes to the template's secrets, expands it, connects, and
// starts following changes on a goroutine that Close stops. It blocks until
// the first client is ready or ctx ends.
func OpenLive[T any](ctx context.Context, cfg LiveConfig[T]) (*Live[T], error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l := &Live[T]{cfg: cfg, names: cfg.Spec.Secrets(), done: make(chan struct{})}
	// Subscribe before the first read so that no change is missed.
	events, unsub := l.subscribe()
	dsn, err := l.expand()
	if err != nil {
		unsub()
		return nil, err
	}
	v, err := cfg.Connect(ctx, dsn)
	if err != nil {
		unsub()
		return nil, err
	}
	l.swap, l.applied, l.unsub = NewSwap(v, cfg.Close), dsn, unsub
	l.state = State{Status: "ok", Secrets: l.names}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	r := Rotator{Events: events, Apply: l.apply, Failed: l.failed}
	go func() { defer close(l.done); r.Run(runCtx) }()
	return l, nil
}

func (l *Live[T]) subscribe() (<-chan secret.Event, func()) {
	if len(l.names) == 0 {
		return nil, func() {}
	}
	return l.cfg.Secrets.Subscribe(l.names...)
}

// expand reads the current secret values into the template.
func (l *Live[T]) expand() (string, error) {
	dsn, err := l.cfg.Secrets.Expand(l.cfg.Spec.DSN)
	if err != nil {
		// The store's message names the secret, never a value.
		return "", fmt.Errorf("expand dsn of source %q: %v: %w", l.cfg.Spec.Name, err, driver.ErrNotFound)
	}
	return dsn, nil
}

// apply swaps in a client built from the current values, if they changed.
func (l *Live[T]) apply(ctx context.Context) error {
	dsn, err := l.expand()
	if err != nil {
		return err
	}
	if dsn == l.applied {
		l.setState(false, nil) // e.g. a rejected value was put back
		return nil
	}
	v, err := l.cfg.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	if err := l.swap.Replace(v); err != nil {
		return nil // closed meanwhile; Replace closed v
	}
	l.applied = dsn
	l.setState(true, nil)
	l.cfg.Log.Info("source credentials swapped", "source", l.cfg.Spec.Name, "kind", l.cfg.Kind, "secrets", l.names)
	return nil
}

func (l *Live[T]) failed(err error) {
	l.setState(false, err)
	l.cfg.Log.Warn("source credential swap", "source", l.cfg.Spec.Name, "kind", l.cfg.Kind,
		"error_class", driver.Class(err), "error", err.Error())
}

func (l *Live[T]) setState(swapped bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Status == "closed" {
		return
	}
	l.state.Status, l.state.LastError = "ok", ""
	if err != nil {
		l.state.Status, l.state.LastError = "degraded", driver.Class(err)
	}
	if swapped {
		l.state.LastSwap = time.Now()
	}
}

// Names returns the secrets the template refers to.
func (l *Live[T]) Names() []string { return slices.Clone(l.names) }

// Acquire pins the current client for one call; see Swap.Acquire.
func (l *Live[T]) Acquire() (Lease[T], error) { return l.swap.Acquire() }

// State reports health without touching the network.
func (l *Live[T]) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state
	st.Secrets = slices.Clone(st.Secrets)
	return st
}

// Close stops following secrets, waits for calls in flight and closes
// every client. Idempotent; every call waits for the first to finish.
func (l *Live[T]) Close() {
	l.closeOnce.Do(func() {
		l.cancel()
		<-l.done
		l.unsub()
		l.swap.Close()
		l.mu.Lock()
		l.state.Status = "closed"
		l.mu.Unlock()
	})
}
