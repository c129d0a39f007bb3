package redact

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// nestedCanaries are fake secrets with bytes that every escaping changes:
// quotes, backslashes, slashes, HTML-special and non-ASCII characters (one
// outside the Basic Multilingual Plane) and control characters. Each holds
// the marker, which no redacted output may contain.
var nestedCanaries = []string{
	`canary"quote\back/slash-7f3a9c-é-NOT-REAL`,
	`canary<tag>&amp;-7f3a9c-ünï😀-NOT-REAL\`,
	"canary-7f3a9c-tab\tbell\x07-NOT-REAL",
	`\\"//canary-7f3a9c-"\u00e9"-NOT-REAL`,
}

const nestedMarker = "7f3a9c"

// pgJSON writes s as PostgreSQL's to_json and json_build_object do, and
// SQLite's json_object: quotes, backslashes and control characters
// escaped, slashes and non-ASCII characters kept.
func pgJSON(s string) string { return `"` + jsonQuote(s, false) + `"` }

func marshalString(s string, html bool) string {
	if html {
		b, _ := json.Marshal(s)
		return string(b)
	}
	return `"` + jsonQuote(s, false) + `"`
}

// shapes returns the ways a secret comes back inside output: as a field of
// a JSON row built by the database, that row inside a tool result, that
// result inside a protocol message, in a log line, or written by other
// languages' JSON encoders.
func shapes(v string) map[string]string {
	row := `{"id" : 7, "pw" : ` + pgJSON(v) + `}`
	result := `[{"row":` + marshalString(row, false) + `}]`
	return map[string]string{
		"row as database text":          row,
		"row inside a tool result":      result,
		"row in a result, html escaped": `[{"row":` + marshalString(row, true) + `}]`,
		"result in a protocol message":  `{"jsonrpc":"2.0","result":{"text":` + marshalString(result, false) + `}}`,
		"result in a slog text line":    "msg=result text=" + strconv.Quote(result),
		"row in a Go %+q":               fmt.Sprintf("row=%+q", row),
		"python ensure_ascii":           `{"pw": "` + asciiJSON(jsonQuote(v, false), false, false) + `"}`,
		"java upper-case escapes":       `{"pw":"` + asciiJSON(jsonQuote(v, false), true, false) + `"}`,
		"php json_encode":               `{"pw":"` + asciiJSON(jsonQuote(v, false), false, true) + `"}`,
		"php row inside a tool result":  `[{"row":` + marshalString(`{"pw":"`+asciiJSON(jsonQuote(v, false), false, true)+`"}`, false) + `}]`,
		"url query inside json":         `{"url":` + marshalString("https://h/?k="+url.QueryEscape(v), true) + `}`,
		"go quoted error":               "error: " + strconv.Quote("password "+v+" rejected"),
	}
}

func TestRedactNestedEscapings(t *testing.T) {
	var vals [][]byte
	for _, v := range nestedCanaries {
		vals = append(vals, []byte(v))
	}
	r := New(Options{Values: vals, DisableStructural: true})
	for i, v := range nestedCanaries {
		for name, out := range shapes(v) {
			got := r.RedactString(out)
			if strings.Contains(got, nestedMarker) {
				t.Errorf("canary %d, %s: a form of the secret passed redaction", i, name)
			}
			if json.Valid([]byte(out)) && !json.Valid([]byte(got)) {
				t.Errorf("canary %d, %s: redaction broke the JSON", i, name)
			}
		}
	}
}

// Ordinary values, with nothing any escaping changes, add no patterns.
func TestPlainValuesHaveOneTextForm(t *testing.T) {
	if n := len(textForms("canary-plain_Value.7f3a9c~NOT-REAL")); n != 1 {
		t.Errorf("%d text forms for a value no escaping changes, want 1", n)
	}
	if n := len(textForms(nestedCanaries[0])); n < 6 || n > 120 {
		t.Errorf("%d text forms for a value with special characters, want a bounded handful", n)
	}
}
