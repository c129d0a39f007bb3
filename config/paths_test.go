package config

import (
	"github.com/hushmcp/hush/source/sqlite"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadResolvesRelativePathsAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	yaml := `secrets:
  TOKEN: { from: "file:secrets/token#value" }
  ABS: { from: "file:///run/secrets/abs" }
sources:
  shop: { kind: sqlite, dsn: data/shop.db, seed: seed.sql, max_conns: 1 }
  mem: { kind: sqlite, dsn: "file::memory:?cache=shared" }
server: { transport: http, auth_token: "${secret:TOKEN}" }
tools: {}
`
	path := filepath.Join(dir, "hush.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if want := "file://" + filepath.Join(dir, "secrets/token") + "#value"; cfg.Secrets[0].From != want {
		t.Errorf("relative file ref = %q, want %q", cfg.Secrets[0].From, want)
	}
	if cfg.Secrets[1].From != "file:///run/secrets/abs" {
		t.Errorf("absolute file ref changed to %q", cfg.Secrets[1].From)
	}
	s0, s1 := cfg.Sources[0].Spec.(sqlite.Spec), cfg.Sources[1].Spec.(sqlite.Spec)
	if want := filepath.Join(dir, "data/shop.db"); s0.DSN != want {
		t.Errorf("sqlite dsn = %q, want %q", s0.DSN, want)
	}
	if want := filepath.Join(dir, "seed.sql"); s0.Seed != want {
		t.Errorf("seed = %q, want %q", s0.Seed, want)
	}
	if s1.DSN != "file::memory:?cache=shared" {
		t.Errorf("sqlite URI changed to %q", s1.DSN)
	}
}

func TestSeedOnlyForSQLite(t *testing.T) {
	_, err := Parse("t.yaml", []byte(`secrets:
  DB: { from: env://DB }
sources:
  pg: { kind: postgres, dsn: "${secret:DB}", seed: x.sql }
`), testKinds)
	if err == nil || !strings.Contains(err.Error(), `sources.pg: unknown key "seed" (valid: kind, dsn, max_conns)`) {
		t.Errorf("err = %v", err)
	}
}
