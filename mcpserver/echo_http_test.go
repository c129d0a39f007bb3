package mcpserver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/leak"
)

// clientValue is something a client sent that the redactor does not know
// (a model pasting a credential of another system): only the echo rule
// keeps it from coming back.
const clientValue = "client-value-4b1d9e0c7a52f3e8-NOT-REAL-SECRET"

// echoRun is the length of a shared byte run the echo guard counts as an
// echo of the request.
const echoRun = 8

// sharesRun reports whether text holds any echoRun-byte run of v: a whole
// copy, or a prefix or piece cut short.
func sharesRun(text, v string) bool {
	for i := 0; i+echoRun <= len(v); i++ {
		if strings.Contains(text, v[i:i+echoRun]) {
			return true
		}
	}
	return false
}

// scrubbed hides the canaries and clientValue, in every encoding, from a
// failure message.
func scrubbed(s string) string {
	for _, c := range append(canaries[:len(canaries):len(canaries)], clientValue) {
		for _, f := range leak.Forms(c) {
			s = strings.ReplaceAll(s, f, "<secret>")
		}
	}
	return s
}

// rawReq is a request no well-behaved client sends.
type rawReq struct {
	name, method, body string
	header             map[string]string
	session            bool // send the session id of an initialised session
}

// send performs r against hs and returns the status line, headers and body
// as one text.
func send(t *testing.T, h *harness, hs *httptest.Server, r rawReq, session string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, hs.URL+"/mcp", strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if r.session && session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	for k, v := range r.header {
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	resp, err := h.httpClient(canaryToken).Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var head strings.Builder
	_ = resp.Header.Write(&head)
	return resp.StatusCode, resp.Status + "\n" + head.String() + string(b)
}

// The transport answers these before any middleware runs, and the go-sdk
// quotes the request in its answers, sometimes cut short. clientValue is
// unknown to the redactor, so only the echo rule stands between it and
// the client.
func echoProbes() []rawReq {
	v := clientValue
	long := strings.Repeat(v, 4) // decoders quote a prefix of long input
	post := func(name, body string, session bool, hdr map[string]string) rawReq {
		return rawReq{name: name, method: http.MethodPost, body: body, session: session, header: hdr}
	}
	return []rawReq{
		post("host header", initBody, false, map[string]string{"Host": v + ".example"}),
		post("body not an object", `"`+long+`"`, false, nil),
		post("truncated JSON", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+long, false, nil),
		post("initialize params of the wrong type (truncated prefix)", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":"`+long+`"}`, false, nil),
		post("initialize field of the wrong type", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":"`+long+`"}}`, false, nil),
		post("unknown method", `{"jsonrpc":"2.0","id":2,"method":"`+v+`"}`, true, nil),
		post("params that do not decode", `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":1,"arguments":"`+long+`"}}`, true, nil),
		post("unknown tool", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"`+v+`","arguments":{}}}`, true, nil),
		post("header mismatch", `{"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"_meta":{`+
			`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
			false, map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": v}),
		post("new protocol on a stateful server", `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"`+v+`"}}}`,
			false, map[string]string{"Mcp-Protocol-Version": v}),
		{name: "last event id", method: http.MethodGet, session: true, header: map[string]string{"Last-Event-ID": v}},
	}
}

func TestTransportAnswersDoNotEchoTheRequest(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		t.Run(fmt.Sprintf("stateless=%v", stateless), func(t *testing.T) {
			h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.Stateless = stateless })
			hs := h.httpServer()
			session := ""
			if !stateless {
				session = initSession(t, h, hs)
			}
			for _, r := range echoProbes() {
				code, text := send(t, h, hs, r, session)
				if sharesRun(text, clientValue) {
					t.Errorf("%s: the %d answer echoes the request", r.name, code)
				}
				if code < 400 && !strings.Contains(text, `"error"`) {
					t.Errorf("%s: status %d and no JSON-RPC error", r.name, code)
				}
			}
		})
	}
}

func initSession(t *testing.T, h *harness, hs *httptest.Server) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := h.httpClient(canaryToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, sid)
	}
	return sid
}

// The same answers without the guard do echo, all but two (a decoder's
// "unexpected EOF", and the header check a stateful server never reaches):
// the probes reach the paths they are meant to.
func TestEchoProbesEchoWithoutTheGuard(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.AuthToken = "" })
	bare := h.srv.streamable()
	hs := httptest.NewServer(bare)
	t.Cleanup(hs.Close)
	session := initSession(t, h, hs)
	echoed := 0
	for _, r := range echoProbes() {
		if _, text := send(t, h, hs, r, session); sharesRun(text, clientValue) {
			echoed++
		}
	}
	if echoed < len(echoProbes())-2 {
		t.Errorf("only %d of %d probes echo through the bare SDK handler", echoed, len(echoProbes()))
	}
}
