package postgres

import (
	"cmp"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/redact"
)

// minScrubLen is the shortest password scrubbed from error text: a shorter
// one would match inside ordinary words.
const minScrubLen = 4

// scrubber replaces a pool's DSN and password, in every form they may take
// in error text, with redact.Placeholder. A nil *scrubber replaces nothing.
type scrubber struct {
	forms []string // longest first, so the DSN goes whole before its parts
	r     *strings.Replacer
}

func newScrubber(dsn, password string) *scrubber {
	forms := []string{dsn}
	if len(password) >= minScrubLen {
		forms = append(forms, passwordForms(dsn, password)...)
	}
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, redact.Placeholder)
	}
	return &scrubber{forms: forms, r: strings.NewReplacer(pairs...)}
}

// passwordForms lists password raw, URL-escaped three ways, escaped for a
// quoted key/value DSN, Go-quoted (as %q prints it), and as written in
// dsn's userinfo.
func passwordForms(dsn, password string) []string {
	q := strconv.Quote(password)
	forms := []string{
		password,
		q[1 : len(q)-1],
		url.QueryEscape(password),
		url.PathEscape(password),
		strings.TrimPrefix(url.UserPassword("", password).String(), ":"),
		strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password),
	}
	if raw, ok := userinfoPassword(dsn); ok && len(raw) >= minScrubLen {
		forms = append(forms, raw)
	}
	return forms
}

// userinfoPassword returns the password of a URL DSN exactly as written,
// escapes included ("p%40ss" for "p@ss").
func userinfoPassword(dsn string) (string, bool) {
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return "", false
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	return pw, ok
}

// scrub returns text with every form replaced, and whether it held one.
func (s *scrubber) scrub(text string) (string, bool) {
	if s == nil || !slices.ContainsFunc(s.forms, func(f string) bool { return strings.Contains(text, f) }) {
		return text, false
	}
	return s.r.Replace(text), true
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
