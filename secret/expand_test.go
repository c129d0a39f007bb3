package secret_test

import (
	"testing"

	"github.com/hushmcp/hush/secret"
	"github.com/jackc/pgx/v5"
)

// A password full of URL and libpq syntax survives expansion into any part
// of a connection string: the driver parses back exactly the password.
func TestExpandEscapesForPosition(t *testing.T) {
	const pw = `canary p@ss/w:rd#?%&='q'\x-NOT-REAL`
	s, _, err := openStore(t, envMux(map[string]string{"PW": pw, "USER": "app user"}),
		secret.Decl{Name: "PW", From: "env://PW"}, secret.Decl{Name: "USER", From: "env://USER"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range []string{
		"postgres://app:${secret:PW}@db.internal:5432/app?sslmode=disable",
		"postgres://${secret:USER}:${secret:PW}@db.internal/app",
		"postgres://app@db.internal/app?password=${secret:PW}",
		"host=db.internal user=app password=${secret:PW} dbname=app",
		"host=db.internal password = ${secret:PW} user=app dbname=app",
	} {
		dsn, err := s.Expand(tmpl)
		if err != nil {
			t.Fatalf("Expand: %v", err)
		}
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			t.Errorf("template %s: expanded DSN does not parse", tmpl)
			continue
		}
		if cfg.Password != pw || cfg.Host != "db.internal" || cfg.Database != "app" {
			t.Errorf("template %s: host %q database %q, password intact %v", tmpl, cfg.Host, cfg.Database, cfg.Password == pw)
		}
	}
	if whole, _ := s.Expand("${secret:PW}"); whole != pw {
		t.Error("a whole-template reference was escaped")
	}
}
