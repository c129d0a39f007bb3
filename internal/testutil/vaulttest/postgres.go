package vaulttest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresRoles makes the credentials of a database role real PostgreSQL
// login roles, as Vault's database secrets engine does with its postgresql
// plug-in: each lease creates a role (CREATE ROLE ... LOGIN PASSWORD ...
// VALID UNTIL ...) with the grants of a template, a renewal moves its VALID
// UNTIL, and the lease's end (revocation, or expiry noticed by Reap) stops
// its sessions (pg_terminate_backend) and drops the role. So credentials
// that Vault no longer honours stop working on the database too: a new login
// is refused after VALID UNTIL, and open sessions end when the lease does.
//
// Use Hooks to fill a Role's Create, Renew and Drop, and Close once the
// server is done with them. Safe for concurrent use.
type PostgresRoles struct {
	// AdminDSN returns a superuser DSN for database db (pgtest's
	// Server.AdminDSNFor).
	AdminDSN func(db string) string
	// DB is the database the grants are given in.
	DB string
	// Grants run in DB after the role is created, with every {{name}}
	// replaced by the role's quoted name, e.g.
	// "GRANT SELECT ON items TO {{name}}".
	Grants []string

	mu        sync.Mutex
	pools     map[string]*pgxpool.Pool // database -> superuser pool
	created   []string                 // usernames, in order
	passwords []string
	dropped   map[string]bool
	errs      []string
}

// hookTimeout bounds each hook's work on the database.
const hookTimeout = 20 * time.Second

// Hooks returns r with Create, Renew and Drop working on PostgreSQL.
func (p *PostgresRoles) Hooks(r Role) Role {
	r.Create, r.Renew, r.Drop = p.create, p.renew, p.drop
	return r
}

// Created returns the usernames of every role created, oldest first.
func (p *PostgresRoles) Created() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.created...)
}

// Passwords returns every password issued with a created role, for leak
// checks. Never print them.
func (p *PostgresRoles) Passwords() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.passwords...)
}

// Dropped reports whether the role of username was dropped.
func (p *PostgresRoles) Dropped(username string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped[username]
}

// Errors returns what went wrong in the hooks, without any password.
func (p *PostgresRoles) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *PostgresRoles) fail(op, user string, err error, password string) error {
	msg := fmt.Sprintf("%s role %s: %v", op, user, err)
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "[PASSWORD]")
	}
	p.mu.Lock()
	p.errs = append(p.errs, msg)
	p.mu.Unlock()
	return fmt.Errorf("%s role %s failed", op, user)
}

func (p *PostgresRoles) create(ctx context.Context, user, password string, expires time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	err := p.admin(ctx, "postgres", "CREATE ROLE %I LOGIN PASSWORD %L VALID UNTIL %L",
		user, password, pgTime(expires))
	if err != nil {
		return p.fail("create", user, err, password)
	}
	p.mu.Lock()
	p.created = append(p.created, user)
	p.passwords = append(p.passwords, password)
	p.mu.Unlock()
	if err := p.grant(ctx, user); err != nil {
		p.drop(user)
		return p.fail("grant to", user, err, password)
	}
	return nil
}

func (p *PostgresRoles) grant(ctx context.Context, user string) error {
	if len(p.Grants) == 0 {
		return nil
	}
	pool, err := p.pool(ctx, p.DB)
	if err != nil {
		return err
	}
	name := pgx.Identifier{user}.Sanitize()
	for _, g := range p.Grants {
		if _, err := pool.Exec(ctx, strings.ReplaceAll(g, "{{name}}", name)); err != nil {
			return err
		}
	}
	return nil
}

func (p *PostgresRoles) renew(ctx context.Context, user string, expires time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	if err := p.admin(ctx, "postgres", "ALTER ROLE %I VALID UNTIL %L", user, pgTime(expires)); err != nil {
		return p.fail("renew", user, err, "")
	}
	return nil
}

// drop ends the role's sessions and drops it: first no new logins, then
// the open sessions end, then its privileges and the role go.
func (p *PostgresRoles) drop(user string) {
	ctx, cancel := context.WithTimeout(context.Background(), hookTimeout)
	defer cancel()
	steps := []struct{ db, stmt string }{
		{"postgres", "ALTER ROLE %I NOLOGIN"},
		{"postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %L"},
		{p.DB, "DROP OWNED BY %I"},
		{"postgres", "DROP ROLE %I"},
	}
	for _, s := range steps {
		if err := p.admin(ctx, s.db, s.stmt, user); err != nil {
			p.fail("drop", user, err, "")
			return
		}
	}
	p.mu.Lock()
	if p.dropped == nil {
		p.dropped = map[string]bool{}
	}
	p.dropped[user] = true
	p.mu.Unlock()
}

// admin runs a statement built by the server's format() from tmpl and args
// (utility statements take no bind parameters), as the superuser in db.
func (p *PostgresRoles) admin(ctx context.Context, db, tmpl string, args ...string) error {
	conn, err := p.pool(ctx, db)
	if err != nil {
		return err
	}
	params := []any{tmpl}
	casts := ""
	for i, a := range args {
		params = append(params, a)
		casts += fmt.Sprintf(", $%d::text", i+2)
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format($1::text"+casts+")", params...).Scan(&stmt); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, stmt)
	return err
}

// pool returns the superuser pool of db. Hooks reuse its connections: a
// login per statement would make every lease slower to issue, and a slow
// issue eats into a short lease.
func (p *PostgresRoles) pool(ctx context.Context, db string) (*pgxpool.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pool := p.pools[db]; pool != nil {
		return pool, nil
	}
	cfg, err := pgxpool.ParseConfig(p.AdminDSN(db))
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if p.pools == nil {
		p.pools = map[string]*pgxpool.Pool{}
	}
	p.pools[db] = pool
	return pool, nil
}

// Close closes the connections the hooks use. Hooks called after Close
// connect again.
func (p *PostgresRoles) Close() {
	p.mu.Lock()
	pools := p.pools
	p.pools = nil
	p.mu.Unlock()
	for _, pool := range pools {
		pool.Close()
	}
}

// pgTime formats t for VALID UNTIL.
func pgTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000Z07:00") }

// ReapEvery calls Reap every d until the test ends, so leases that run out
// without being revoked have their credentials dropped (Role.Drop) about
// when Vault would expire them. It returns a function that reports how
// many credentials it has dropped so far.
func (s *Server) ReapEvery(t testing.TB, d time.Duration) func() int {
	var (
		mu     sync.Mutex
		reaped int
		stop   = make(chan struct{})
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := s.Reap()
				mu.Lock()
				reaped += n
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return reaped
	}
}
