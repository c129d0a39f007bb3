package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/secret/driver"
)

func (s *Source) maxConns() int32 {
	if s.spec.MaxConns > 0 {
		return int32(s.spec.MaxConns)
	}
	return DefaultMaxConns
}

// connect builds a pool for dsn, pings it and fills it. On error nothing
// is left open.
func (s *Source) connect(ctx context.Context, dsn string) (*pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote parts of the DSN: say only what failed.
		return nil, &connError{source: s.spec.Name, desc: "invalid connection string", code: driver.ErrInvalid}
	}
	cfg.MaxConns = s.maxConns()
	cfg.MinConns = cfg.MaxConns // see the package doc: rotation needs a full pool
	cfg.ConnConfig.ConnectTimeout = connectTimeout
	cfg.AfterConnect = registerTextTypes // see values.go
	pp, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &connError{source: s.spec.Name, desc: "invalid connection settings", code: driver.ErrInvalid}
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pp.Ping(ctx); err != nil {
		pp.Close()
		return nil, s.connError(ctx, err)
	}
	fill(ctx, pp, int(cfg.MaxConns))
	return &pool{Pool: pp, scrub: newScrubber(dsn, cfg.ConnConfig.Password)}, nil
}

// fill logs in up to n connections at once so that a new pool is complete
// before it serves. It is best effort: the ping already proved the
// credentials, and a server near its connection limit should not block a
// rotation.
func fill(ctx context.Context, pp *pgxpool.Pool, n int) {
	conns := make(chan *pgxpool.Conn, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if c, err := pp.Acquire(ctx); err == nil {
				conns <- c
			}
		})
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Release()
	}
}

// withConn runs fn on a connection of the current pool. When the login of
// a new connection is rejected, it nudges the store, waits for a swap and
// retries once: nothing reached the database, so the retry is safe.
func (s *Source) withConn(ctx context.Context, fn func(*pool, *pgxpool.Conn) error) error {
	for attempt := 0; ; attempt++ {
		l, err := s.live.Acquire()
		if err != nil {
			return s.errClosed()
		}
		p := l.Value()
		c, err := p.Acquire(ctx)
		if err != nil {
			replaced := l.Replaced()
			l.Release()
			if attempt == 0 && isAuth(err) && s.awaitSwap(ctx, replaced) {
				continue
			}
			return s.connError(ctx, err)
		}
		err = fn(p, c)
		c.Release()
		l.Release()
		return err
	}
}

// awaitSwap asks the store to re-read the DSN's secrets (when it can) and
// waits up to authRetryWait for a new pool. It reports whether one came.
func (s *Source) awaitSwap(ctx context.Context, replaced <-chan struct{}) bool {
	return s.live.Rejected(ctx, replaced, authRetryWait)
}
