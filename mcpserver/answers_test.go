package mcpserver

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
)

// rawExchange posts body with the session (if any) and returns the status,
// the media type and the body.
func rawExchange(t *testing.T, h *harness, url, session, body string) (int, string, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := h.httpClient(canaryToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return resp.StatusCode, ct, string(b), resp.Header
}

// By default a POST is answered with one JSON body; server.sse switches
// back to an event stream. Results, tool errors, protocol errors and an
// unknown session all answer in the configured form.
func TestAnswerModes(t *testing.T) {
	for _, c := range []struct {
		sse  bool
		want string
	}{{false, "application/json"}, {true, "text/event-stream"}} {
		h := newHarness(t, func(cfg *config.Config, _ *Deps) { cfg.Server.SSE = c.sse })
		url := h.httpServer().URL + "/mcp"
		code, ct, body, hdr := rawExchange(t, h, url, "", initBody)
		session := hdr.Get("Mcp-Session-Id")
		if code != http.StatusOK || ct != c.want || session == "" {
			t.Fatalf("sse=%v initialize: %d %s, session %q: %s", c.sse, code, ct, session, body)
		}
		rawExchange(t, h, url, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		for _, step := range []struct{ name, body, want string }{
			{"result", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"v":"hi"}}}`, `"structuredContent":{"columns":["v"],"rows":[["hi"]]`},
			{"tool error", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{}}}`, `"isError":true`},
			{"protocol error", `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope","arguments":{}}}`, `"error":{"code":-32602`},
		} {
			code, ct, body, _ := rawExchange(t, h, url, session, step.body)
			if code != http.StatusOK || ct != c.want || !strings.Contains(body, step.want) {
				t.Errorf("sse=%v %s: %d %s %s", c.sse, step.name, code, ct, body)
			}
		}
		code, _, body, _ = rawExchange(t, h, url, "no-such-session", `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`)
		if code != http.StatusNotFound {
			t.Errorf("sse=%v unknown session: %d %s", c.sse, code, body)
		}
	}
}
