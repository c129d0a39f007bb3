// Package postgres is the PostgreSQL source: a pgx connection pool whose
// credentials come from declared secrets and are swapped without a restart
// and without failing a call when a secret rotates.
//
// # Rotation
//
// The source subscribes to the secrets its DSN names (source.Live). On a
// change it expands the DSN, builds a new pool, pings it, fills it to its
// full size, and only then swaps it in atomically (source.Swap). The old pool stays open until
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
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
)

// DefaultMaxConns is the pool size when Spec.MaxConns is 0.
const DefaultMaxConns = 4

const (
	connectTimeout = 10 * time.Second // login, ping and fill of a new pool
	authRetryWait  = 5 * time.Second  // how long a rejected call waits for a swap
)

// Source is an open PostgreSQL source. Safe for concurrent use.
type Source struct {
	spec    Spec
	secrets source.Secrets
	live    *source.Live[*pool]
}

var _ source.SQL = (*Source)(nil)

// pool is one generation of credentials: a pgx pool and what built it.
type pool struct {
	*pgxpool.Pool
	scrub  *scrubber  // the expanded DSN and password, for the leak guard
	params paramTypes // parameter types of read-only statements
}

func closePool(p *pool) { p.Close() }

// Open expands spec.DSN with secrets, connects and pings, and starts
// following the DSN's secrets. It blocks until the pool is ready or ctx
// ends. Errors name the source and never hold the DSN or a credential. A nil
// log discards. The caller must Close the source.
func Open(ctx context.Context, spec Spec, secrets source.Secrets, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{spec: spec, secrets: secrets}
	live, err := source.OpenLive(ctx, source.LiveConfig[*pool]{
		Name: spec.Name, Kind: KindName, Secrets: secrets, Log: log,
		Creds: cred.Set{cred.New(spec.DSN, cred.DSN)},
		Connect: func(ctx context.Context, c cred.Expanded) (*pool, error) {
			return s.connect(ctx, c.Values[0])
		},
		Close: closePool,
	})
	if err != nil {
		return nil, err
	}
	s.live = live
	log.Info("source opened", "source", spec.Name, "kind", KindName, "max_conns", s.maxConns())
	return s, nil
}

// State reports the source's health without a round trip.
func (s *Source) State() source.State { return s.live.State() }

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
	s.live.Close()
	return nil
}

// errClosed is what calls on a closed source return.
func (s *Source) errClosed() error {
	return fmt.Errorf("source %q: %w", s.spec.Name, source.ErrClosed)
}
