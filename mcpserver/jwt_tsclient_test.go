package mcpserver

import (
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tsJWTClient is run by node from test/tsclient (where the official
// TypeScript SDK is installed): it discovers the metadata from a 401 with
// the SDK's own functions, then calls tools with a bearer JWT.
const tsJWTClient = `
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { extractWWWAuthenticateParams, discoverOAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/client/auth.js";
const url = new URL(process.env.HUSH_URL);
const out = {};
try {
  const res = await fetch(url, { method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "ts", version: "0" } } }) });
  out.status = res.status;
  const p = extractWWWAuthenticateParams(res);
  out.resourceMetadataUrl = p.resourceMetadataUrl ? p.resourceMetadataUrl.href : null;
  out.scope = p.scope ?? null;
  out.metadata = await discoverOAuthProtectedResourceMetadata(url, { resourceMetadataUrl: p.resourceMetadataUrl });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: "Bearer " + process.env.HUSH_TOKEN } } });
  const client = new Client({ name: "hush-jwt-test", version: "1.0.0" });
  await client.connect(transport);
  out.tools = (await client.listTools()).tools.map((t) => t.name).sort();
  out.echo = await client.callTool({ name: "echo", arguments: { v: "hi" } });
  out.refused = await client.callTool({ name: "add_note", arguments: { title: "x" } });
  await client.close();
} catch (e) {
  out.fatal = String(e && e.message ? e.message : e);
}
process.stdout.write(JSON.stringify(out) + "\n");
`

// TestJWTWithTypeScriptClient: the official TypeScript client finds the
// metadata document from the 401, and calls tools with a bearer JWT.
func TestJWTWithTypeScriptClient(t *testing.T) {
	dir := filepath.Join("..", "test", "tsclient")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
		t.Fatalf("the TypeScript MCP client is not installed: run scripts/test.sh (it runs npm ci in %s)", dir)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	j := newJWTHarnessFor(t, base+"/mcp")
	hs := httptest.NewUnstartedServer(j.srv.Handler())
	_ = hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)

	cmd := exec.Command("node", "--input-type=module", "-e", tsJWTClient)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HUSH_URL="+base+"/mcp", "HUSH_TOKEN="+j.token(j.key, j.claims("mcp notes:read")))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var out struct {
		Status              int
		ResourceMetadataURL string
		Scope               string
		Metadata            map[string]any
		Tools               []string
		Echo, Refused       struct{ IsError bool }
		Fatal               string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode client report: %v", err)
	}
	if out.Fatal != "" {
		t.Fatalf("client: %s", out.Fatal)
	}
	if out.Status != 401 || out.ResourceMetadataURL != base+"/.well-known/oauth-protected-resource/mcp" || out.Scope != "mcp" {
		t.Errorf("401 as the client saw it: %d %q %q", out.Status, out.ResourceMetadataURL, out.Scope)
	}
	if out.Metadata["resource"] != base+"/mcp" || !strings.Contains(string(b), `"authorization_servers":["`+jwtIssuer+`"]`) {
		t.Errorf("metadata = %v", out.Metadata)
	}
	if strings.Join(out.Tools, ",") != "echo,find_note,health_check,note_path" {
		t.Errorf("tools = %v", out.Tools)
	}
	if out.Echo.IsError || !out.Refused.IsError {
		t.Errorf("echo error %v, add_note error %v; want false, true", out.Echo.IsError, out.Refused.IsError)
	}
}
