package echoguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

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
