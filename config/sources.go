package config

import (
	"math"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var (
	sourceKeys  = []string{"kind", "dsn", "max_conns", "seed"}
	sourceKinds = []string{"sqlite", "postgres"}
	// itemName is the pattern for source and tool names.
	itemName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// sources decodes the sources: section in file order.
func (d *decoder) sources(n ast.Node) []Source {
	var out []Source
	for i, e := range d.list(n, "sources") {
		if !itemName.MatchString(e.key) {
			d.errorf(e.keyTk, "sources: name %s must match [A-Za-z0-9_-]{1,64}", quoteKey(e.key))
		}
		o := d.object(e.value, child("sources", e.key, i), e.keyTk, sourceKeys)
		src := Source{Name: e.key, Pos: d.pos(e.keyTk)}
		if _, ok := d.required(o, "kind"); ok {
			d.setEnum(o, "kind", &src.Kind, sourceKinds, true)
		}
		d.dsn(o, &src.DSN)
		setInt(d, o, "max_conns", &src.MaxConns, 1, math.MaxInt64)
		d.seed(o, &src)
		out = append(out, src)
	}
	return out
}

// dsn decodes a connection string. Its value is never echoed: it may hold a
// credential, which is exactly what this check exists to catch.
func (d *decoder) dsn(o object, dst *string) {
	e, ok := d.required(o, "dsn")
	if !ok {
		return
	}
	s, ok := d.text(e)
	switch {
	case !ok:
		return
	case strings.TrimSpace(s) == "":
		d.errorf(at(e.value), "%s: must not be empty", e.path)
	case literalPassword(s):
		d.errorf(at(e.value), "%s: contains a literal password; use ${secret:NAME} instead, "+
			"e.g. postgres://app:${secret:DB_PASSWORD}@host/db, or make the whole dsn ${secret:DATABASE_URL}", e.path)
	case d.use(s, e):
		*dst = s
	}
}

// refMark stands in for each ${secret:...} while a DSN's structure is read.
const refMark = "\x00ref\x00"

var (
	urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)
	// kvPassword finds password-like keys in key/value DSNs
	// ("host=h password=x") and in URL query strings ("?sslpassword=x").
	kvPassword = regexp.MustCompile(`(?i)(?:^|[\s?&;])[a-z_]*(?:password|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&;]*)`)
)

// literalPassword reports whether dsn holds a password that is not made
// only of ${secret:...} references.
func literalPassword(dsn string) bool {
	masked := refAny.ReplaceAllString(dsn, refMark)
	if pw, ok := userinfoPassword(masked); ok && !onlyRefs(pw) {
		return true
	}
	for _, m := range kvPassword.FindAllStringSubmatch(masked, -1) {
		if !onlyRefs(strings.Trim(m[1], "'")) {
			return true
		}
	}
	return false
}

// userinfoPassword returns the password of scheme://user:password@host.
// Besides the strict URL grammar (userinfo ends the authority) it accepts an
// unescaped '#', '?' or '@' in the password, a common mistake that still
// leaves the password in the file.
func userinfoPassword(s string) (string, bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !urlScheme.MatchString(scheme) {
		return "", false
	}
	authority, _, _ := strings.Cut(rest, "/")
	if i := strings.IndexAny(authority, "?#"); i >= 0 && !strings.Contains(authority[i:], "@") {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return "", false
	}
	user, pw, ok := strings.Cut(authority[:at], ":")
	if !ok || strings.ContainsAny(user, "?#") {
		return "", false
	}
	return pw, true
}

func onlyRefs(s string) bool { return strings.ReplaceAll(s, refMark, "") == "" }

// seed decodes a SQLite source's seed file: SQL run once, when the database
// file is created. Other kinds have no use for it.
func (d *decoder) seed(o object, src *Source) {
	if src.Kind == "sqlite" {
		src.DSN = d.sqlitePath(src.DSN)
	}
	e, ok := o.get("seed")
	if !ok {
		return
	}
	if src.Kind != "sqlite" {
		d.errorf(e.keyTk, "%s: only sqlite sources take a seed file", e.path)
		return
	}
	if d.setNonEmpty(o, "seed", &src.Seed) {
		src.Seed = d.resolve(src.Seed)
	}
}
