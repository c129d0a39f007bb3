package mcpserver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/metrics"
)

// A tool call over streamable HTTP makes a server span that joins the client's trace
// from _meta, with a child span for the source call; no attribute holds an
// argument or a secret, whatever the call did.
func TestTracesOfToolCalls(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var m *metrics.Metrics
	h := newHarness(t, func(_ *config.Config, d *Deps) {
		m = metrics.New(metrics.Options{Store: d.Store, Sources: d.Sources, Tracer: tp})
		d.Metrics = m
	})
	t.Cleanup(m.Close)
	cs, err := h.overHTTP(h.httpServer(), canaryToken) // a stateful session: spans carry its id
	if err != nil {
		t.Fatal(err)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"v": canaryArg},
		Meta: mcp.Meta{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}})
	if err != nil || res.IsError {
		t.Fatalf("echo: %v", err)
	}
	callTool(t, cs, "note_path", map[string]any{"id": 3}) // an error quoting the canary in the row
	callTool(t, cs, "find_note", map[string]any{"title": canaryArg, "limit": canaryArg})

	spans := exp.GetSpans()
	byName := map[string][]tracetest.SpanStub{}
	var all strings.Builder
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
		fmt.Fprintf(&all, "%s %s %v\n", s.Name, s.Status.Description, s.Attributes)
		for _, ev := range s.Events {
			fmt.Fprintf(&all, "%s %v\n", ev.Name, ev.Attributes)
		}
	}
	echo, query := byName["tools/call echo"], byName["sql.query main"]
	if len(echo) != 1 || len(query) != 2 { // find_note's arguments are refused before any query
		t.Fatalf("spans:\n%s", all.String())
	}
	if echo[0].SpanContext.TraceID().String() != traceID {
		t.Error("the call did not join the client's trace")
	}
	if query[0].Parent.SpanID() != echo[0].SpanContext.SpanID() {
		t.Error("the source span is not the call's child")
	}
	if !strings.Contains(all.String(), "mcp.session.id") {
		t.Errorf("no session id:\n%s", all.String())
	}
	if find := byName["tools/call find_note"]; len(find) != 1 || find[0].Status.Description != metrics.OutcomeInvalidArgs {
		t.Errorf("find_note span: %v", find)
	}
	for _, c := range append(canaries, canaryArg) {
		leak.Check(t, "spans", all.String(), c)
	}
}
