package config

import (
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
)

// itemName is the pattern for source and tool names.
var itemName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// sources decodes the sources: section in file order. Each entry's own keys
// are decoded by its kind.
func (d *decoder) sources(n ast.Node) []Source {
	var out []Source
	for i, e := range d.list(n, "sources") {
		if !itemName.MatchString(e.key) {
			d.errorf(e.keyTk, "sources: name %s must match [A-Za-z0-9_-]{1,64}", quoteKey(e.key))
		}
		path := child("sources", e.key, i)
		src := Source{Name: e.key, Pos: d.pos(e.keyTk)}
		kind, ok := d.sourceKind(e, path)
		if !ok {
			d.scanLiterals(e.value, path)
			out = append(out, src)
			continue
		}
		src.Kind = kind.Name
		o := d.object(e.value, path, e.keyTk, append([]string{"kind"}, kind.Keys...))
		src.Spec = kind.Decode(reader{d: d, o: o})
		out = append(out, src)
	}
	return out
}

// sourceKind reads an entry's kind: before anything else, since the kind
// decides which other keys are valid.
func (d *decoder) sourceKind(e entry, path string) (source.Kind, bool) {
	o := d.peek(e.value, path, e.keyTk)
	if _, ok := d.required(o, "kind"); !ok {
		return source.Kind{}, false
	}
	names := d.kinds.Sources.Names()
	var name string
	if !d.setEnum(o, "kind", &name, names, true) {
		return source.Kind{}, false
	}
	return d.kinds.Sources.Lookup(name)
}

const literalHint = "%s: contains a literal password; use ${secret:NAME} instead, " +
	"e.g. postgres://app:${secret:DB_PASSWORD}@host/db, or make the whole value ${secret:DATABASE_URL}"

// scanLiterals reports literal passwords in the string values of an entry
// whose kind is unknown, so that mistake is not hidden behind another.
func (d *decoder) scanLiterals(n ast.Node, path string) {
	quiet := &decoder{file: d.file, declared: d.declared}
	list, _ := quiet.entries(n, path)
	for _, e := range list {
		if s, ok := e.value.(*ast.StringNode); ok && literalPassword(s.Value) {
			d.errorf(at(e.value), literalHint, e.path)
		}
	}
}

// template decodes a credential template. Its value is never echoed: it may
// hold a credential, which is exactly what this check exists to catch.
func (d *decoder) template(e entry, dst *string) bool {
	s, ok := d.text(e)
	switch {
	case !ok:
		return false
	case strings.TrimSpace(s) == "":
		d.errorf(at(e.value), "%s: must not be empty", e.path)
	case literalPassword(s):
		d.errorf(at(e.value), literalHint, e.path)
	case d.use(s, e):
		*dst = s
		return true
	}
	return false
}

// refMark stands in for each ${secret:...} while a DSN's structure is read.
const refMark = "\x00ref\x00"

// kvPassword finds password-like keys in key/value DSNs ("host=h
// password=x") and in URL query strings ("?sslpassword=x").
var kvPassword = regexp.MustCompile(`(?i)(?:^|[\s?&;])[a-z_]*(?:password|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&;]*)`)

// literalPassword reports whether dsn holds a password that is not made
// only of ${secret:...} references.
func literalPassword(dsn string) bool {
	masked := refAny.ReplaceAllString(dsn, refMark)
	if pw, ok := cred.UserinfoPassword(masked); ok && !onlyRefs(pw) {
		return true
	}
	for _, m := range kvPassword.FindAllStringSubmatch(masked, -1) {
		if !onlyRefs(strings.Trim(m[1], "'")) {
			return true
		}
	}
	return false
}

func onlyRefs(s string) bool { return strings.ReplaceAll(s, refMark, "") == "" }
