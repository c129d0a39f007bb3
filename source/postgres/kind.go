package postgres

import (
	"context"
	"math"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlparam"
)

// KindName is the value of kind: for PostgreSQL sources.
const KindName = "postgres"

// Spec is a PostgreSQL source's entry in hush.yaml.
type Spec struct {
	Name     string // the source's name; set by Kind's Open
	DSN      string // URL or key/value connection string; credentials only as ${secret:NAME}
	MaxConns int    // pool size; 0: DefaultMaxConns
}

// Rules are PostgreSQL's placeholder rules: $N; E'...' strings, dollar
// quoting and nested comments.
var Rules = sqlparam.Rules{EscapeStrings: true, DollarQuotes: true, NestedComments: true}

// Placeholders counts the parameters stmt binds in PostgreSQL.
func (Spec) Placeholders(stmt string) (int, error) { return sqlparam.Count(stmt, Rules) }

// Kind is the postgres source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{source.CapSQL},
	Keys:     []string{"dsn", "max_conns"},
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
	}
	if n, ok := r.Int("max_conns", 1, math.MaxInt64); ok {
		s.MaxConns = int(n)
	}
	return s
}
