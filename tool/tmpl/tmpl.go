// Package tmpl is the {name} placeholder templates of tool kinds: a URL
// path or query value, a message text. Placeholders are filled only from a
// tool's typed, bound parameters, each value escaped by the caller for the
// place it stands in.
package tmpl

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Template is a text with {name} placeholders. The zero value is the
// empty text.
type Template struct{ parts []part }

type part struct {
	lit  string
	name string // non-empty: a placeholder
}

var placeholder = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse splits s at its {name} placeholders; a name is a parameter name.
// A brace outside a placeholder is an error.
func Parse(s string) (Template, error) {
	var t Template
	for s != "" {
		open := strings.IndexAny(s, "{}")
		if open < 0 {
			t.parts = append(t.parts, part{lit: s})
			break
		}
		if s[open] == '}' {
			return Template{}, errors.New("} without {")
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return Template{}, errors.New("{ without }")
		}
		name := s[open+1 : open+end]
		if !placeholder.MatchString(name) {
			return Template{}, errors.New("a placeholder must be {parameter_name}")
		}
		t.parts = append(t.parts, part{lit: s[:open]}, part{name: name})
		s = s[open+end+1:]
	}
	return t, nil
}

// Literals are the parts between placeholders, in order.
func (t Template) Literals() []string {
	var out []string
	for _, p := range t.parts {
		if p.name == "" {
			out = append(out, p.lit)
		}
	}
	return out
}

// Names are the placeholders' names, in order.
func (t Template) Names() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out
}

// Fill places each parameter's value (string, int64, float64 or bool, as
// tool.Params.Bind returns them) as text, escaped by esc, between the
// literals. It reports false when a placeholder's parameter has no value.
func (t Template) Fill(args map[string]any, esc func(name, v string) (string, error)) (string, bool, error) {
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
		s, err := esc(p.name, Text(v))
		if err != nil {
			return "", false, err
		}
		b.WriteString(s)
	}
	return b.String(), true, nil
}

// Text renders a bound value: string, int64, float64 or bool.
func Text(v any) string {
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

// Plain is an escaper that places values as they are.
func Plain(_, v string) (string, error) { return v, nil }
