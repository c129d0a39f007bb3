package config

import (
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
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "file://" + filepath.Join(dir, "secrets/token") + "#value"; cfg.Secrets[0].From != want {
		t.Errorf("relative file ref = %q, want %q", cfg.Secrets[0].From, want)
	}
	if cfg.Secrets[1].From != "file:///run/secrets/abs" {
		t.Errorf("absolute file ref changed to %q", cfg.Secrets[1].From)
	}
	if want := filepath.Join(dir, "data/shop.db"); cfg.Sources[0].DSN != want {
		t.Errorf("sqlite dsn = %q, want %q", cfg.Sources[0].DSN, want)
	}
	if want := filepath.Join(dir, "seed.sql"); cfg.Sources[0].Seed != want {
		t.Errorf("seed = %q, want %q", cfg.Sources[0].Seed, want)
	}
	if cfg.Sources[1].DSN != "file::memory:?cache=shared" {
		t.Errorf("sqlite URI changed to %q", cfg.Sources[1].DSN)
	}
}

func TestSeedOnlyForSQLite(t *testing.T) {
	_, err := Parse("t.yaml", []byte(`secrets:
  DB: { from: env://DB }
sources:
  pg: { kind: postgres, dsn: "${secret:DB}", seed: x.sql }
`))
	if err == nil || !strings.Contains(err.Error(), "only sqlite sources take a seed file") {
		t.Errorf("err = %v", err)
	}
}
