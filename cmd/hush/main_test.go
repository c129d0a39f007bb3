package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/pgtest"
)

// pg is the PostgreSQL server shared by the package's tests and benchmarks.
// Tests that do not use it still run; a machine without PostgreSQL fails
// the whole package, which is how missing services are reported.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	srv, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pg = srv
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// pgSeq keeps role and database names unique across tests, including
// repeated runs with -count in one process.
var pgSeq atomic.Int64

// pgApp is a login role and a database it owns on pg.
type pgApp struct{ Role, DB string }

// newPGApp creates a role with password and a database owned by it, runs
// setup in that database as the superuser and lets the role read every
// table. prefix names both, for the server log.
func newPGApp(t testing.TB, prefix, password string, setup ...string) pgApp {
	t.Helper()
	n := pgSeq.Add(1)
	app := pgApp{Role: fmt.Sprintf("%s_%d", prefix, n), DB: fmt.Sprintf("%s_db_%d", prefix, n)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pg.CreateRole(ctx, app.Role, password); err != nil {
		t.Fatal(err)
	}
	if err := pg.CreateDatabase(ctx, app.DB, app.Role); err != nil {
		t.Fatal(err)
	}
	setup = append(setup, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+app.Role)
	for _, stmt := range setup {
		if err := pg.Exec(ctx, app.DB, stmt); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

// hushYAML writes a config file into dir and returns its path.
func hushYAML(t testing.TB, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "hush.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secretFile writes value into a file of its own under dir (mode 0600, as
// an operator would) and returns the path.
func secretFile(t testing.TB, dir, name, value string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// httpClientFor returns a client with its own connection pool (so
// concurrent sessions do not churn a shared one) that sends token.
func httpClientFor(token string, seen io.Writer) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: leak.Transport{Base: tr, Token: token, Seen: seen}}
}

// connectMCP opens a client session over streamable HTTP (stateful) with
// the official client; it is closed at cleanup.
func connectMCP(t testing.TB, url, token string, seen io.Writer) *mcp.ClientSession {
	t.Helper()
	tr := &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: httpClientFor(token, seen), MaxRetries: -1}
	client := mcp.NewClient(&mcp.Implementation{Name: "hush-e2e", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect MCP client: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// logEntries returns the server's JSON log lines whose msg is msg.
func logEntries(logs, msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(logs, "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
			out = append(out, e)
		}
	}
	return out
}

// waitUntil polls cond until it holds, failing after timeout.
func waitUntil(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	wait.Until(t, what, timeout, cond)
}

// scrub replaces every form of every canary in s, so a failure message can
// quote server output without printing a secret.
func scrub(s string, canaries ...string) string {
	for _, c := range canaries {
		for _, form := range leak.Forms(c) {
			s = strings.ReplaceAll(s, form, "[CANARY]")
		}
	}
	return s
}

// toolText joins the text content of a tool result.
func toolText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// remarshal decodes v (a client-side structured result) into out.
func remarshal(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// rawRequest is one hand-made HTTP request to the server.
type rawRequest struct {
	method, path, token, body string
	header                    map[string]string
}

const rawInitialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// jsonString is v as a JSON string literal, quotes included.
func jsonString(v string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// post is a POST of body to the MCP endpoint with token.
func post(token, body string, header map[string]string) rawRequest {
	return rawRequest{method: http.MethodPost, path: "/mcp", token: token, body: body, header: header}
}
