package mcpserver

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hushmcp/hush/redact"
)

// Bounds of the call log's fields.
const (
	maxToolName = 64
	maxArgKey   = 32
	maxArgKeys  = 20
)

// argShape describes arguments as "key:kind" pairs in key order, e.g.
// "email:string,limit:number". Values never appear; long keys are redacted,
// then clipped. raw is the arguments as the SDK decoded them, so valid JSON;
// the kinds come from one pass over it, without decoding the values.
func argShape(r *redact.Redactor, raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	fields, ok := topLevelKinds(raw)
	if !ok {
		if !json.Valid(raw) {
			return "(invalid json)"
		}
		return "(" + kindAt(raw, skipSpace(raw, 0)) + ")"
	}
	// A stable sort keeps the last of duplicate keys last: it is the one a
	// decoder keeps.
	slices.SortStableFunc(fields, func(a, b argField) int { return strings.Compare(a.key, b.key) })
	fields = lastOfEach(fields)
	var b strings.Builder
	b.Grow(16 * min(len(fields), maxArgKeys+1))
	for i, f := range fields {
		if i == maxArgKeys {
			fmt.Fprintf(&b, ",...(%d keys)", len(fields))
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(clipRedacted(r, f.key, maxArgKey))
		b.WriteByte(':')
		b.WriteString(f.kind)
	}
	return b.String()
}

// lastOfEach keeps, of each run of equal keys in sorted fields, the last.
func lastOfEach(fields []argField) []argField {
	out := fields[:0]
	for i, f := range fields {
		if i+1 < len(fields) && fields[i+1].key == f.key {
			continue
		}
		out = append(out, f)
	}
	return out
}

// clipRedacted clips s to n bytes after redacting it. Redacting first
// matters: a clipped secret is no longer an exact match for the redactor
// that later scrubs the whole log line. Strings that fit are left to that
// later pass.
func clipRedacted(r *redact.Redactor, s string, n int) string {
	if len(s) <= n {
		return s
	}
	return clip(r.RedactString(s), n)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// argField is one top-level argument: its decoded key and its JSON kind.
type argField struct{ key, kind string }

// topLevelKinds lists the keys of the JSON object raw with the kind of each
// value, read from the value's first byte; values are skipped, not decoded.
// It reports false when raw is not an object or its structure breaks off.
func topLevelKinds(raw []byte) ([]argField, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	if i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '}' {
		return nil, true
	}
	fields := make([]argField, 0, 8)
	for {
		f, next, ok := nextField(raw, i)
		if !ok {
			return nil, false
		}
		fields = append(fields, f)
		switch i = skipSpace(raw, next); {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return fields, true
		default:
			return nil, false
		}
	}
}

// nextField reads `"key": value` at raw[i] and returns the index after the
// value.
func nextField(raw []byte, i int) (argField, int, bool) {
	end, ok := skipString(raw, i)
	if !ok {
		return argField{}, 0, false
	}
	key, ok := decodeKey(raw[i:end])
	j := skipSpace(raw, end)
	if !ok || j >= len(raw) || raw[j] != ':' {
		return argField{}, 0, false
	}
	j = skipSpace(raw, j+1)
	next, ok := skipValue(raw, j)
	if !ok {
		return argField{}, 0, false
	}
	return argField{key: key, kind: kindAt(raw, j)}, next, true
}

// decodeKey unquotes a JSON string. Only keys with escapes or invalid UTF-8
// (which a decoder replaces) need the decoder.
func decodeKey(q []byte) (string, bool) {
	if len(q) < 2 {
		return "", false
	}
	if !slices.Contains(q, '\\') && utf8.Valid(q) {
		return string(q[1 : len(q)-1]), true
	}
	var k string
	return k, json.Unmarshal(q, &k) == nil
}

// kindAt names the JSON kind of the value starting at raw[i].
func kindAt(raw []byte, i int) string {
	if i >= len(raw) {
		return "invalid"
	}
	switch c := raw[i]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "number"
	}
	return "invalid"
}

// skipValue returns the index just after the value starting at raw[i].
func skipValue(raw []byte, i int) (int, bool) {
	if i >= len(raw) {
		return 0, false
	}
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		return skipNested(raw, i)
	}
	j := i
	for j < len(raw) && !isDelim(raw[j]) {
		j++
	}
	return j, j > i
}

// skipNested skips an object or array, minding brackets inside strings.
func skipNested(raw []byte, i int) (int, bool) {
	depth := 0
	for i < len(raw) {
		switch raw[i] {
		case '"':
			end, ok := skipString(raw, i)
			if !ok {
				return 0, false
			}
			i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}

// skipString returns the index just after the string starting at raw[i].
func skipString(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDelim(c byte) bool { return c == ',' || c == '}' || c == ']' || isSpace(c) }
