// Package sqlite is the SQLite source, on the pure-Go modernc.org/sqlite
// driver.
//
// The DSN is a file path or a file: URI; it may hold ${secret:NAME}. Two
// connection pools are opened on the file: a read-write one for ordinary
// statements and a read-only one (mode=ro and PRAGMA query_only) for
// read-only calls, so SQLite itself rejects a write made by a read-only
// tool; nothing parses the SQL. The database must exist, or Spec.Seed must
// name a SQL script that creates it: the source never creates an empty file,
// because a mistyped path would then serve an empty database. In-memory
// databases are refused, since the two pools would see two different
// databases.
//
// When a secret the DSN names changes, the source opens the new DSN and
// swaps it in like every source (source.Live).
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
)

// DefaultMaxConns is the read-only pool's size when Spec.MaxConns is 0.
// The read-write pool always has one connection: SQLite has one writer at a
// time, and one connection turns lock contention into orderly queueing.
const DefaultMaxConns = 4

// busyTimeoutMS is how long a connection waits for another's lock.
const busyTimeoutMS = 5000

// Source is an open SQLite source. Safe for concurrent use.
type Source struct {
	spec Spec
	live *source.Live[*dbs]
}

var _ source.SQL = (*Source)(nil)

// dbs is one generation: both pools on one DSN.
type dbs struct {
	rw, ro  *sql.DB
	secrets []string // values of the DSN's secrets, for the leak guard
}

func closeDBs(d *dbs) {
	_ = d.rw.Close()
	_ = d.ro.Close()
}

// Open expands spec.DSN, opens and pings both pools, and follows the DSN's
// secrets. It blocks until ready or ctx ends. A nil log discards. The
// caller must Close the source.
func Open(ctx context.Context, spec Spec, secrets source.Secrets, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{spec: spec}
	live, err := source.OpenLive(ctx, source.LiveConfig[*dbs]{
		Name: spec.Name, Kind: KindName, Secrets: secrets, Log: log,
		Creds:   cred.Set{cred.New(spec.DSN, cred.DSN)},
		Connect: s.connect, Close: closeDBs,
	})
	if err != nil {
		return nil, err
	}
	s.live = live
	log.Info("source opened", "source", spec.Name, "kind", KindName, "max_conns", s.maxConns())
	return s, nil
}

func (s *Source) maxConns() int {
	if s.spec.MaxConns > 0 {
		return s.spec.MaxConns
	}
	return DefaultMaxConns
}

// connect opens both pools on the expanded DSN and pings them; on error
// nothing is left open.
func (s *Source) connect(ctx context.Context, creds cred.Expanded) (*dbs, error) {
	dsn := creds.Values[0]
	rwURI, roURI, err := uris(dsn)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", s.spec.Name, err)
	}
	if err := s.seedIfMissing(ctx, dsn); err != nil {
		return nil, err
	}
	d := &dbs{secrets: creds.Secrets}
	d.rw, _ = sql.Open("sqlite", rwURI) // only fails for an unknown driver name
	d.ro, _ = sql.Open("sqlite", roURI)
	d.rw.SetMaxOpenConns(1)
	d.ro.SetMaxOpenConns(s.maxConns())
	d.ro.SetMaxIdleConns(s.maxConns())
	for _, db := range []*sql.DB{d.rw, d.ro} {
		if err := db.PingContext(ctx); err != nil {
			closeDBs(d)
			return nil, s.wrap(ctx, d, "open", err)
		}
	}
	return d, nil
}

// State reports the source's health without touching the file.
func (s *Source) State() source.State { return s.live.State() }

// Ping checks both pools.
func (s *Source) Ping(ctx context.Context) error {
	l, err := s.live.Acquire()
	if err != nil {
		return fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	defer l.Release()
	d := l.Value()
	for _, db := range []*sql.DB{d.rw, d.ro} {
		if err := db.PingContext(ctx); err != nil {
			return s.wrap(ctx, d, "ping", err)
		}
	}
	return nil
}

// Close stops following secrets, waits for calls in flight and closes the
// pools. Idempotent; every call waits for the first to finish.
func (s *Source) Close() error {
	s.live.Close()
	return nil
}
