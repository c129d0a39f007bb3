package httptool

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// template is a path or query value with {name} placeholders, filled only
// from typed parameters.
type template struct{ parts []part }

type part struct {
	lit  string
	name string // non-empty: a placeholder
}

var placeholder = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseTemplate splits s at its {name} placeholders.
func parseTemplate(s string) (template, error) {
	var t template
	for s != "" {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			t.parts = append(t.parts, part{lit: s})
			break
		}
		if s[open] == '}' {
			return template{}, errors.New("} without {")
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return template{}, errors.New("{ without }")
		}
		name := s[open+1 : open+end]
		if !placeholder.MatchString(name) {
			return template{}, errors.New("a placeholder must be {parameter_name}")
		}
		t.parts = append(t.parts, part{lit: s[:open]}, part{name: name})
		s = s[open+end+1:]
	}
	return t, nil
}

func (t template) literals() []string {
	var out []string
	for _, p := range t.parts {
		if p.name == "" {
			out = append(out, p.lit)
		}
	}
	return out
}

func (t template) names() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out
}

// fill places each parameter's value, escaped by esc, between the literals.
// It reports false when a placeholder's parameter has no value.
func (t template) fill(args map[string]any, esc func(name, v string) (string, error)) (string, bool, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := args[p.name]
		if !ok || v == nil {
			return "", false, nil
		}
		s, err := esc(p.name, text(v))
		if err != nil {
			return "", false, err
		}
		b.WriteString(s)
	}
	return b.String(), true, nil
}

// text renders a bound value: string, int64, float64 or bool.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
