package source

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/cred"
)

// LiveConfig says how to build and close one kind's client.
type LiveConfig[T comparable] struct {
	Name    string   // the source's name, for errors and logs
	Kind    string   // for logs: "postgres", "sqlite", ...
	Creds   cred.Set // the templates the client is built from
	Secrets Secrets
	Log     *slog.Logger // nil: discard
	// Connect builds a client from the expanded templates and verifies it
	// (a ping). On error it leaves nothing open, and its error holds no part
	// of a credential.
	Connect func(ctx context.Context, creds cred.Expanded) (T, error)
	// Close closes a client; it runs once no call uses the client.
	Close func(T)
}

// Live keeps a client built from credential templates current as the
// secrets they name rotate: on a change it expands the templates from one
// consistent read of the secrets (a secret.Pin), connects, and swaps the new
// client in (Swap), retrying failures with backoff (Rotator) while the old
// client keeps serving and State reports degraded. Each client holds its Pin
// until it is closed, so the values it uses stay known to the redactor and a
// provider can revoke a lease only once the client that used it has
// drained. Safe for concurrent use.
type Live[T comparable] struct {
	cfg       LiveConfig[T]
	names     []string
	swap      *Swap[T]
	applied   []string // expanded templates of the live client; used by Open, then only by the rotation goroutine
	cancel    context.CancelFunc
	done      chan struct{}
	unsub     func()
	closeOnce sync.Once

	nudging sync.Mutex // one store refresh at a time; see Rejected

	mu    sync.Mutex
	state State
	pins  map[T]*secret.Pin // the secret versions each open client was built from

	swaps, failedSwaps atomic.Uint64 // see Swaps
}

// OpenLive subscribes to the templates' secrets, expands them, connects,
// and starts following changes on a goroutine that Close stops. It blocks
// until the first client is ready or ctx ends.
func OpenLive[T comparable](ctx context.Context, cfg LiveConfig[T]) (*Live[T], error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	l := &Live[T]{cfg: cfg, names: cfg.Creds.Secrets(), done: make(chan struct{}), pins: map[T]*secret.Pin{}}
	// Subscribe before the first read so that no change is missed.
	events, unsub := l.subscribe()
	creds, pin, err := l.expand()
	if err != nil {
		unsub()
		return nil, err
	}
	v, err := l.connect(ctx, creds, pin)
	if err != nil {
		unsub()
		return nil, err
	}
	l.swap, l.applied, l.unsub = NewSwap(v, l.closeClient), creds.Values, unsub
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

// expand pins the current secret values and fills the templates from them.
func (l *Live[T]) expand() (cred.Expanded, *secret.Pin, error) {
	pin, err := l.cfg.Secrets.Pin(l.names...)
	if err != nil {
		// The store's message names the secret, never a value.
		return cred.Expanded{}, nil, classed{fmt.Errorf("source %q: credentials: %w", l.cfg.Name, err), driver.ErrNotFound}
	}
	creds, err := l.cfg.Creds.Expand(pin)
	if err != nil {
		pin.Release()
		return cred.Expanded{}, nil, classed{fmt.Errorf("source %q: credentials: %w", l.cfg.Name, err), driver.ErrInvalid}
	}
	return creds, pin, nil
}

// connect builds a client and records the pin it was built from; on error
// it lets go of the pin.
func (l *Live[T]) connect(ctx context.Context, creds cred.Expanded, pin *secret.Pin) (T, error) {
	v, err := l.cfg.Connect(ctx, creds)
	if err != nil {
		pin.Release()
		return v, err
	}
	l.mu.Lock()
	l.pins[v] = pin
	l.mu.Unlock()
	return v, nil
}

// closeClient closes a drained client, then lets go of its secret versions.
func (l *Live[T]) closeClient(v T) {
	l.cfg.Close(v)
	l.mu.Lock()
	pin := l.pins[v]
	delete(l.pins, v)
	l.mu.Unlock()
	if pin != nil {
		pin.Release()
	}
}

// apply swaps in a client built from the current values, if they changed.
func (l *Live[T]) apply(ctx context.Context) error {
	creds, pin, err := l.expand()
	if err != nil {
		return err
	}
	if slices.Equal(creds.Values, l.applied) {
		pin.Release()
		l.setState(false, nil) // e.g. a rejected value was put back
		return nil
	}
	v, err := l.connect(ctx, creds, pin)
	if err != nil {
		return err
	}
	if err := l.swap.Replace(v); err != nil {
		return nil // closed meanwhile; Replace closed v
	}
	l.applied = creds.Values
	l.swaps.Add(1)
	l.setState(true, nil)
	l.cfg.Log.Info("source credentials swapped", "source", l.cfg.Name, "kind", l.cfg.Kind, "secrets", l.names)
	return nil
}

func (l *Live[T]) failed(err error) {
	l.failedSwaps.Add(1)
	l.setState(false, err)
	l.cfg.Log.Warn("source credential swap", "source", l.cfg.Name, "kind", l.cfg.Kind,
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

// Swaps counts, since Open, the clients swapped in on rotation and the
// attempts that failed (each retry counts); see source.SwapCounter.
func (l *Live[T]) Swaps() (ok, failed uint64) { return l.swaps.Load(), l.failedSwaps.Load() }

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

// classed is an error with a driver class that adds nothing to its text:
// the message is already whole, and the class is for errors.Is and health.
type classed struct {
	error
	class error
}

func (c classed) Unwrap() []error { return []error{c.error, c.class} }
