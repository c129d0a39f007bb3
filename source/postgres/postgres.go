// Package postgres is the PostgreSQL source: a pgx connection pool whose
// credentials come from declared secrets and are swapped without a restart
// and without failing a call when a secret rotates.
//
// # Rotation
//
// The source subscribes to the secrets its DSN names. On a change it expands
// the DSN, builds a new pool, pings it, fills it to its full size, and only
// then swaps it in atomically (source.Swap). The old pool stays open until
// the calls that started on it have finished, then it is closed. If the new
// credential does not work, the old pool keeps serving, State reports
// "degraded" with the error class, and the swap is retried with backoff
// (source.Rotator) until it works or a newer value arrives.
//
// PostgreSQL checks a password only when a connection logs in, so after
// ALTER ROLE ... PASSWORD the old pool's open connections keep working; only
// new logins with the old password fail. Two measures keep that from
// failing calls in the window between the password change and the new
// secret reaching us:
//
//   - pools are kept at their full size (MinConns = MaxConns) and a new pool
//     is filled before it is swapped in, so the old pool rarely needs a new
//     login while a rotation is under way;
//   - a call whose connection login is rejected (SQLSTATE class 28) asks the
//     secret store to refresh the DSN's secrets, if it can, waits briefly for
//     a swap and retries once on the new pool. Nothing was sent to the
//     database on the failed attempt, so the retry cannot run a statement
//     twice.
//
// The cost is that a rotation briefly holds twice MaxConns connections.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
)

// Tunables.
const (
	DefaultMaxConns = 4
	connectTimeout  = 10 * time.Second // login, ping and fill of a new pool
	authRetryWait   = 5 * time.Second  // how long a rejected call waits for a swap
)

// Source is an open PostgreSQL source. Safe for concurrent use.
type Source struct {
	spec    source.Spec
	names   []string
	secrets source.Secrets
	log     *slog.Logger
	swap    *source.Swap[*pool]

	cancel    context.CancelFunc
	done      chan struct{} // closed when the rotation goroutine ends
	unsub     func()
	closeOnce sync.Once
	nudging   sync.Mutex // one store refresh at a time

	mu    sync.Mutex
	state source.State
}

var _ source.SQL = (*Source)(nil)

// pool is one generation of credentials: a pgx pool and what built it.
type pool struct {
	*pgxpool.Pool
	dsn      string // expanded; compared to detect a real change, never printed
	password string // for the leak guard on error text
}

// Open expands spec.DSN with secrets, connects and pings, and starts
// following the DSN's secrets. It blocks until the pool is ready or ctx
// ends. Errors name the source and never hold the DSN or a credential. A nil
// log discards. The caller must Close the source.
func Open(ctx context.Context, spec source.Spec, secrets source.Secrets, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{spec: spec, names: spec.Secrets(), secrets: secrets, log: log, done: make(chan struct{})}
	// Subscribe before the first read so that no change is missed.
	var events <-chan secret.Event
	events, s.unsub = s.subscribe()
	p, err := s.connect(ctx)
	if err != nil {
		s.unsub()
		return nil, err
	}
	s.swap = source.NewSwap(p, closePool)
	s.state = source.State{Status: "ok", Secrets: s.names}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	r := source.Rotator{Events: events, Apply: s.apply, Failed: s.swapFailed}
	go func() { defer close(s.done); r.Run(runCtx) }()
	log.Info("source opened", "source", spec.Name, "kind", "postgres", "max_conns", p.Config().MaxConns)
	return s, nil
}

func (s *Source) subscribe() (<-chan secret.Event, func()) {
	if len(s.names) == 0 {
		return nil, func() {}
	}
	return s.secrets.Subscribe(s.names...)
}

func closePool(p *pool) { p.Close() }

// apply swaps in a pool built from the current secret values, if they
// changed. It runs on the rotation goroutine.
func (s *Source) apply(ctx context.Context) error {
	dsn, err := s.expand()
	if err != nil {
		return err
	}
	if s.current(dsn) {
		s.setState(false, nil)
		return nil
	}
	p, err := s.connectDSN(ctx, dsn)
	if err != nil {
		return err
	}
	if err := s.swap.Replace(p); err != nil {
		return nil // closed meanwhile; Replace closed p
	}
	s.setState(true, nil)
	s.log.Info("source credentials swapped", "source", s.spec.Name, "secrets", s.names)
	return nil
}

// current reports whether the live pool was built from dsn.
func (s *Source) current(dsn string) bool {
	l, err := s.swap.Acquire()
	if err != nil {
		return false
	}
	defer l.Release()
	return l.Value().dsn == dsn
}

func (s *Source) swapFailed(err error) {
	s.setState(false, err)
	s.log.Warn("source credential swap", "source", s.spec.Name, "error_class", driver.Class(err), "error", err.Error())
}

func (s *Source) setState(swapped bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Status == "closed" {
		return
	}
	s.state.Status, s.state.LastError = "ok", ""
	if err != nil {
		s.state.Status, s.state.LastError = "degraded", driver.Class(err)
	}
	if swapped {
		s.state.LastSwap = time.Now()
	}
}

// State reports the source's health without a round trip.
func (s *Source) State() source.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.Secrets = slices.Clone(st.Secrets)
	return st
}

// Ping acquires a connection and round-trips to the server.
func (s *Source) Ping(ctx context.Context) error {
	return s.withConn(ctx, func(p *pool, c *pgxpool.Conn) error {
		if err := c.Ping(ctx); err != nil {
			return s.queryError(ctx, p, err)
		}
		return nil
	})
}

// Close stops following secrets, waits for calls in flight, and closes the
// pools. Idempotent; every call waits for the first to finish.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		s.unsub()
		s.swap.Close()
		s.mu.Lock()
		s.state.Status = "closed"
		s.mu.Unlock()
	})
	return nil
}

// errClosed is what calls on a closed source return.
func (s *Source) errClosed() error {
	return fmt.Errorf("source %q: %w", s.spec.Name, source.ErrClosed)
}
