package tool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxArgBytes bounds the raw JSON arguments of one call.
const DefaultMaxArgBytes = 64 << 10

// bindArgs validates raw call arguments against ps and returns the values to
// bind, in declaration order, with defaults applied (nil for an absent
// optional parameter without default). Every problem is reported at once, as
// a UserError that names parameters and never repeats a supplied value.
func bindArgs(ps []param, raw json.RawMessage, limit int) ([]any, error) {
	if len(raw) > limit {
		return nil, Userf("invalid arguments: %d bytes, over the limit of %d", len(raw), limit)
	}
	fields, err := argObject(raw)
	if err != nil {
		return nil, err
	}
	problems := unknownArgs(ps, fields)
	vals := make([]any, len(ps))
	for i, p := range ps {
		v, msg := p.value(fields[p.Name])
		if msg != "" {
			problems = append(problems, fmt.Sprintf("argument %s: %s", quoteName(p.Name), msg))
		}
		vals[i] = v
	}
	if len(problems) > 0 {
		return nil, Userf("invalid arguments: %s", strings.Join(problems, "; "))
	}
	return vals, nil
}

// argObject decodes the top level of the arguments; absent or null
// arguments are an empty object.
func argObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	if kind := jsonKind(raw); kind != "object" {
		return nil, Userf("invalid arguments: must be a JSON object, got %s", article(kind))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, Userf("invalid arguments: not valid JSON")
	}
	return fields, nil
}

func unknownArgs(ps []param, fields map[string]json.RawMessage) []string {
	var unknown []string
	for name := range fields {
		if !slices.ContainsFunc(ps, func(p param) bool { return p.Name == name }) {
			unknown = append(unknown, quoteName(name))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	if len(unknown) > 5 {
		unknown = append(unknown[:5], "...")
	}
	hint := "this tool takes no arguments"
	if len(ps) > 0 {
		valid := make([]string, len(ps))
		for i, p := range ps {
			valid[i] = p.Name
		}
		hint = "valid: " + strings.Join(valid, ", ")
	}
	return []string{fmt.Sprintf("unknown argument %s (%s)", strings.Join(unknown, ", "), hint)}
}

// value decodes one argument. It returns a problem description instead of
// an error, so bindArgs can list all of them.
func (p param) value(raw json.RawMessage) (any, string) {
	if len(raw) == 0 || jsonKind(raw) == "null" {
		if p.Required && p.def == nil {
			return nil, "missing (required)"
		}
		return p.def, ""
	}
	want := jsonTypes[p.Type]
	if got := jsonKind(raw); got != want {
		return nil, fmt.Sprintf("must be %s, got %s", article(p.Type), article(got))
	}
	v, msg := p.decode(raw)
	if msg == "" {
		msg = p.check(v)
	}
	return v, msg
}

func (p param) decode(raw json.RawMessage) (any, string) {
	switch p.Type {
	case "integer":
		return parseInteger(string(raw))
	case "number":
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, "number out of range"
		}
		return f, ""
	case "boolean":
		return string(raw) == "true", ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, "not a valid JSON string"
	}
	return s, ""
}

// parseInteger accepts any integral JSON number that an int64 holds exactly:
// 3, -7, 3.0 and 1e3 are integers; 1.5 is not.
func parseInteger(s string) (any, string) {
	i, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return i, ""
	}
	if errors.Is(err, strconv.ErrRange) {
		return nil, "integer out of range"
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.Abs(f) > maxExactInt:
		return nil, "integer out of range"
	case f != math.Trunc(f):
		return nil, "must be an integer, got a fraction"
	}
	return int64(f), ""
}

// check applies enum and bounds to a canonical value.
func (p param) check(v any) string {
	if len(p.enum) > 0 && !slices.Contains(p.enum, v) {
		return "must be one of " + listValues(p.enum)
	}
	n, what := measure(v)
	if p.Min != nil && n < *p.Min {
		return fmt.Sprintf("%s must be at least %s", what, fmtNum(*p.Min))
	}
	if p.Max != nil && n > *p.Max {
		return fmt.Sprintf("%s must be at most %s", what, fmtNum(*p.Max))
	}
	return ""
}

// measure returns what bounds apply to: a number's value or a string's
// length in characters (as JSON Schema counts them).
func measure(v any) (float64, string) {
	switch x := v.(type) {
	case int64:
		return float64(x), "value"
	case float64:
		return x, "value"
	case string:
		return float64(utf8.RuneCountInString(x)), "length"
	}
	return 0, ""
}

func article(kind string) string {
	switch kind {
	case "integer", "object", "array":
		return "an " + kind
	case "null":
		return kind
	}
	return "a " + kind
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func listValues(vs []any) string {
	parts := make([]string, 0, len(vs))
	for i, v := range vs {
		if i == 10 {
			parts = append(parts, "...")
			break
		}
		b, _ := json.Marshal(v)
		parts = append(parts, truncate(string(b), 40))
	}
	return strings.Join(parts, ", ")
}

// jsonKind names the kind of a syntactically valid JSON value.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// quoteName quotes a client-supplied name, shortened so a long key cannot
// carry a payload back into the response.
func quoteName(s string) string { return strconv.Quote(truncate(s, 40)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
