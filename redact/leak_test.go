package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
)

// leakCanary is fake; it holds URL-, JSON- and HTML-special bytes so every
// encoded form differs from the raw one.
const leakCanary = `canary<pw>&7f3a9c/+?"NOT-REAL"\?>~`

// canaryForms returns the forms of leakCanary that must never reach output.
func canaryForms() map[string]string {
	b := []byte(leakCanary)
	j, _ := json.Marshal(leakCanary)
	var nohtml bytes.Buffer
	enc := json.NewEncoder(&nohtml)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(leakCanary)
	q := strconv.Quote(leakCanary)
	jj, _ := json.Marshal(string(j)) // "\"...\"": a JSON text inside a JSON string
	return map[string]string{
		"json twice":       string(jj[3 : len(jj)-3]),
		"raw":              leakCanary,
		"url query":        url.QueryEscape(leakCanary),
		"url path":         url.PathEscape(leakCanary),
		"base64 std":       base64.StdEncoding.EncodeToString(b),
		"base64 url":       base64.URLEncoding.EncodeToString(b),
		"base64 std raw":   base64.RawStdEncoding.EncodeToString(b),
		"base64 url raw":   base64.RawURLEncoding.EncodeToString(b),
		"json":             strings.Trim(string(j), `"`),
		"json no html":     strings.Trim(strings.TrimSpace(nohtml.String()), `"`),
		"go quoted":        q[1 : len(q)-1],
		"hex":              hex.EncodeToString(b),
		"fmt byte list":    strings.Trim(fmt.Sprint(b), "[]"),
		"fmt go byte list": strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", b), "[]byte{"), "}"),
	}
}

// leakedForm names a canary form present in out, or returns "".
func leakedForm(out string) string {
	for name, f := range canaryForms() {
		if strings.Contains(out, f) {
			return name
		}
	}
	return ""
}

type (
	exported     struct{ Pass string }
	unexported   struct{ pass string }
	valueField   struct{ Pass secret.Value }
	hiddenValue  struct{ pass secret.Value }
	printerFunc  func(w io.Writer, v any)
	placementFun func() any
)

func recovered(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

var printers = []struct {
	name  string
	print printerFunc
}{
	{"%v", func(w io.Writer, v any) { fmt.Fprintf(w, "%v", v) }},
	{"%+v", func(w io.Writer, v any) { fmt.Fprintf(w, "%+v", v) }},
	{"%#v", func(w io.Writer, v any) { fmt.Fprintf(w, "%#v", v) }},
	{"%s", func(w io.Writer, v any) { fmt.Fprintf(w, "%s", v) }},
	{"%q", func(w io.Writer, v any) { fmt.Fprintf(w, "%q", v) }},
	{"json", func(w io.Writer, v any) { b, _ := json.Marshal(v); w.Write(b) }},
	{"slog-text", func(w io.Writer, v any) { slog.New(slog.NewTextHandler(w, nil)).Info("m", "v", v) }},
	{"slog-json", func(w io.Writer, v any) { slog.New(slog.NewJSONHandler(w, nil)).Info("m", "v", v) }},
	// A tool result whose text is itself JSON: the secret is escaped twice.
	{"json-in-json", func(w io.Writer, v any) {
		inner, _ := json.Marshal(v)
		b, _ := json.Marshal(map[string]string{"text": string(inner)})
		w.Write(b)
	}},
}

// leakMatrix documents, for each place a secret can sit, which printers
// emit it when nothing but the type system protects it. secret.Value
// renders [REDACTED] through its methods, but fmt cannot call methods on an
// unexported field: it prints the raw bytes (%v as a decimal list, %#v as a
// hex list, %s and %q as text), and slog's text handler uses %+v. JSON
// skips unexported fields, and errors marshal as {}. The redacting Writer
// and Handler must close every one of these paths.
var leakMatrix = []struct {
	name  string
	value placementFun
	leaks string // printers whose output carries the canary without redaction
}{
	{"string field", func() any { return exported{leakCanary} }, "%v %+v %#v %s %q json slog-text slog-json json-in-json"},
	{"unexported string field", func() any { return unexported{leakCanary} }, "%v %+v %#v %s %q slog-text"},
	{"map", func() any { return map[string]string{"pw": leakCanary} }, "%v %+v %#v %s %q json slog-text slog-json json-in-json"},
	{"error chain", func() any {
		return fmt.Errorf("open db: %w", fmt.Errorf("auth: %w", errors.New("bad password "+leakCanary)))
	}, "%v %+v %#v %s %q slog-text slog-json"},
	{"panic value", func() any { return recovered(func() { panic("connect " + leakCanary) }) }, "%v %+v %#v %s %q json slog-text slog-json json-in-json"},
	{"secret.Value", func() any { return secret.NewValue([]byte(leakCanary), secret.Meta{}) }, ""},
	{"secret.Value field", func() any { return valueField{secret.NewValue([]byte(leakCanary), secret.Meta{})} }, ""},
	{"secret.Value in map", func() any {
		return map[string]secret.Value{"pw": secret.NewValue([]byte(leakCanary), secret.Meta{})}
	}, ""},
	{"secret.Value in error", func() any {
		return fmt.Errorf("auth %v: %w", secret.NewValue([]byte(leakCanary), secret.Meta{}), errors.New("denied"))
	}, ""},
	{"secret.Value as panic", func() any {
		return recovered(func() { panic(secret.NewValue([]byte(leakCanary), secret.Meta{})) })
	}, ""},
	{"unexported secret.Value field", func() any { return hiddenValue{secret.NewValue([]byte(leakCanary), secret.Meta{})} }, "%v %+v %#v %s %q slog-text"},
}

func TestLeakMatrix(t *testing.T) {
	forms := canaryForms()
	if forms["base64 std"] == forms["base64 url"] || forms["json"] == leakCanary || forms["url query"] == forms["url path"] {
		t.Fatal("leakCanary does not exercise every encoding")
	}
	r := redact.New(redact.Options{Values: [][]byte{[]byte(leakCanary)}})
	for _, place := range leakMatrix {
		leaks := strings.Fields(place.leaks)
		for _, p := range printers {
			var plain bytes.Buffer
			p.print(&plain, place.value())
			if got, want := leakedForm(plain.String()) != "", contains(leaks, p.name); got != want {
				t.Errorf("%s via %s: unprotected output leaks=%v, table says %v", place.name, p.name, got, want)
			}

			var out bytes.Buffer
			w := redact.NewWriter(&out, r)
			p.print(w, place.value())
			_ = w.Close()
			if f := leakedForm(out.String()); f != "" {
				t.Errorf("%s via %s: %s form passed the Writer", place.name, p.name, f)
			}
		}
		for _, mk := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var out bytes.Buffer
			slog.New(redact.NewHandler(mk(&out), r)).Info("m", "v", place.value())
			if f := leakedForm(out.String()); f != "" {
				t.Errorf("%s: %s form passed the Handler", place.name, f)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
