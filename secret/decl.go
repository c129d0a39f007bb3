package secret

import (
	"fmt"
	"regexp"
)

// Decl is one declared secret: where it comes from and the rules its value
// must satisfy.
type Decl struct {
	Name  string // the name tools and sources refer to: ${secret:NAME}
	From  string // reference, parsed with ParseRef
	Pos   string // position in config for messages, e.g. "hush.yaml:12:5"; may be empty
	Rules Rules
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

var refPattern = regexp.MustCompile(`\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}`)

// Refs returns the secret names referenced as ${secret:NAME} in s, in order
// of first appearance, without duplicates.
func Refs(s string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range refPattern.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}

// expand replaces every ${secret:NAME} in s using get. It reports the first
// name get does not know.
func expand(s string, get func(string) (Value, bool)) (string, error) {
	var missing string
	out := refPattern.ReplaceAllStringFunc(s, func(m string) string {
		name := refPattern.FindStringSubmatch(m)[1]
		v, ok := get(name)
		if !ok && missing == "" {
			missing = name
		}
		return v.RevealString()
	})
	if missing != "" {
		return "", fmt.Errorf("secret %q is not available", missing)
	}
	return out, nil
}
