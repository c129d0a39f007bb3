package cred_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/source/cred"
)

// openStore opens a store over env and file providers.
func openStore(t *testing.T, decls ...secret.Decl) *secret.Store {
	t.Helper()
	m := secret.NewMux()
	m.Register("env", &env.Opener{})
	m.Register("file", &file.Opener{})
	s, err := secret.Open(context.Background(), decls, secret.Options{Mux: m})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func expand(t *testing.T, s *secret.Store, set cred.Set) ([]string, error) {
	t.Helper()
	p, err := s.Pin(set.Secrets()...)
	if err != nil {
		t.Fatalf("pin: %v", err)
	}
	defer p.Release()
	e, err := set.Expand(p)
	return e.Values, err
}

// A password full of URL and libpq syntax survives expansion into any part
// of a connection string: the driver parses back exactly the password.
func TestDSNEscapesForPosition(t *testing.T) {
	const pw = `canary p@ss/w:rd#?%&='q'\x-NOT-REAL`
	t.Setenv("HUSH_CRED_PW", pw)
	t.Setenv("HUSH_CRED_USER", "app user")
	s := openStore(t, secret.Decl{Name: "PW", From: "env://HUSH_CRED_PW"},
		secret.Decl{Name: "USER", From: "env://HUSH_CRED_USER"})
	for _, tmpl := range []string{
		"postgres://app:${secret:PW}@db.internal:5432/app?sslmode=disable",
		"postgres://${secret:USER}:${secret:PW}@db.internal/app",
		"postgres://app@db.internal/app?password=${secret:PW}",
		"host=db.internal user=app password=${secret:PW} dbname=app",
		"host=db.internal password = ${secret:PW} user=app dbname=app",
	} {
		out, err := expand(t, s, cred.Set{cred.New(tmpl, cred.DSN)})
		if err != nil {
			t.Fatalf("expand: %v", err)
		}
		cfg, err := pgx.ParseConfig(out[0])
		if err != nil {
			t.Errorf("template %s: expanded DSN does not parse", tmpl)
			continue
		}
		if cfg.Password != pw || cfg.Host != "db.internal" || cfg.Database != "app" {
			t.Errorf("template %s: host %q database %q, password intact %v", tmpl, cfg.Host, cfg.Database, cfg.Password == pw)
		}
	}
	out, _ := expand(t, s, cred.Set{cred.New("${secret:PW}", cred.DSN)})
	if out[0] != pw {
		t.Error("a whole-template reference was escaped")
	}
}

// Fields of one JSON secret expand into several templates from one version.
func TestFieldsComeFromOneDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.json")
	write := func(user, pw string) {
		if err := os.WriteFile(path, []byte(`{"username":"`+user+`","password":"`+pw+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("u1", "canary-pw-one-NOT-REAL")
	s := openStore(t, secret.Decl{Name: "DB", From: "file://" + path})
	set := cred.Set{
		cred.New("postgres://${secret:DB#username}@h/app", cred.DSN),
		cred.New("${secret:DB#password}", cred.Raw),
	}
	if got := set.Secrets(); len(got) != 1 || got[0] != "DB" {
		t.Fatalf("Secrets = %v, want [DB]", got)
	}
	p, err := s.Pin("DB")
	if err != nil {
		t.Fatal(err)
	}
	write("u2", "canary-pw-two-NOT-REAL")
	if err := s.Refresh(context.Background(), "DB"); err != nil {
		t.Fatal(err)
	}
	e, err := set.Expand(p) // still the pinned first version
	p.Release()
	out := e.Values
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != "postgres://u1@h/app" || out[1] != "canary-pw-one-NOT-REAL" {
		t.Errorf("pinned expansion mixed versions: user ok %v, password ok %v",
			out[0] == "postgres://u1@h/app", out[1] == "canary-pw-one-NOT-REAL")
	}
	out, err = expand(t, s, set)
	if err != nil || out[0] != "postgres://u2@h/app" || out[1] != "canary-pw-two-NOT-REAL" {
		t.Errorf("new pin did not see the new version together (err %v)", err)
	}
}

func TestMissingFieldNamesSecretAndField(t *testing.T) {
	t.Setenv("HUSH_CRED_DOC", `{"username":"app","password":"canary-secret-NOT-REAL"}`)
	s := openStore(t, secret.Decl{Name: "DOC", From: "env://HUSH_CRED_DOC"})
	_, err := expand(t, s, cred.Set{cred.New("${secret:DOC#pasword}", cred.Raw)})
	if err == nil || !errors.Is(err, cred.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), `"DOC"`) || !strings.Contains(err.Error(), `"pasword"`) ||
		strings.Contains(err.Error(), "canary") {
		t.Errorf("error should name secret and field only: %v", err)
	}
}

func TestHeaderRefusesLineBreaks(t *testing.T) {
	t.Setenv("HUSH_CRED_KEY", "canary-key-NOT-REAL\r\nX-Evil: 1")
	s := openStore(t, secret.Decl{Name: "KEY", From: "env://HUSH_CRED_KEY"})
	_, err := expand(t, s, cred.Set{cred.New("Bearer ${secret:KEY}", cred.Header)})
	if err == nil || strings.Contains(err.Error(), "canary") || !strings.Contains(err.Error(), `"KEY"`) {
		t.Fatalf("err = %v, want a refusal naming KEY", err)
	}
	t.Setenv("HUSH_CRED_OK", "canary-key-NOT-REAL")
	s = openStore(t, secret.Decl{Name: "OK", From: "env://HUSH_CRED_OK"})
	out, err := expand(t, s, cred.Set{cred.New("Bearer ${secret:OK}", cred.Header)})
	if err != nil || out[0] != "Bearer canary-key-NOT-REAL" {
		t.Fatalf("header expansion: %v", err)
	}
}

// The scrubber finds a credential in every encoding the redactor knows,
// and in the escaped form a template gave it, whichever the driver quotes.
func TestScrubberEncodings(t *testing.T) {
	const pw = `canary "p@ss"/w\rd-NOT-REAL`
	t.Setenv("HUSH_CRED_SCRUB", pw)
	st := openStore(t, secret.Decl{Name: "PW", From: "env://HUSH_CRED_SCRUB"})
	p, err := st.Pin("PW")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	e, err := cred.Set{cred.New("postgres://app@h/db?password=${secret:PW}", cred.DSN)}.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	s := e.Scrubber()
	for i, form := range []string{pw, `canary \"p@ss\"/w\\rd-NOT-REAL`, "canary%20%22p%40ss%22%2Fw%5Crd-NOT-REAL", e.Values[0]} {
		got, changed := s.Scrub("error near " + form + " here")
		if !changed || strings.Contains(got, "canary") {
			t.Errorf("form %d not scrubbed: %q", i, strings.ReplaceAll(got, "canary", "[CANARY]"))
		}
	}
	if got, changed := s.Scrub("syntax error at or near SELECT"); changed || got != "syntax error at or near SELECT" {
		t.Errorf("plain text changed: %q", got)
	}
	var none *cred.Scrubber
	if got, changed := none.Scrub("x"); changed || got != "x" {
		t.Error("a nil scrubber changed its input")
	}
}
