package redistool

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hushmcp/hush/tool"
)

// Template is a key, field or value written with {param} placeholders that
// are filled only from the tool's typed parameters; {{ and }} stand for
// literal braces.
type Template struct {
	Text  string
	parts []part
}

// part is literal text, or a parameter when param is set.
type part struct {
	lit   string
	param string
}

// parseTemplate splits text into literals and parameter references.
func parseTemplate(text string) (Template, error) {
	t := Template{Text: text}
	var lit strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(text) && text[i+1] == c:
			lit.WriteByte(c)
			i++
		case c == '}':
			return Template{}, errors.New("has an unmatched }; write }} for a literal brace")
		case c == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return Template{}, errors.New("has an unclosed {")
			}
			name := text[i+1 : i+end]
			if name == "" || strings.ContainsAny(name, "{ ") {
				return Template{}, errors.New("has a placeholder that is not {parameter_name}")
			}
			t.parts = append(t.parts, part{lit: lit.String()}, part{param: name})
			lit.Reset()
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	t.parts = append(t.parts, part{lit: lit.String()})
	return t, nil
}

// Params lists the parameters the template names, once each, in order.
func (t Template) Params() []string {
	var out []string
	for _, p := range t.parts {
		if p.param != "" && !contains(out, p.param) {
			out = append(out, p.param)
		}
	}
	return out
}

// Head is the literal text before the first placeholder.
func (t Template) Head() string {
	if len(t.parts) == 0 {
		return ""
	}
	return t.parts[0].lit
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Limits on what a parameter may put into a key or a hash field.
const (
	MaxSegmentChars = 256  // one filled parameter
	MaxKeyBytes     = 1024 // a whole filled key or field
)

// segmentPunct is the punctuation a parameter may put into a key or field
// besides letters and digits. ':' is excluded because it separates the
// levels of a key: a value holding it could reach a key the template did
// not mean. Glob characters (* ? [ ]), braces (cluster hash tags),
// whitespace and control characters are excluded too.
const segmentPunct = "-_.@+"

// fill renders the template from a call's bound arguments (by parameter
// name). With strict, each filled value must be a safe key segment. Errors
// are UserErrors that name the parameter, never its value.
func (t Template) fill(args map[string]any, strict bool) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.param == "" {
			b.WriteString(p.lit)
			continue
		}
		v, err := render(p.param, args[p.param], strict)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// render formats one argument; see fill.
func render(name string, v any, strict bool) (string, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return "", tool.Userf("invalid arguments: argument %q: missing (required)", name)
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		return "", fmt.Errorf("argument %q: unexpected type %T", name, v)
	}
	if strict {
		if msg := checkSegment(s); msg != "" {
			return "", tool.Userf("invalid arguments: argument %q: %s", name, msg)
		}
	}
	return s, nil
}

// checkSegment describes why s cannot be part of a key, or returns "".
func checkSegment(s string) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "must not be empty: it is part of a key"
	case n > MaxSegmentChars:
		return fmt.Sprintf("length must be at most %d: it is part of a key", MaxSegmentChars)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(segmentPunct, r) {
			return "may hold only letters, digits and " + strings.Join(strings.Split(segmentPunct, ""), " ") +
				": it is part of a key"
		}
	}
	return ""
}
