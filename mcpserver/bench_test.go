package mcpserver

import (
	"context"
	"encoding/json"
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
