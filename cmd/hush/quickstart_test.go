package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README's first command works: the quickstart starts, creates its demo
// database, and the official TypeScript MCP client lists and calls its tools
// over streamable HTTP with the bearer token from the mounted secret.
func TestQuickstartWithTypeScriptClient(t *testing.T) {
	dir := copyQuickstart(t)
	srv := startServe(t, "--config", filepath.Join(dir, "hush.yaml"))
	token, err := os.ReadFile(filepath.Join(dir, "secrets", "mcp-token"))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Fatal string
		Tools []struct{ Name string }
		Find  struct {
			IsError           bool
			StructuredContent struct{ Rows [][]any }
		}
		Injection struct {
			IsError           bool
			StructuredContent struct{ Rows [][]any }
		}
		BadType struct {
			IsError bool
			Content []struct{ Text string }
		}
		Health struct{ IsError bool }
	}
	runTSClient(t, srv.URL, string(token), &out)
	if out.Fatal != "" {
		t.Fatalf("client failed: %s", out.Fatal)
	}
	var names []string
	for _, tl := range out.Tools {
		names = append(names, tl.Name)
	}
	if got := strings.Join(names, ","); got != "customer_orders,find_customer,health_check" {
		t.Errorf("tools = %s", got)
	}
	if out.Find.IsError || len(out.Find.StructuredContent.Rows) != 1 || out.Find.StructuredContent.Rows[0][1] != "Ada Lovelace" {
		t.Errorf("find_customer result = %+v", out.Find)
	}
	if out.Injection.IsError || len(out.Injection.StructuredContent.Rows) != 0 {
		t.Errorf("an injection string was not treated as data: %+v", out.Injection)
	}
	if !out.BadType.IsError || len(out.BadType.Content) == 0 || !strings.Contains(out.BadType.Content[0].Text, `"email"`) {
		t.Errorf("a wrong parameter type was not rejected by name: %+v", out.BadType)
	}
	if out.Health.IsError {
		t.Errorf("health_check reports a failure")
	}
	assertNoCanary(t, "server log", srv.Stderr.String(), string(token))
}

// A wrong token gets a 401 from the TypeScript client's point of view too.
func TestQuickstartRejectsWrongToken(t *testing.T) {
	dir := copyQuickstart(t)
	srv := startServe(t, "--config", filepath.Join(dir, "hush.yaml"))
	var out struct{ Fatal string }
	runTSClient(t, srv.URL, "wrong-token-for-sure-0000000000", &out)
	if !strings.Contains(out.Fatal, "invalid token") {
		t.Errorf("client error = %q, want the 401 body \"invalid token\"", out.Fatal)
	}
}

// runTSClient runs test/tsclient/client.mjs (dependencies installed by
// scripts/test.sh) and decodes its JSON report into out.
func runTSClient(t *testing.T, url, token string, out any) {
	t.Helper()
	dir := filepath.Join("..", "..", "test", "tsclient")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		t.Fatalf("the TypeScript MCP client is not installed: run scripts/test.sh (it runs npm ci in %s)", dir)
	}
	cmd := exec.Command("node", "client.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HUSH_URL="+url, "HUSH_TOKEN="+token)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client.mjs: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode client report: %v", err)
	}
}
