package postgres

import (
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/source/cred"
)

// scrubber replaces a pool's DSN and password, in every form they may take
// in error text, with redact.Placeholder: the shared cred.Scrubber, plus
// two forms only PostgreSQL produces: the password quoted for a key/value
// DSN (libpq escapes ' and \), and the password exactly as written in the
// DSN's userinfo (escapes included), which no encoding of the password
// alone produces when the DSN was written by hand. A nil *scrubber replaces
// nothing.
type scrubber struct{ *cred.Scrubber }

func newScrubber(dsn, password string) *scrubber {
	values := []string{dsn, password, strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password)}
	if raw, ok := cred.UserinfoPassword(dsn); ok {
		values = append(values, raw)
	}
	return &scrubber{cred.NewScrubber(values...)}
}

// scrub returns text with every form replaced, and whether it held one.
func (s *scrubber) scrub(text string) (string, bool) {
	if s == nil {
		return text, false
	}
	return s.Scrub(text)
}

// scrubbedError is a database error whose text held a credential: the
// text with the credential replaced, wrapping a scrubbed copy of the
// server's error (if any) so errors.As still finds its SQLSTATE. It never
// wraps the original error, which still holds the credential.
type scrubbedError struct {
	msg string
	pg  *pgconn.PgError // nil when the error came from the client
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Unwrap() error {
	if e.pg == nil {
		return nil
	}
	return e.pg
}

// scrubPgError returns a copy of pgErr with every text field scrubbed.
func (s *scrubber) scrubPgError(pgErr *pgconn.PgError) *pgconn.PgError {
	c := *pgErr
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && f.CanSet() {
			out, _ := s.scrub(f.String())
			f.SetString(out)
		}
	}
	return &c
}
