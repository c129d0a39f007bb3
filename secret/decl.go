package secret

import (
	"fmt"
	"regexp"
)

// Decl is one declared secret: where it comes from and the rules its value
// must satisfy.
type Decl struct {
	Name string // the name tools and sources refer to: ${secret:NAME}
	From string // reference, parsed with ParseRef
	// Also are fallback references, tried in order when From reports not
	// found (see Layered); each selects its own #field. Empty: From alone.
	Also  []string
	Pos   string // position in config for messages, e.g. "hush.yaml:12:5"; may be empty
	Rules Rules
	// Fields are the JSON fields placeholders take from this secret
	// (${secret:NAME#field}); the redactor knows their values on their own.
	Fields []string
}

// lintAlso reports every fallback reference that does not parse, by its
// position in the from: list (From is position 0).
func (d Decl) lintAlso() []Problem {
	var ps []Problem
	for i, ref := range d.Also {
		if _, err := ParseRef(ref); err != nil {
			ps = append(ps, Problem{Secret: d.Name, Pos: d.Pos, Rule: "from", Detail: fmt.Sprintf("[%d]: %v", i+1, err)})
		}
	}
	return ps
}

// refs parses From and Also, in order; ok is false when one does not parse.
func (d Decl) refs() ([]Ref, bool) {
	out := make([]Ref, 0, 1+len(d.Also))
	for _, s := range append([]string{d.From}, d.Also...) {
		r, err := ParseRef(s)
		if err != nil {
			return nil, false
		}
		out = append(out, r)
	}
	return out, true
}

// Rules are the checks a declared secret's value must pass. The zero value
// requires the secret to be present and non-empty and checks nothing else.
type Rules struct {
	Optional  bool     // an absent optional secret is not an error
	MinLength int      // in bytes; 0: no minimum
	MaxLength int      // in bytes; 0: no maximum
	Prefix    string   // the value must start with it (not secret itself)
	Format    string   // "", "url", "pem-public-key", "base64" or "json"
	Schemes   []string // url: allowed schemes; empty allows any
	Fields    []string // json: fields that must be present
	Strict    bool     // json: fields not in Fields are rejected
}

// Problem is one failed check. It names the secret and the rule, never any
// part of the value.
type Problem struct {
	Secret string // declared name
	Pos    string // config position, may be empty
	Rule   string // rule name as written in config: "min_length", "format", ...
	Detail string // what is wrong, without the value: "too short (min 16)"
}

func (p Problem) Error() string {
	s := fmt.Sprintf("secret %q: %s: %s", p.Secret, p.Rule, p.Detail)
	if p.Pos != "" {
		s = p.Pos + ": " + s
	}
	return s
}

// refPattern is the one grammar of a secret placeholder:
// ${secret:NAME} or ${secret:NAME#field}.
var refPattern = regexp.MustCompile(`\$\{secret:([A-Za-z_][A-Za-z0-9_]*)(?:#([A-Za-z0-9_.-]{1,128}))?\}`)

// Use is one ${secret:NAME[#field]} in a template.
type Use struct {
	Name       string
	Field      string // empty: the whole value
	Start, End int    // byte offsets of the placeholder in the template
}

// Uses returns every placeholder in s, in order.
func Uses(s string) []Use {
	var out []Use
	for _, m := range refPattern.FindAllStringSubmatchIndex(s, -1) {
		p := Use{Name: s[m[2]:m[3]], Start: m[0], End: m[1]}
		if m[4] >= 0 {
			p.Field = s[m[4]:m[5]]
		}
		out = append(out, p)
	}
	return out
}

// Refs returns the secret names referenced in s, in order of first
// appearance, without duplicates.
func Refs(s string) []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range Uses(s) {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	return names
}
