package echoguard

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/redact"
)

// clientValue is something a client sent that the redactor does not know
// (a model pasting a credential of another system): only the echo rule
// keeps it from coming back.
const clientValue = "client-value-4b1d9e0c7a52f3e8-NOT-REAL-SECRET"

// Obviously fake values the redactor knows; failure messages hide them.
const (
	canaryDB    = "canary-pw-7f3a9c&<NOT-REAL>"
	canaryToken = "canary-tok-91b2e4-NOT-REAL"
)

func newRedactor(values ...string) *redact.Redactor {
	r := redact.New(redact.Options{})
	var bs [][]byte
	for _, v := range values {
		bs = append(bs, []byte(v))
	}
	r.Update(bs)
	return r
}

// sharesRun reports whether text holds any gram-byte run of v: a whole
// copy, or a prefix or piece cut short.
func sharesRun(text, v string) bool {
	for i := 0; i+gram <= len(v); i++ {
		if strings.Contains(text, v[i:i+gram]) {
			return true
		}
	}
	return false
}

// scrubbed hides the canaries and clientValue, in every encoding, from a
// failure message.
func scrubbed(s string) string {
	for _, c := range []string{canaryDB, canaryToken, clientValue} {
		for _, f := range leak.Forms(c) {
			s = strings.ReplaceAll(s, f, "<secret>")
		}
	}
	return s
}

// guarded runs a handler behind a guardWriter for a request with body.
func guarded(body string, header http.Header, h func(w http.ResponseWriter)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	for k, vs := range header {
		r.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	run(rec, body, r, h)
	return rec
}

func run(rec *httptest.ResponseRecorder, body string, r *http.Request, h func(w http.ResponseWriter)) {
	g := newGuardWriter(rec, &echoSource{body: []byte(body), req: r, red: newRedactor(canaryDB)})
	h(g)
	g.finish()
}

func TestGuardReplacesPlainTextErrors(t *testing.T) {
	for _, c := range []struct {
		status   int
		sdk      string
		want     string
		extraHdr string
	}{
		{400, "malformed payload: json: cannot unmarshal \"\\\"" + clientValue[:30] + "...\"", "Bad Request: malformed payload: the body is not a JSON-RPC message", ""},
		{403, fmt.Sprintf("Forbidden: invalid Host header %q", clientValue), "Forbidden: invalid Host header (DNS rebinding protection)", ""},
		{404, "session not found", "Not Found: session not found", ""},
		{400, "JSON RPC not handled: \"" + clientValue + "\" unsupported", "Bad Request: method not found", ""},
		{400, "something new that quotes " + clientValue, "Bad Request: the request is not a valid MCP request", ""},
		{405, "Method Not Allowed", "Method Not Allowed: use POST, or GET or DELETE with a session", "Allow"},
		{502, clientValue, "Bad Gateway: the request could not be served", ""},
	} {
		rec := guarded("{}", nil, func(w http.ResponseWriter) {
			if c.extraHdr != "" {
				w.Header().Set(c.extraHdr, "POST")
			}
			w.Header().Set("Content-Length", "999")
			http.Error(w, c.sdk, c.status)
		})
		body := rec.Body.String()
		if rec.Code != c.status || body != c.want+"\n" {
			t.Errorf("%d %q: got %d %q, want %q", c.status, scrubbed(c.sdk), rec.Code, scrubbed(body), c.want)
		}
		if sharesRun(body, clientValue) {
			t.Errorf("%d: body echoes the request", c.status)
		}
		if got := rec.Header().Get("Content-Type"); got != "text/plain; charset=utf-8" || rec.Header().Get("Content-Length") != "" {
			t.Errorf("%d: Content-Type %q, Content-Length %q", c.status, got, rec.Header().Get("Content-Length"))
		}
		if c.extraHdr != "" && rec.Header().Get(c.extraHdr) == "" {
			t.Errorf("%d: header %s set by the handler was lost", c.status, c.extraHdr)
		}
	}
}

func TestGuardKeepsJSONErrorsThatDoNotEcho(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"` + canaryDB + `"}}`
	msg := `{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"unknown tool \"` + canaryDB + `\""}}`
	rec := guarded(body, nil, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(msg)))
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(msg[:20]))
		_, _ = w.Write([]byte(msg[20:]))
	})
	want := `{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"unknown tool \"[REDACTED]\""}}`
	if rec.Code != http.StatusNotFound || rec.Body.String() != want || rec.Header().Get("Content-Length") != "" {
		t.Errorf("got %d %s (Content-Length %q), want %s", rec.Code, scrubbed(rec.Body.String()), rec.Header().Get("Content-Length"), want)
	}
}

func TestGuardSanitisesEventsAtTheirBoundaries(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":"` + clientValue + `"}`
	echo := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"error":{"code":0,"message":%q}}`,
		fmt.Sprintf("handling 'initialize': json: cannot unmarshal %q", clientValue[:30]+"..."))
	ok := `{"jsonrpc":"2.0","id":2,"result":{"text":"pw ` + canaryDB + `"}}`
	events := "event: message\ndata: " + echo + "\n\nevent: message\ndata: " + ok + "\n\n: ok\n\n"
	var flushedMid bool
	rec := httptest.NewRecorder()
	run(rec, body, httptest.NewRequest(http.MethodPost, "/mcp", nil), func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/event-stream")
		// Cut inside the known secret: neither half is redactable alone.
		cut := strings.Index(events, canaryDB) + 5
		_, _ = w.Write([]byte(events[:cut]))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		flushedMid = rec.Flushed && strings.Contains(rec.Body.String(), "invalid request")
		_, _ = w.Write([]byte(events[cut:]))
	})
	want := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32600,\"message\":\"invalid request\"}}\n\n" +
		"event: message\ndata: " + strings.Replace(ok, canaryDB, "[REDACTED]", 1) + "\n\n: ok\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", scrubbed(got), want)
	}
	if !flushedMid {
		t.Error("the complete first event was not sent and flushed before the stream ended")
	}
}

func TestGuardWriteAfterFinishFails(t *testing.T) {
	rec := httptest.NewRecorder()
	g := newGuardWriter(rec, &echoSource{})
	g.Header().Set("Content-Type", "text/event-stream")
	_, _ = g.Write([]byte("data: {}\n\n"))
	g.finish()
	if _, err := g.Write([]byte("data: {}\n\n")); err == nil {
		t.Error("a write after finish succeeded")
	}
	if got := rec.Body.String(); got != "data: {}\n\n" {
		t.Errorf("body %q", scrubbed(got))
	}
}

func TestEchoRule(t *testing.T) {
	req := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"no_such_tool","arguments":{"k":"` + clientValue + `"}}}`
	for _, c := range []struct {
		name      string
		code      int64
		msg, want string
		header    http.Header
	}{
		{"truncated prefix", -32602, `json: cannot unmarshal "\"` + clientValue[:20] + `..." into string`, "invalid params: the parameters do not match the method's schema", nil},
		{"short piece", -32603, "bad value " + clientValue[10:18], "internal error", nil},
		{"marker only", 0, "handling 'x': unmarshaling [1 2 3] into a *T", "invalid request", nil},
		{"not handled", 0, `JSON RPC not handled: "zz"`, "method not found", nil},
		{"parse error", -32700, "at " + clientValue[5:20], "parse error", nil},
		{"invalid request", -32600, "bad id " + clientValue[3:15], "invalid request", nil},
		{"method not found", -32601, "no " + clientValue[30:], "method not found", nil},
		{"header echo", -32020, "Mcp-Name header value 'hdr-only-9a3' differs", "header mismatch: the Mcp-* headers do not match the request", http.Header{"Mcp-Name": {"hdr-only-9a3"}}},
		{"unknown tool echoing the name", -32602, `unknown tool "no_such_tool"`, "unknown tool", nil},
		{"own message, no echo", -32602, `unknown tool "[REDACTED]"`, `unknown tool "[REDACTED]"`, nil},
		{"incident", -32603, "internal error (incident 0a1b2c3d4e5f)", "internal error (incident 0a1b2c3d4e5f)", nil},
		{"shorter than a run", -32603, "tools/c", "tools/c", nil},
		{"constant naming a field", -32602, `missing or invalid _meta field "` + mcp.MetaKeyClientCapabilities + `"`, `missing or invalid _meta field "` + mcp.MetaKeyClientCapabilities + `"`, nil},
	} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		for k, vs := range c.header {
			r.Header[k] = vs
		}
		src := &echoSource{body: []byte(req + ` "_meta":{"` + mcp.MetaKeyClientCapabilities + `":1}`), req: r}
		got, _ := sanitiseError(&wireError{Code: c.code, Message: c.msg}, src)
		if got.Message != c.want {
			t.Errorf("%s: got %q, want %q", c.name, scrubbed(got.Message), scrubbed(c.want))
		}
	}
}

func TestEchoRuleData(t *testing.T) {
	src := &echoSource{body: []byte(`{"x":"` + clientValue + `"}`), req: httptest.NewRequest(http.MethodPost, "/mcp", nil)}
	e, changed := sanitiseError(&wireError{Code: -32602, Message: "bad", Data: []byte(`{"got":"` + clientValue + `"}`)}, src)
	if !changed || e.Message != "bad" || e.Data != nil {
		t.Errorf("echoing data: changed %v, message %q, data %s", changed, e.Message, scrubbed(string(e.Data)))
	}
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Mcp-Protocol-Version", "9999-"+clientValue)
	data := fmt.Sprintf(`{"supported":["2025-06-18"],"requested":%q}`, "9999-"+clientValue)
	e, _ = sanitiseError(&wireError{Code: mcp.CodeUnsupportedProtocolVersion,
		Message: fmt.Sprintf("protocol version %q is not supported by this server", "9999-"+clientValue), Data: []byte(data)},
		&echoSource{body: []byte(`{}`), req: r})
	if e.Message != "unsupported protocol version" || string(e.Data) != `{"supported":["2025-06-18"],"requested":""}` {
		t.Errorf("unsupported version: %q %s", scrubbed(e.Message), scrubbed(string(e.Data)))
	}
}

func TestSanitiseMessageKeepsOtherFields(t *testing.T) {
	src := &echoSource{body: []byte(`{"params":"` + clientValue + `"}`)}
	msg := `{"jsonrpc":"2.0","id":"a-1","error":{"code":-32602,"message":"bad ` + clientValue + `"}}`
	want := `{"jsonrpc":"2.0","id":"a-1","error":{"code":-32602,"message":"invalid params: the parameters do not match the method's schema"}}`
	if got := string(sanitiseMessage([]byte(msg), src)); got != want {
		t.Errorf("got %s", scrubbed(got))
	}
	batch := `[{"jsonrpc":"2.0","id":1,"result":{}},` + msg + `]`
	if got := string(sanitiseMessage([]byte(batch), src)); got != `[{"jsonrpc":"2.0","id":1,"result":{}},`+want+`]` {
		t.Errorf("batch: got %s", scrubbed(got))
	}
	result := `{"jsonrpc":"2.0","id":1,"result":{"structuredContent":{"error":"` + clientValue + `"}}}`
	if got := sanitiseMessage([]byte(result), src); string(got) != result {
		t.Errorf("a result was changed: %s", scrubbed(string(got)))
	}
}

func TestGuardReplacesErrorJSONThatIsNotJSONRPC(t *testing.T) {
	rec := guarded("{}", nil, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"problem":%q}`, clientValue)
	})
	if got := rec.Body.String(); rec.Code != http.StatusBadRequest || got != "Bad Request: the request is not a valid MCP request\n" {
		t.Errorf("got %d %q", rec.Code, scrubbed(got))
	}
}

func TestWrap(t *testing.T) {
	called := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad %s (%d bytes)"}}`, clientValue, len(body))
	})
	h := Wrap(next, Options{MaxBodyBytes: 200, Redactor: newRedactor(canaryDB)})
	serve := func(body string) *httptest.ResponseRecorder {
		called = false
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body)))
		return rec
	}

	rec := serve(`{"jsonrpc":"2.0","id":1,"method":"x","params":"` + clientValue + `"}`)
	want := `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: the parameters do not match the method's schema"}}`
	if !called || rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Errorf("echo: called %v, got %d %s", called, rec.Code, scrubbed(rec.Body.String()))
	}

	rec = serve(`{"jsonrpc":"2.0","id":1,"method":"x","params":"` + strings.Repeat("x", 200) + `"}`)
	if called || rec.Code != http.StatusRequestEntityTooLarge || !strings.HasPrefix(rec.Body.String(), "Request Entity Too Large: ") ||
		rec.Header().Get("Connection") != "close" {
		t.Errorf("too large: called %v, got %d %q", called, rec.Code, rec.Body.String())
	}

	rec = serve(`{"jsonrpc":"2.0","id":1.5,"method":"ping"}`)
	if called || rec.Code != http.StatusBadRequest || !strings.HasPrefix(rec.Body.String(), `{"jsonrpc":"2.0","id":1.5,"error":{"code":-32600,`) {
		t.Errorf("inexact id: called %v, got %d %s", called, rec.Code, rec.Body.String())
	}
}

func TestOutgoingKeepsIDsAndFixesCodes(t *testing.T) {
	red := newRedactor(canaryDB)
	for _, c := range []struct{ in, want string }{
		{`{"jsonrpc":"2.0","id":` + quote(canaryDB) + `,"result":{"text":` + quote("pw "+canaryDB) + `}}`,
			`{"jsonrpc":"2.0","id":` + quote(canaryDB) + `,"result":{"text":"pw [REDACTED]"}}`},
		{`{"jsonrpc":"2.0","id":2,"error":{"code":0,"message":"method \"tools/list\" is invalid during session initialization"}}`,
			`{"jsonrpc":"2.0","id":2,"error":{"code":-32600,"message":"method \"tools/list\" is invalid during session initialization"}}`},
		{`{"jsonrpc":"2.0","id":3,"error":{"code":0,"message":"boom"}}`,
			`{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"boom"}}`},
		{`not json ` + canaryDB, `not json [REDACTED]`},
	} {
		if got := string(Outgoing(red, []byte(c.in))); got != c.want {
			t.Errorf("Outgoing(%s) = %s, want %s", scrubbed(c.in), scrubbed(got), scrubbed(c.want))
		}
	}
}

func quote(s string) string {
	b, _ := marshal(s)
	return string(b)
}
