package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// seedIfMissing creates the database file from Spec.Seed when none exists
// at the DSN's path. The script runs on a temporary file beside the target,
// which is linked into place only when the whole script succeeded, so a
// failed seed leaves nothing behind and a concurrent creator wins cleanly.
func (s *Source) seedIfMissing(ctx context.Context, dsn string) error {
	if s.spec.Seed == "" {
		return nil
	}
	path, err := filePath(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // it exists, or opening it will report why not
	}
	script, err := os.ReadFile(s.spec.Seed)
	if err != nil {
		return fmt.Errorf("read seed of source %q: %w", s.spec.Name, err)
	}
	if err := s.createFrom(ctx, path, string(script)); err != nil {
		return fmt.Errorf("seed source %q: %w", s.spec.Name, err)
	}
	return nil
}

// createFrom runs script on a new database and links it at path. Errors
// omit path, which may come from a secret.
func (s *Source) createFrom(ctx context.Context, path, script string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create database directory: %w", cause(err))
	}
	tmp, err := os.CreateTemp(dir, ".seed-*.db")
	if err != nil {
		return fmt.Errorf("create database file: %w", cause(err))
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := runScript(ctx, tmp.Name(), script); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create database file: %w", cause(err))
	}
	return nil
}

func runScript(ctx context.Context, path, script string) error {
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?mode=rw")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("run seed script: %w", err)
	}
	return db.Close()
}

// filePath is the file system path a DSN opens.
func filePath(dsn string) (string, error) {
	path, _, err := split(dsn)
	if err != nil {
		return "", err
	}
	p, err := url.PathUnescape(path)
	if err != nil {
		return "", errors.New("malformed path in file: URI")
	}
	return p, nil
}

// cause strips the path from a *fs.PathError or *os.LinkError.
func cause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
