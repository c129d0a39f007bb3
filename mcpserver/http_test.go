package mcpserver

import (
	"context"
	"encoding/json"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}`

func post(t *testing.T, h *harness, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := h.httpClient(token).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, h *harness, url string) (int, map[string]any) {
	t.Helper()
	resp, err := h.httpClient("").Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestBearerAuth(t *testing.T) {
	h := newHarness(t, nil)
	hs := h.httpServer()
	for _, tok := range []string{"", "wrong-token", canaryToken + "x", canaryToken[:len(canaryToken)-1]} {
		code, body := post(t, h, hs.URL+"/mcp", tok, initBody)
		if code != http.StatusUnauthorized {
			t.Errorf("token of %d chars: status %d, want 401", len(tok), code)
		}
		if tok != "" && strings.Contains(body, tok) {
			t.Errorf("401 body echoes the presented token")
		}
	}
	if _, err := h.overHTTP(hs, "wrong-token"); err == nil {
		t.Error("client connected with a wrong token")
	}
	cs, err := h.overHTTP(hs, canaryToken)
	if err != nil {
		t.Fatalf("right token: %v", err)
	}
	if res := callTool(t, cs, "echo", map[string]any{"v": "hi"}); res.IsError {
		t.Errorf("call: %q", resultText(res))
	}
}

func TestRotatedTokenTakesEffect(t *testing.T) {
	h := newHarness(t, nil)
	hs := h.httpServer()
	if code, _ := post(t, h, hs.URL+"/mcp", canaryToken, initBody); code != http.StatusOK {
		t.Fatalf("before rotation: status %d", code)
	}
	h.rotateToken(canaryToken2)
	if code, _ := post(t, h, hs.URL+"/mcp", canaryToken, initBody); code != http.StatusUnauthorized {
		t.Errorf("old token after rotation: status %d, want 401", code)
	}
	cs, err := h.overHTTP(hs, canaryToken2)
	if err != nil {
		t.Fatalf("new token: %v", err)
	}
	if res := callTool(t, cs, "echo", map[string]any{"v": "hi"}); res.IsError {
		t.Errorf("call with new token: %q", resultText(res))
	}
}

func TestNoAuthWhenNotConfigured(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.AuthToken = "" })
	if code, _ := post(t, h, h.httpServer().URL+"/mcp", "", initBody); code != http.StatusOK {
		t.Errorf("status %d, want 200", code)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.MaxBodyBytes = 4096 })
	body := strings.Replace(initBody, `"curl"`, `"`+strings.Repeat("x", 5000)+`"`, 1)
	if code, _ := post(t, h, h.httpServer().URL+"/mcp", canaryToken, body); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", code)
	}
}

func TestHealthEndpoints(t *testing.T) {
	h := newHarness(t, nil)
	hs := h.httpServer()
	if code, body := get(t, h, hs.URL+"/healthz"); code != http.StatusOK || body["status"] != "ok" {
		t.Errorf("/healthz: %d %v", code, body)
	}
	code, body := get(t, h, hs.URL+"/readyz")
	if code != http.StatusOK || body["ready"] != true {
		t.Errorf("/readyz: %d %v", code, body)
	}
	secrets, _ := body["secrets"].(map[string]any)
	if secrets["DB_PW"] != "ok" || secrets["MCP_TOKEN"] != "ok" || secrets["OPTIONAL_KEY"] != nil {
		t.Errorf("/readyz secrets = %v (optional secrets are not required)", secrets)
	}
	_ = h.db.Close()
	code, body = get(t, h, hs.URL+"/readyz")
	if sources, _ := body["sources"].(map[string]any); code != http.StatusServiceUnavailable || sources["main"] != "failed" {
		t.Errorf("/readyz with a closed source: %d %v", code, body)
	}
}

func TestHealthCheckTool(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		res := callTool(t, cs, "health_check", map[string]any{})
		if res.IsError {
			t.Fatalf("health failing: %s", resultText(res))
		}
		var rep struct {
			OK      bool
			Sources []struct{ Name, Ping, Status string }
		}
		if err := json.Unmarshal([]byte(structured(t, res)), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.OK || len(rep.Sources) != 1 || rep.Sources[0].Name != "main" || rep.Sources[0].Ping != "ok" {
			t.Errorf("report = %+v", rep)
		}
		if !strings.Contains(resultText(res), "source main: ping ok") {
			t.Errorf("text = %q", resultText(res))
		}
		_ = h.db.Close()
		if res := callTool(t, cs, "health_check", map[string]any{}); !res.IsError {
			t.Errorf("closed source reported healthy: %q", resultText(res))
		}
	})
}

func TestGracefulShutdownFinishesInFlightCalls(t *testing.T) {
	g := newGate()
	h := newHarness(t, withGate(g))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(ctx, ln) }()
	tr := &mcp.StreamableClientTransport{Endpoint: "http://" + ln.Addr().String() + "/mcp",
		HTTPClient: h.httpClient(canaryToken), MaxRetries: -1, DisableStandaloneSSE: true}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "v0"}, nil).Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	result := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "wait", Arguments: map[string]any{}})
		result <- res
	}()
	<-g.entered
	cancel()
	waitRefused(t, ln.Addr().String())
	close(g.release)
	if res := <-result; res == nil || res.IsError || !strings.Contains(resultText(res), `"done":true`) {
		t.Errorf("in-flight call did not finish: %+v", res)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// waitRefused polls until addr stops accepting connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	wait.Until(t, "the server to stop accepting after shutdown began", 10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		_ = c.Close()
		return false
	})
}

func TestCallTimeout(t *testing.T) {
	g := newGate()
	h := newHarness(t, func(c *config.Config, d *Deps) {
		withGate(g)(c, d)
		c.Tools[len(c.Tools)-1].Timeout = 20 * time.Millisecond // the gate never opens
	})
	res := callTool(t, h.inMemory(), "wait", map[string]any{})
	if !res.IsError || resultText(res) != "query timed out after 20ms" {
		t.Errorf("got %q", resultText(res))
	}
}

func TestStdioTransport(t *testing.T) {
	h := newHarness(t, nil)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h.srv.deps.Stdin, h.srv.deps.Stdout = inR, outW
	h.srv.cfg.Transport = "stdio"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Run(ctx); _ = outW.Close() }()
	tr := &mcp.IOTransport{Reader: io.NopCloser(io.TeeReader(outR, h.seen)), Writer: inW}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "v0"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := callTool(t, cs, "find_note", map[string]any{"title": "leak"}); !strings.Contains(resultText(res), "[REDACTED]") {
		t.Errorf("stdio result = %q", resultText(res))
	}
	cancel()
	_ = inW.Close()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(h.seen.String()), "\n") {
		if !json.Valid([]byte(line)) || !strings.Contains(line, `"jsonrpc":"2.0"`) {
			t.Errorf("stdout carries a non-protocol line: %.80q", line)
		}
	}
}

func TestCallLog(t *testing.T) {
	h := newHarness(t, withFaults)
	cs := h.inMemory()
	callTool(t, cs, "find_note", map[string]any{"title": "a-title-value", "limit": 2})
	callTool(t, cs, "find_note", map[string]any{"title": 7})
	callTool(t, cs, "explode", map[string]any{})
	_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "nope", Arguments: map[string]any{"k": "v"}})
	var lines []map[string]any
	for _, l := range strings.Split(h.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "tool call" {
			lines = append(lines, m)
		}
	}
	want := []struct{ tool, outcome, args string }{
		{"find_note", "ok", "limit:number,title:string"},
		{"find_note", "tool_error", "title:number"},
		{"explode", "panic", ""},
		{"nope", "protocol_error", "k:string"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d call log lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		l := lines[i]
		if l["tool"] != w.tool || l["outcome"] != w.outcome || l["args"] != w.args || l["duration_ms"] == nil {
			t.Errorf("line %d = %v, want %+v", i, l, w)
		}
	}
	if strings.Contains(h.logs.String(), "a-title-value") {
		t.Error("an argument value was logged")
	}
}

// A 401 names the scheme (RFC 6750): without credentials just the realm,
// with a bearer token that fails an invalid_token error. The body stays
// generic and a successful answer carries no challenge.
func TestUnauthorizedChallenge(t *testing.T) {
	h := newHarness(t, nil)
	hs := h.httpServer()
	for _, c := range []struct{ name, auth, challenge, body string }{
		{"none", "", `Bearer realm="hush"`, "no bearer token\n"},
		{"basic", "Basic " + canaryToken, `Bearer realm="hush"`, "no bearer token\n"},
		{"wrong", "Bearer wrong-token", `Bearer realm="hush", error="invalid_token"`, "invalid token\n"},
		{"suffixed", "Bearer " + canaryToken + "x", `Bearer realm="hush", error="invalid_token"`, "invalid token\n"},
		{"right", "Bearer " + canaryToken, "", ""},
	} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(initBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := h.httpClient("").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := resp.Header.Values("WWW-Authenticate")
		if c.challenge == "" {
			if resp.StatusCode != http.StatusOK || len(got) != 0 {
				t.Errorf("right token: status %d, challenge %q", resp.StatusCode, got)
			}
			continue
		}
		if resp.StatusCode != http.StatusUnauthorized || len(got) != 1 || got[0] != c.challenge || string(b) != c.body {
			t.Errorf("%s token: %d %q %q, want 401 %q %q", c.name, resp.StatusCode, got, b, c.challenge, c.body)
		}
	}
}

// The bearer token lets callers in, so a change to an empty, unreadable or
// deleted value revokes the old one at once: every token is refused and
// readiness fails until a good value arrives.
func TestTokenRevocationFailsClosed(t *testing.T) {
	h := newHarness(t, nil)
	hs := h.httpServer()
	for _, c := range []struct {
		name  string
		spoil func()
	}{
		{"emptied", func() { h.writeToken("") }},
		{"deleted", func() { _ = os.Remove(h.tokenPath) }},
	} {
		h.rotateToken(canaryToken)
		if code, _ := post(t, h, hs.URL+"/mcp", canaryToken, initBody); code != http.StatusOK {
			t.Fatalf("%s: before: status %d", c.name, code)
		}
		c.spoil()
		if err := h.store.Refresh(context.Background(), "MCP_TOKEN"); err == nil {
			t.Fatalf("%s: the store accepted the spoiled token", c.name)
		}
		if code, _ := post(t, h, hs.URL+"/mcp", canaryToken, initBody); code != http.StatusUnauthorized {
			t.Errorf("%s: the previous token still works: status %d, want 401", c.name, code)
		}
		if code, _ := get(t, h, hs.URL+"/readyz"); code != http.StatusServiceUnavailable {
			t.Errorf("%s: readyz %d, want 503", c.name, code)
		}
		h.rotateToken(canaryToken2)
		if code, _ := post(t, h, hs.URL+"/mcp", canaryToken2, initBody); code != http.StatusOK {
			t.Errorf("%s: the new token is refused: status %d", c.name, code)
		}
	}
}

// A browser page on another origin cannot post to the MCP endpoint (DNS
// rebinding, a local server attacked from a web page), unless its origin
// is in server.allowed_origins; clients that are not browsers are not
// affected.
func TestCrossOriginRequestsRefused(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.AllowedOrigins = []string{"https://app.example.com"} })
	hs := h.httpServer()
	send := func(origin, site string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(initBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := h.httpClient(canaryToken).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := send("https://evil.example", "cross-site"); code != http.StatusForbidden || strings.Contains(body, "evil") {
		t.Errorf("cross-site browser request: %d %q, want 403 without an echo", code, body)
	}
	if code, _ := send("https://evil.example", ""); code != http.StatusForbidden {
		t.Errorf("cross-origin request without Sec-Fetch-Site: %d, want 403", code)
	}
	if code, _ := send("https://app.example.com", "cross-site"); code != http.StatusOK {
		t.Errorf("allowed origin: %d, want 200", code)
	}
	if code, _ := send("", ""); code != http.StatusOK {
		t.Errorf("a client that is not a browser: %d, want 200", code)
	}
}
