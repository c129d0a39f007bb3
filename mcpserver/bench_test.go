package mcpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
)

// benchCall measures one find_note call (argument validation, sqlite query,
// middleware chain, redaction, transport) per iteration.
func benchCall(b *testing.B, cs *mcp.ClientSession) {
	params := &mcp.CallToolParams{Name: "find_note", Arguments: map[string]any{"title": "hello"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := cs.CallTool(ctx, params)
		if err != nil || res.IsError {
			b.Fatalf("call: %v", err)
		}
	}
}

func BenchmarkCallSQLInMemory(b *testing.B) {
	h := newHarness(b, nil)
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := h.srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	benchCall(b, cs)
}

func BenchmarkCallSQLHTTP(b *testing.B) {
	h := newHarness(b, nil)
	cs, err := h.overHTTP(h.httpServer(), canaryToken)
	if err != nil {
		b.Fatal(err)
	}
	benchCall(b, cs)
}

func BenchmarkCallSQLHTTPStateless(b *testing.B) {
	h := newHarness(b, func(c *config.Config, _ *Deps) { c.Server.Stateless = true })
	cs, err := h.overHTTP(h.httpServer(), canaryToken)
	if err != nil {
		b.Fatal(err)
	}
	benchCall(b, cs)
}

// BenchmarkArgShape compares the call log's one-pass shape of typical
// arguments with decoding them (referenceShape, what it replaced).
func BenchmarkArgShape(b *testing.B) {
	raw := json.RawMessage(`{"id": 42, "n": 7, "email": "ada@example.com", "filter": {"plan": ["pro", "team"]}}`)
	r := newRedactor(canaryDB)
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = argShape(r, raw)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = referenceShape(raw)
		}
	})
}

// BenchmarkGuardEvent is what guardWriter adds to one SSE event carrying a
// tool result: the check for an error and the redaction pass.
func BenchmarkGuardEvent(b *testing.B) {
	ev := []byte("event: message\ndata: " + `{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"` +
		strings.Repeat(`{\"id\":1,\"name\":\"Ada Lovelace\",\"plan\":\"pro\"}\n`, 16) + `"}]}}` + "\n\n")
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	src := &echoSource{body: []byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call"}`), req: req, red: newRedactor(canaryDB, canaryToken)}
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		g := newGuardWriter(discardWriter{http.Header{"Content-Type": {"text/event-stream"}}}, src)
		_, _ = g.Write(ev)
		g.finish()
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
