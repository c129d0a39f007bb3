package config

import (
	"regexp"
	"slices"
	"strings"

	"github.com/hushmcp/hush/secret"
)

// refAny matches one ${secret:NAME} or ${secret:NAME#field} exactly as
// secret.Uses does, so that what is left after removing matches can be
// checked for malformed ones.
var refAny = regexp.MustCompile(`\$\{secret:[A-Za-z_][A-Za-z0-9_]*(?:#[A-Za-z0-9_.-]{1,128})?\}`)

// use records the ${secret:NAME} references in s, the value of e, for the
// cross-check against declared secrets. It reports a malformed reference
// (e.g. "${secret:}" or an unclosed brace) and then returns false.
func (d *decoder) use(s string, e entry) bool {
	if strings.Contains(refAny.ReplaceAllString(s, ""), "${secret:") {
		d.errorf(at(e.value), "%s: malformed secret reference (want ${secret:NAME} or ${secret:NAME#field})", e.path)
		return false
	}
	for _, u := range secret.Uses(s) {
		d.uses = append(d.uses, secretUse{name: u.Name, field: u.Field, at: at(e.value), path: e.path})
	}
	return true
}

// crossCheck reports references to undeclared secrets, warns about
// declared secrets nothing refers to, and records on each declaration the
// fields placeholders take from it.
func (d *decoder) crossCheck(decls []secret.Decl) {
	used := map[string]bool{}
	fields := map[string][]string{}
	for _, u := range d.uses {
		used[u.name] = true
		if u.field != "" && !slices.Contains(fields[u.name], u.field) {
			fields[u.name] = append(fields[u.name], u.field)
		}
		if _, ok := d.declared[u.name]; !ok {
			d.errorf(u.at, "%s: secret %s is not declared under secrets:", u.path, quoteKey(u.name))
		}
	}
	for i, decl := range decls {
		decls[i].Fields = fields[decl.Name]
		if !used[decl.Name] {
			d.warnf(d.declared[decl.Name], "secret %s is declared but not used", quoteKey(decl.Name))
		}
	}
}
