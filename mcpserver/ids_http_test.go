package mcpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
)

// rpcOverHTTP posts body on session and returns the status and the one
// JSON-RPC message of the answer (JSON or a single SSE event). It does not
// record what it receives: these tests send canaries as ids.
func rpcOverHTTP(t *testing.T, url, session, body string) (int, wireResponse, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	msg := b
	for line := range bytes.Lines(b) {
		if p, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			msg = bytes.TrimSpace(p)
		}
	}
	var m wireResponse
	_ = json.Unmarshal(msg, &m)
	return resp.StatusCode, m, string(msg)
}

func noAuth(c *config.Config, _ *Deps) { c.Server.AuthToken = "" }

func TestHTTPIDsComeBackAsSent(t *testing.T) {
	h := newHarness(t, noAuth)
	hs := h.httpServer()
	session := initSession(t, h, hs)
	url := hs.URL + "/mcp"
	for _, id := range []string{`"` + canaryDB + `"`, `"` + canaryToken + `"`, `9007199254740991`, `-7`} {
		code, m, msg := rpcOverHTTP(t, url, session, `{"jsonrpc":"2.0","id":`+id+`,"method":"ping"}`)
		if code != http.StatusOK || m.Error != nil || !sameID(m.ID, id) {
			t.Errorf("ping with an id of %d bytes: %d %.300s", len(id), code, scrubbed(msg))
		}
	}
	for _, id := range []string{"1.5", "1e40", "-0", "9007199254740993"} {
		code, m, msg := rpcOverHTTP(t, url, session, `{"jsonrpc":"2.0","id":`+id+`,"method":"ping"}`)
		if code != http.StatusBadRequest || m.Error == nil || m.Error.Code != -32600 || string(m.ID) != id {
			t.Errorf("id %s: %d %.300s, want 400 with error -32600 and the id as sent", id, code, msg)
		}
	}
}

func TestHTTPProtocolErrorCodes(t *testing.T) {
	h := newHarness(t, noAuth)
	hs := h.httpServer()
	session := initSession(t, h, hs)
	url := hs.URL + "/mcp"
	if _, m, msg := rpcOverHTTP(t, url, session, strings.Replace(initBody, `"id":1`, `"id":2`, 1)); m.Error == nil || m.Error.Code != -32600 {
		t.Errorf("second initialize: %.300s, want error -32600", msg)
	}
	body := `{"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"loud"}}`
	if _, m, msg := rpcOverHTTP(t, url, session, body); m.Error == nil || m.Error.Code != -32602 {
		t.Errorf("unknown log level: %.300s, want error -32602", msg)
	}
}
