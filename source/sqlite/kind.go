package sqlite

import (
	"context"
	"math"
	"strings"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlparam"
)

// KindName is the value of kind: for SQLite sources.
const KindName = "sqlite"

// Spec is a SQLite source's entry in hush.yaml.
type Spec struct {
	Name     string // the source's name; set by Kind's Open
	DSN      string // file path or file: URI; may hold ${secret:NAME}
	MaxConns int    // read-only pool size; 0: DefaultMaxConns
	Seed     string // SQL file that creates the database when its file does not exist
}

// Rules are SQLite's placeholder rules: ?, ?N and $N; `ident` and [ident].
var Rules = sqlparam.Rules{Question: true, Backticks: true, Brackets: true}

// Placeholders counts the parameters stmt binds in SQLite.
func (Spec) Placeholders(stmt string) (int, error) { return sqlparam.Count(stmt, Rules) }

// Kind is the sqlite source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{source.CapSQL},
	Keys:     []string{"dsn", "max_conns", "seed"},
	Decode:   decode,
	Open: func(ctx context.Context, spec any, env source.Env) (source.Source, error) {
		s := spec.(Spec)
		s.Name = env.Name
		return Open(ctx, s, env.Secrets, env.Log)
	},
}

func decode(r section.Reader) any {
	var s Spec
	if r.Require("dsn") {
		s.DSN, _ = r.Template("dsn")
		s.DSN = path(r, s.DSN)
	}
	if n, ok := r.Int("max_conns", 1, math.MaxInt64); ok {
		s.MaxConns = int(n)
	}
	s.Seed, _ = r.File("seed")
	return s
}

// path resolves a DSN that is a plain relative file path against the
// config's directory, so a config and its database can move together. URIs
// (file:...), :memory: and templates are left as written.
func path(r section.Reader, dsn string) string {
	if dsn == "" || strings.HasPrefix(dsn, "file:") || strings.HasPrefix(dsn, ":memory:") || strings.Contains(dsn, "${") {
		return dsn
	}
	return r.Resolve(dsn)
}
