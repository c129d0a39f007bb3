// Package leak helps tests prove that no secret reaches any output: a
// concurrency-safe sink for logs and captured output, and a check for every
// form in which a secret could leak (raw, URL-, base64- and JSON-encoded).
package leak

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Buffer collects output written from several goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p. It never fails.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Forms returns the forms of secret to look for, by encoding name.
func Forms(secret string) map[string]string {
	j, _ := json.Marshal(secret)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	jp := strings.TrimSpace(plain.String())
	q := strconv.Quote(secret)
	b := []byte(secret)
	return map[string]string{
		"go-quoted":  q[1 : len(q)-1],
		"json-plain": jp[1 : len(jp)-1],
		"raw":        secret,
		"url":        url.QueryEscape(secret),
		"path":       url.PathEscape(secret),
		"base64":     base64.StdEncoding.EncodeToString(b),
		"base64-raw": base64.RawStdEncoding.EncodeToString(b),
		"base64url":  base64.RawURLEncoding.EncodeToString(b),
		"json":       string(j[1 : len(j)-1]),
	}
}

// Find names the encoding in which secret appears in text, or returns "".
func Find(text, secret string) string {
	forms := Forms(secret)
	names := make([]string, 0, len(forms))
	for name := range forms {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.Contains(text, forms[name]) {
			return name
		}
	}
	return ""
}

// Check fails t when any secret appears in text in any form. The message
// names the place and the form, never the text.
func Check(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if form := Find(text, s); form != "" {
			t.Errorf("a secret reached the %s (%s form)", where, form)
		}
	}
}

// Transport is an HTTP client transport for leak tests: it sends Token as a
// bearer token (when not empty) and copies every response header and body
// byte into Seen (when not nil), so a test can check all a client received.
type Transport struct {
	Base  http.RoundTripper // nil: http.DefaultTransport
	Token string
	Seen  io.Writer
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Token != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	resp, err := base.RoundTrip(req)
	if err != nil || t.Seen == nil {
		return resp, err
	}
	_ = resp.Header.Write(t.Seen)
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(resp.Body, t.Seen), resp.Body}
	return resp, nil
}
