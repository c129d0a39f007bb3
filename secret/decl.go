package secret

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
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

// expand replaces every ${secret:NAME} in s using get, escaping each value
// for where it stands (see escaperAt), so a password holding '@', '/', '#'
// or a space cannot change the structure of the connection string around
// it. It reports the first name get does not know.
func expand(s string, get func(string) (Value, bool)) (string, error) {
	var b strings.Builder
	last := 0
	for _, m := range refPattern.FindAllStringSubmatchIndex(s, -1) {
		name := s[m[2]:m[3]]
		v, ok := get(name)
		if !ok {
			return "", fmt.Errorf("secret %q is not available", name)
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(escaperAt(s, m[0], m[1])(v.RevealString()))
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

var urlPrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// escaperAt picks the escaping for a reference at s[start:end]: none when it
// is the whole template; in a URL, userinfo, path or query escaping by
// position; after "key=" in a key/value DSN, libpq quoting.
func escaperAt(s string, start, end int) func(string) string {
	if start == 0 && end == len(s) {
		return raw
	}
	if loc := urlPrefix.FindStringIndex(s); loc != nil {
		return urlEscaperAt(s, loc[1], start)
	}
	if strings.HasSuffix(strings.TrimRight(s[:start], " "), "=") {
		return quoteKeyValue
	}
	return raw
}

func urlEscaperAt(s string, authStart, pos int) func(string) string {
	if q := strings.IndexAny(s[authStart:], "?#"); q >= 0 && pos > authStart+q {
		return queryEscape
	}
	authEnd := len(s)
	if i := strings.IndexAny(s[authStart:], "/?#"); i >= 0 {
		authEnd = authStart + i
	}
	if pos >= authEnd {
		return url.PathEscape
	}
	if at := strings.LastIndex(s[authStart:authEnd], "@"); at >= 0 && pos < authStart+at {
		return userinfoEscape
	}
	return raw
}

func raw(v string) string { return v }

// queryEscape escapes v for a query value, with spaces as %20: libpq-style
// parsers do not read '+' as a space.
func queryEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// userinfoEscape escapes v for the user or password part of a URL.
func userinfoEscape(v string) string { return url.User(v).String() }

// quoteKeyValue quotes v for a libpq key/value connection string when it
// holds anything that would end or confuse the value.
func quoteKeyValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
