package publish

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/tmpl"
)

// MaxTokenChars bounds one filled subject token.
const MaxTokenChars = 256

// Subject is a subject template: dot-separated tokens, each a literal or
// one whole {parameter} placeholder.
type Subject struct {
	Text   string
	tokens []token
}

type token struct {
	lit   string
	param string // non-empty: a placeholder
}

var placeholder = regexp.MustCompile(`^\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// ParseSubject parses a subject template. Wildcards are refused: a tool
// publishes to one subject per call.
func ParseSubject(text string) (Subject, error) {
	s := Subject{Text: text}
	for _, t := range strings.Split(text, ".") {
		if m := placeholder.FindStringSubmatch(t); m != nil {
			s.tokens = append(s.tokens, token{param: m[1]})
			continue
		}
		if strings.ContainsAny(t, "{}") {
			return Subject{}, errors.New("a placeholder must be a whole token, like orders.{region}.created")
		}
		if msg := literalProblem(t); msg != "" {
			return Subject{}, errors.New(msg)
		}
		s.tokens = append(s.tokens, token{lit: t})
	}
	return s, nil
}

func literalProblem(t string) string {
	switch {
	case t == "":
		return "has an empty token (two dots, or a dot at an end)"
	case t == "*" || t == ">" || strings.ContainsAny(t, "*>"):
		return "may not hold the wildcards * or >: list them in allowed_subjects instead"
	case strings.IndexFunc(t, badRune) >= 0:
		return "may not hold whitespace or control characters"
	}
	return ""
}

func badRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// Params lists the placeholders, in order.
func (s Subject) Params() []string {
	var out []string
	for _, t := range s.tokens {
		if t.param != "" {
			out = append(out, t.param)
		}
	}
	return out
}

// fill renders the subject from a call's bound arguments. A filled token
// must be one token: not empty, no '.', '*', '>', whitespace or control
// characters. Errors are UserErrors naming the parameter, never its value.
func (s Subject) fill(args map[string]any) (string, error) {
	parts := make([]string, len(s.tokens))
	for i, t := range s.tokens {
		if t.param == "" {
			parts[i] = t.lit
			continue
		}
		v, ok := args[t.param]
		if !ok || v == nil {
			return "", tool.Userf("invalid arguments: argument %q: missing (required)", t.param)
		}
		text := tmpl.Text(v)
		if msg := tokenProblem(text); msg != "" {
			return "", tool.Userf("invalid arguments: argument %q: %s: it is a subject token", t.param, msg)
		}
		parts[i] = text
	}
	return strings.Join(parts, "."), nil
}

func tokenProblem(v string) string {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		return "must not be empty"
	case n > MaxTokenChars:
		return fmt.Sprintf("length must be at most %d", MaxTokenChars)
	case strings.ContainsAny(v, ".*>"):
		return "may not hold '.', '*' or '>'"
	case strings.IndexFunc(v, badRune) >= 0:
		return "may not hold whitespace, CR, LF or other control characters"
	case !utf8.ValidString(v):
		return "must be valid UTF-8"
	}
	return ""
}

// Pattern is an allowed subject: literal tokens, '*' for any one token,
// and a final '>' for one or more.
type Pattern []string

// ParsePattern checks an allowed_subjects entry.
func ParsePattern(text string) (Pattern, error) {
	p := Pattern(strings.Split(text, "."))
	for i, t := range p {
		switch {
		case t == ">" && i != len(p)-1:
			return nil, errors.New("'>' may only be the last token")
		case t == "*" || t == ">":
		case literalProblem(t) != "":
			return nil, errors.New(literalProblem(t))
		}
	}
	return p, nil
}

// Match reports whether subject (no wildcards) matches p.
func (p Pattern) Match(subject string) bool {
	toks := strings.Split(subject, ".")
	for i, pt := range p {
		switch {
		case pt == ">":
			return len(toks) > i
		case i >= len(toks):
			return false
		case pt != "*" && pt != toks[i]:
			return false
		}
	}
	return len(toks) == len(p)
}

// reachable reports whether some filled subject can match p: a
// placeholder may take any one token.
func (s Subject) reachable(p Pattern) bool {
	for i, pt := range p {
		switch {
		case pt == ">":
			return len(s.tokens) > i
		case i >= len(s.tokens):
			return false
		case pt != "*" && s.tokens[i].param == "" && pt != s.tokens[i].lit:
			return false
		}
	}
	return len(s.tokens) == len(p)
}
