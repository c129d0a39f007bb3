// Package webkinds_test serves the http and notify tool kinds over MCP,
// through the http and webhook source kinds, against a local API and a
// local webhook receiver that really check the key and the signature: the
// kinds are registered here the way internal/assembly registers them.
package webkinds_test

import (
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/mcptest"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/source/httpapi/httpapitest"
	"github.com/hushmcp/hush/source/webhook/webhooktest"
)

const (
	apiKeyOne = "canary-search-api-key-one-NOT-REAL"
	apiKeyTwo = "canary-search-api-key-two-NOT-REAL"
	sigKeyOne = "canary-notification-secret-one-NOT-REAL"
	sigKeyTwo = "canary-notification-secret-two-NOT-REAL"
)

var canaries = []string{apiKeyOne, apiKeyTwo, sigKeyOne, sigKeyTwo}

const hushYAML = `
secrets:
  SEARCH_API_KEY: { from: "file:search-key" }
  NOTIFICATION_SECRET: { from: "file:notification-secret" }
sources:
  search:
    kind: http
    base_url: %[1]s
    headers: { Authorization: "Bearer ${secret:SEARCH_API_KEY}" }
    health_path: /health
    timeout: 5s
  search_by_query_key:
    kind: http
    base_url: %[1]s/echo
    query: { api_key: "${secret:SEARCH_API_KEY}" }
    methods: [GET]
  alerts:
    kind: webhook
    url: %[2]s/hooks/hush
    secret: "${secret:NOTIFICATION_SECRET}"
tools:
  search:
    kind: http
    source: search
    description: Search the catalogue.
    path: /echo/search/{term}
    query: { limit: "{limit}" }
    parameters:
      - { name: term, type: string, required: true }
      - { name: limit, type: integer, default: 10 }
  echo_query:
    kind: http
    source: search_by_query_key
    description: Echo the request, key and all.
    query: { q: "{q}" }
    parameters: [{ name: q, type: string, required: true }]
  notify_team:
    kind: notify
    source: alerts
    description: Tell the team.
    event: team.message
    text: "{message}"
    parameters: [{ name: message, type: string, required: true }]
`

type env struct {
	dir string
	api *httpapitest.API
	rcv *webhooktest.Receiver
	cs  *mcp.ClientSession
	log *leak.Buffer
}

func start(t *testing.T) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), api: httpapitest.New(t, apiKeyOne), rcv: webhooktest.New(t, sigKeyOne)}
	write(t, filepath.Join(e.dir, "search-key"), apiKeyOne)
	write(t, filepath.Join(e.dir, "notification-secret"), sigKeyOne)
	write(t, filepath.Join(e.dir, "hush.yaml"), fmt.Sprintf(hushYAML, e.api.URL, e.rcv.URL))
	cfg, err := config.Load(filepath.Join(e.dir, "hush.yaml"), kinds())
	if err != nil {
		t.Fatal(err)
	}
	e.cs, e.log = serve(t, cfg)
	return e
}

// An API that echoes its Authorization header, or a key in its query
// string, does not get the key to the model: the server's redaction
// scrubs every result, text and structured content alike.
func TestEchoedCredentialsAreRedacted(t *testing.T) {
	e := start(t)
	res := e.call(t, "search", `{"term":"rust lang"}`)
	if res.IsError || !strings.Contains(text(res), `"path":"/echo/search/rust%20lang"`) || !strings.Contains(text(res), "limit=10") {
		t.Fatalf("search: %s", text(res))
	}
	if !strings.Contains(text(res), "Authorization") || !strings.Contains(text(res), redact.Placeholder) {
		t.Errorf("the echoed Authorization header is not there, redacted: %s", text(res))
	}
	res = e.call(t, "echo_query", `{"q":"x"}`)
	if res.IsError || !strings.Contains(text(res), "api_key="+redact.Placeholder) {
		t.Errorf("echo_query: %s", text(res))
	}
}

// Hostile path values are tool errors, and nothing reaches the API.
func TestHostileArgumentsOverMCP(t *testing.T) {
	e := start(t)
	before := e.api.Total()
	for _, term := range []string{"../admin", "a/b", "%2F", "..", "x\r\nHost: evil"} {
		arg, _ := json.Marshal(map[string]string{"term": term})
		if res := e.call(t, "search", string(arg)); !res.IsError || !strings.Contains(text(res), `argument "term"`) {
			t.Errorf("%q: %s", term, text(res))
		}
	}
	if n := e.api.Total() - before; n != 0 {
		t.Errorf("%d hostile requests reached the API", n)
	}
}

func TestNotifyOverMCP(t *testing.T) {
	e := start(t)
	res := e.call(t, "notify_team", `{"message":"deploy finished"}`)
	if res.IsError || !strings.Contains(text(res), "notification delivered") {
		t.Fatalf("notify_team: %s", text(res))
	}
	got := e.rcv.Accepted()
	if last := got[len(got)-1]; last.Event != "team.message" || last.Body["text"] != "deploy finished" {
		t.Errorf("delivery %v", last.Body)
	}
}

func TestHealthCheckCoversTheNewKinds(t *testing.T) {
	e := start(t)
	health := text(e.call(t, "health_check", `{}`))
	for _, want := range []string{"health: ok", "source search: ping ok", "source search_by_query_key: ping ok",
		"source alerts: ping ok", "secret SEARCH_API_KEY (file): ok", "secret NOTIFICATION_SECRET (file): ok"} {
		if !strings.Contains(health, want) {
			t.Errorf("health_check lacks %q:\n%s", want, health)
		}
	}
	e.api.SetKeys() // the API now refuses every key
	health = text(e.call(t, "health_check", `{}`))
	if !strings.Contains(health, "health: failing") || !strings.Contains(health, "source search: ping failed") {
		t.Errorf("health_check with a refused key:\n%s", health)
	}
}

// A new key in the secret file reaches the next request without a
// restart: the sources build, verify and swap new clients, and the calls
// work once the API and the receiver know only the new keys.
func TestRotationOverMCP(t *testing.T) {
	e := start(t)
	e.api.SetKeys(apiKeyOne, apiKeyTwo)
	e.rcv.SetKeys(sigKeyOne, sigKeyTwo)
	write(t, filepath.Join(e.dir, "search-key"), apiKeyTwo)
	write(t, filepath.Join(e.dir, "notification-secret"), sigKeyTwo)
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(text(e.call(t, "health_check", `{}`)), "last swap") < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the sources did not swap to the new keys")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(e.log.String(), "source credentials swapped") {
		t.Error("the swaps were not logged: the leak check of the log would prove nothing")
	}
	e.api.SetKeys(apiKeyTwo)
	e.rcv.SetKeys(sigKeyTwo)
	if res := e.call(t, "search", `{"term":"after"}`); res.IsError {
		t.Errorf("search after the rotation: %s", text(res))
	}
	if res := e.call(t, "echo_query", `{"q":"after"}`); res.IsError || !strings.Contains(text(res), "api_key="+redact.Placeholder) {
		t.Errorf("echo_query after the rotation: %s", text(res))
	}
	if res := e.call(t, "notify_team", `{"message":"after"}`); res.IsError {
		t.Errorf("notify after the rotation: %s", text(res))
	}
}

// serve boots the server with a debug log that does not redact, so that
// any secret a source logs is caught, and checks the log at cleanup.
func serve(t *testing.T, cfg *config.Config) (*mcp.ClientSession, *leak.Buffer) {
	t.Helper()
	logs := &leak.Buffer{}
	t.Cleanup(func() { leak.Check(t, "server log", logs.String(), canaries...) })
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return mcptest.Serve(t, cfg, log, clean), logs
}

// call calls a tool and fails the test if any canary reaches the client,
// in the text or the structured content.
func (e *env) call(t *testing.T, name, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := e.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		t.Fatalf("call %s: %s", name, clean(err.Error()))
	}
	wire, _ := json.Marshal(res)
	leak.Check(t, "result of "+name, string(wire), canaries...)
	return res
}

func clean(s string) string {
	for _, c := range canaries {
		s = strings.ReplaceAll(s, c, "[CANARY]")
	}
	return s
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func write(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
