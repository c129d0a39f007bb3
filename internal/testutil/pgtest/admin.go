package pgtest

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

// CreateRole creates a login role with password. Names and passwords are
// quoted by the server (format %I, %L), so any string is safe.
func (s *Server) CreateRole(ctx context.Context, name, password string) error {
	if err := s.adminf(ctx, "postgres", "CREATE ROLE %I LOGIN PASSWORD %L", name, password); err != nil {
		return fmt.Errorf("pgtest: create role %q: %w", name, err)
	}
	return nil
}

// AlterPassword changes role's password. Sessions already logged in keep
// working; new logins need the new password.
func (s *Server) AlterPassword(ctx context.Context, role, newPassword string) error {
	if err := s.adminf(ctx, "postgres", "ALTER ROLE %I PASSWORD %L", role, newPassword); err != nil {
		return fmt.Errorf("pgtest: alter password of role %q: %w", role, err)
	}
	return nil
}

// CreateDatabase creates database name owned by owner.
func (s *Server) CreateDatabase(ctx context.Context, name, owner string) error {
	if err := s.adminf(ctx, "postgres", "CREATE DATABASE %I OWNER %I", name, owner); err != nil {
		return fmt.Errorf("pgtest: create database %q: %w", name, err)
	}
	return nil
}

// Exec runs sql as the superuser in database db, with args bound as
// parameters.
func (s *Server) Exec(ctx context.Context, db, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.AdminDSNFor(db))
	if err != nil {
		return fmt.Errorf("pgtest: connect to %q: %w", db, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("pgtest: exec in %q: %w", db, err)
	}
	return nil
}

// adminf runs a utility statement built by the server's format() from
// tmpl and args, because utility statements take no bind parameters.
func (s *Server) adminf(ctx context.Context, db, tmpl string, args ...string) error {
	conn, err := pgx.Connect(ctx, s.AdminDSNFor(db))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	params := make([]any, 0, len(args)+1)
	params = append(params, tmpl)
	placeholders := ""
	for i, a := range args {
		params = append(params, a)
		placeholders += fmt.Sprintf(", $%d::text", i+2)
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format($1::text"+placeholders+")", params...).Scan(&stmt); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, stmt)
	return err
}

// ServerLog returns what the server has logged so far, for tests that check
// what the server saw (failed logins, say).
func (s *Server) ServerLog() (string, error) {
	b, err := os.ReadFile(s.logPath())
	return string(b), err
}
