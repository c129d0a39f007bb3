// Package redis is the Redis source: a go-redis client whose URL comes from
// declared secrets and is swapped without a restart and without failing a
// call when a secret rotates.
//
// # Rotation
//
// The source subscribes to the secrets its URL names (source.Live). On a
// change it builds a new client, pings it (a login with the new
// credentials), fills its pool, and swaps it in; the old client is closed
// once the calls that started on it have finished. A refused credential
// leaves the old client serving and the source degraded.
//
// Redis checks a password only when a connection authenticates, so after
// ACL SETUSER changes a password the old client's open connections keep
// working; only its new connections fail. As with PostgreSQL, pools are
// kept at full size (MinIdleConns = PoolSize) so the old client rarely needs
// a new login, and a call whose new connection is refused (WRONGPASS or
// NOAUTH, which only a login answers) asks the store to re-read the secret,
// waits for a swap and retries once: nothing reached the server, so even an
// INCR cannot run twice.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
)

const (
	connectTimeout = 10 * time.Second // login, ping and fill of a new client
	authRetryWait  = 5 * time.Second  // how long a refused call waits for a swap
)

// Source is an open Redis source. Safe for concurrent use.
type Source struct {
	spec    Spec
	secrets source.Secrets
	live    *source.Live[*client]
}

var _ KV = (*Source)(nil)

// client is one generation of credentials: a go-redis client and the
// secret values it was built from, for the leak guard.
type client struct {
	*redis.Client
	scrub *scrubber
}

func closeClient(c *client) { _ = c.Close() }

// Open expands spec.URL with secrets, connects and pings, and starts
// following the URL's secrets. It blocks until the client is ready or ctx
// ends. Errors name the source and never hold the URL or a credential. A nil
// log discards. The caller must Close the source.
func Open(ctx context.Context, spec Spec, secrets source.Secrets, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	routeDriverLogs(log)
	s := &Source{spec: spec, secrets: secrets}
	live, err := source.OpenLive(ctx, source.LiveConfig[*client]{
		Name: spec.Name, Kind: KindName, Secrets: secrets, Log: log,
		Creds: cred.Set{cred.New(spec.URL, cred.DSN)},
		Connect: func(ctx context.Context, c cred.Expanded) (*client, error) {
			return s.connect(ctx, c.Values[0], c.Secrets)
		},
		Close: closeClient,
	})
	if err != nil {
		return nil, err
	}
	s.live = live
	log.Info("source opened", "source", spec.Name, "kind", KindName, "pool_size", s.poolSize())
	return s, nil
}

// State reports the source's health without a round trip.
func (s *Source) State() source.State { return s.live.State() }

// Ping sends PING on a connection of the current client.
func (s *Source) Ping(ctx context.Context) error {
	return s.do(ctx, "PING", func(c *client) error { return c.Ping(ctx).Err() })
}

// Close stops following secrets, waits for calls in flight, and closes the
// clients. Idempotent; every call waits for the first to finish.
func (s *Source) Close() error {
	s.live.Close()
	return nil
}

// do runs fn on the current client. When a new connection's login is
// refused it nudges the store, waits for a swap and retries once: a refused
// login sent nothing else, so the retry cannot repeat a command.
func (s *Source) do(ctx context.Context, cmd string, fn func(*client) error) error {
	for attempt := 0; ; attempt++ {
		l, err := s.live.Acquire()
		if err != nil {
			return fmt.Errorf("redis source %q: %w", s.spec.Name, source.ErrClosed)
		}
		c := l.Value()
		err = fn(c)
		replaced := l.Replaced()
		l.Release()
		if err != nil && attempt == 0 && redis.IsAuthError(err) && s.awaitSwap(ctx, replaced) {
			continue
		}
		if err != nil {
			return s.callError(ctx, c, cmd, err)
		}
		return nil
	}
}

// awaitSwap asks the store to re-read the URL's secrets (when it can) and
// waits up to authRetryWait for a new client. It reports whether one came.
func (s *Source) awaitSwap(ctx context.Context, replaced <-chan struct{}) bool {
	return s.live.Rejected(ctx, replaced, authRetryWait)
}

func (s *Source) poolSize() int {
	if s.spec.PoolSize > 0 {
		return s.spec.PoolSize
	}
	return DefaultPoolSize
}
