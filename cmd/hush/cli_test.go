package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/redact"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestUsageAndVersion(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "", "hush serve"},
		{[]string{"--help"}, exitOK, "hush check", ""},
		{[]string{"serve", "--help"}, exitOK, "-config file", ""},
		{[]string{"check", "-h"}, exitOK, "Opens no listener", ""},
		{[]string{"version"}, exitOK, "hush ", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--nope"}, exitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"serve", "--log-level", "loud"}, exitUsage, "", `unknown level "loud"`},
	}
	for _, c := range cases {
		code, out, errs := runHush(t, c.args...)
		if code != c.code || !strings.Contains(out, c.inStdout) || !strings.Contains(errs, c.inStderr) {
			t.Errorf("hush %v: code %d stdout %q stderr %q", c.args, code, out, errs)
		}
	}
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hush.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every config mistake is reported at once, with its position, and the
// server exits 3 without listening.
func TestServeReportsEveryConfigError(t *testing.T) {
	path := writeConfig(t, `server:
  transport: carrier-pigeon
  colour: blue
secrets:
  DB: { from: "nope" }
sources:
  main: { kind: postgres, dsn: "postgres://app:canary-literal-pw-NOT-REAL@db/app" }
tools:
  t1: { source: missing, description: x, statement: "SELECT 1" }
`)
	code, _, errs := runHush(t, "serve", "--config", path)
	if code != exitConfig {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitConfig, errs)
	}
	for _, want := range []string{
		`hush.yaml:2:14: server.transport: unknown value "carrier-pigeon"`,
		`hush.yaml:3:3: server: unknown key "colour"`,
		`hush.yaml:5:`,
		`hush.yaml:7:`,
		`literal password`,
		`hush.yaml:9:`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "serving") {
		t.Error("the server started listening despite config errors")
	}
	assertNoCanary(t, "stderr", errs, "canary-literal-pw-NOT-REAL")
}

const sqliteConfig = `secrets:
  TOKEN: { from: "env://HUSH_TEST_ABSENT_TOKEN", min_length: 16 }
  KEY:   { from: "file:key", min_length: 32 }
server: { auth_token: "${secret:TOKEN}" }
sources:
  db: { kind: sqlite, dsn: "%s", seed: seed.sql }
tools:
  one: { source: db, description: one, statement: "SELECT 1 AS one" }
  keyed: { source: db, description: keyed, statement: "SELECT ? AS k", parameters: [{ name: k, type: string }] }
`

// Secret problems stop start-up with exit 4, every secret named, before any
// source is opened or listener started.
func TestServeStopsOnSecretProblems(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "key"), []byte("too-short-canary"), 0o600)
	os.WriteFile(filepath.Join(dir, "seed.sql"), []byte("CREATE TABLE t (x INTEGER);"), 0o600)
	path := filepath.Join(dir, "hush.yaml")
	os.WriteFile(path, []byte(strings.Replace(sqliteConfig, "%s", "db.sqlite", 1)), 0o600)
	code, _, errs := runHush(t, "serve", "--config", path)
	if code != exitSecrets {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitSecrets, errs)
	}
	for _, want := range []string{`secret "TOKEN": required: not found`, `secret "KEY": min_length: too short (min 32)`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "db.sqlite")); err == nil {
		t.Error("a source was opened although secrets failed")
	}
	assertNoCanary(t, "stderr", errs, "too-short-canary")
}

// A source that cannot be opened stops start-up with exit 5.
func TestServeStopsOnSourceProblems(t *testing.T) {
	path := writeConfig(t, `sources:
  gone: { kind: sqlite, dsn: /nonexistent/dir/db.sqlite }
tools:
  one: { source: gone, description: one, statement: "SELECT 1" }
`)
	code, _, errs := runHush(t, "serve", "--config", path)
	if code != exitSources || !strings.Contains(errs, `source "gone"`) {
		t.Fatalf("exit %d, want %d naming the source; stderr:\n%s", code, exitSources, errs)
	}
}

func TestCheckPrintsReport(t *testing.T) {
	dir := copyQuickstart(t)
	code, out, errs := runHush(t, "check", "--config", filepath.Join(dir, "hush.yaml"))
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^SECRET\s+SOURCE\s+STATUS\s+LENGTH`),
		regexp.MustCompile(`(?m)^MCP_TOKEN\s+file\s+ok\s+40\s+[0-9a-f]{12}\s+-\s+-$`),
		regexp.MustCompile(`(?m)^shop\s+sqlite\s+ok\s+\S+\s+-$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("report lacks %s:\n%s", want, out)
		}
	}
	token, _ := os.ReadFile(filepath.Join(dir, "secrets", "mcp-token"))
	assertNoCanary(t, "check output", out+errs, string(token))
}

func TestCheckReportsFailuresWithExitCode(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "key"), []byte("a-good-enough-key-canary-0123456789"), 0o600)
	path := filepath.Join(dir, "hush.yaml")
	os.WriteFile(path, []byte(strings.Replace(sqliteConfig, "%s", "db.sqlite", 1)), 0o600)
	code, out, _ := runHush(t, "check", "--config", path)
	if code != exitSecrets {
		t.Errorf("exit %d, want %d", code, exitSecrets)
	}
	if !regexp.MustCompile(`(?m)^TOKEN\s+env\s+missing\s+0`).MatchString(out) || !regexp.MustCompile(`(?m)^KEY\s+file\s+ok\s+35`).MatchString(out) {
		t.Errorf("report does not show each secret's state:\n%s", out)
	}
}

// Over stdio, stdout carries only the protocol: a real MCP client session
// works through the pipes, and logs stay on stderr.
func TestServeStdio(t *testing.T) {
	dir := copyQuickstart(t)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stderr := &lockedBuffer{}
	stdout := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"serve", "--config", filepath.Join(dir, "hush.yaml"), "--transport", "stdio"},
			inR, io.MultiWriter(outW, stdout), stderr)
		outW.Close()
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatalf("connect: %v; stderr:\n%s", err, stderr.String())
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "find_customer", Arguments: map[string]any{"email": "grace@example.com"}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, "Grace Hopper") {
		t.Errorf("result = %q", text)
	}
	cs.Close()
	inW.Close()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d; stderr:\n%s", code, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if !strings.HasPrefix(line, `{"jsonrpc":"2.0"`) {
			t.Errorf("stdout carries a non-protocol line: %.80s", line)
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"secret"`) {
		t.Error("start-up log missing from stderr")
	}
}

// A panic on the command's goroutine is reported through the redactor.
func TestRecoverToRedacts(t *testing.T) {
	const canary = "canary-panic-value-NOT-REAL-42"
	red := redact.New(redact.Options{Values: [][]byte{[]byte(canary)}})
	var out lockedBuffer
	w := redact.NewWriter(&out, red)
	code := func() (code int) {
		defer recoverTo(w, &code)
		panic("boom near " + canary)
	}()
	w.Close()
	if code != exitFailure || !strings.Contains(out.String(), "internal error: boom near [REDACTED]") {
		t.Errorf("code %d, output %q", code, out.String())
	}
	assertNoCanary(t, "panic report", out.String(), canary)
}

// Over stdio, protocol errors that the SDK raises before any middleware
// (here: an unknown method named after a secret) are redacted too.
func TestServeStdioRedactsProtocolErrors(t *testing.T) {
	dir := copyQuickstart(t)
	token, _ := os.ReadFile(filepath.Join(dir, "secrets", "mcp-token"))
	req := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"` + string(token) + `","params":{}}` + "\n"
	var stdout, stderr lockedBuffer
	inR, inW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"serve", "--config", filepath.Join(dir, "hush.yaml"), "--transport", "stdio"},
			inR, &stdout, &stderr)
	}()
	io.WriteString(inW, req)
	waitUntil(t, "the answer to request 2", 20*time.Second, func() bool { return strings.Contains(stdout.String(), `"id":2`) })
	inW.Close()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, `"id":2`) || !strings.Contains(out, "[REDACTED]") {
		t.Errorf("no redacted error answer to the unknown method; stdout:\n%s", leakScrub(out, string(token)))
	}
	assertNoCanary(t, "stdout", out, string(token))
	assertNoCanary(t, "stderr", stderr.String(), string(token))
}

func leakScrub(s, secret string) string { return strings.ReplaceAll(s, secret, "[CANARY]") }
