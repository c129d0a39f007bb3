package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
)

const (
	canaryArg   = "canary-targ-61f0a2-NOT-REAL"
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentID    = "00f067aa0ba902b7"
	traceparent = "00-" + traceID + "-" + parentID + "-01"
)

func TestTracingWanted(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		want    bool
		wantErr bool
	}{
		{map[string]string{}, false, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, false, false},
		{map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, true},
	} {
		got, err := TracingWanted(func(k string) string { return c.env[k] })
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%v: %v, %v; want %v, error %v", c.env, got, err, c.want, c.wantErr)
		}
	}
}

// fakeSQL is a SQL source that fails when asked to, with a driver error
// whose message holds a canary.
type fakeSQL struct{ fail bool }

func (f fakeSQL) Query(ctx context.Context, q source.Query) (*source.Result, error) {
	if f.fail {
		return nil, fmt.Errorf("login for %s refused: %w", canaryArg, driver.ErrPermission)
	}
	return &source.Result{Columns: []string{"v"}}, nil
}
func (fakeSQL) Ping(context.Context) error { return nil }
func (fakeSQL) State() source.State        { return source.State{Status: "ok"} }
func (fakeSQL) Close() error               { return nil }

func tracedMetrics(t *testing.T) (*Metrics, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	m := New(Options{Tracer: tp})
	t.Cleanup(m.Close)
	return m, exp
}

// callThrough runs a tools/call of tool over req through m's middleware,
// with a handler that queries src.
func callThrough(m *Metrics, req *mcp.CallToolRequest, src source.Source) {
	h := chain(m, []string{"echo"}, func(ctx context.Context, _ string, _ mcp.Request) (mcp.Result, error) {
		if _, err := src.(source.SQL).Query(ctx, source.Query{SQL: "SELECT ?", Args: []any{canaryArg}}); err != nil {
			return toolResult(errors.New("query failed")), nil
		}
		return &mcp.CallToolResult{}, nil
	})
	_, _ = h(context.Background(), "tools/call", req)
}

func spanAttrs(s tracetest.SpanStub) string {
	var b strings.Builder
	for _, kv := range s.Attributes {
		fmt.Fprintf(&b, "%s=%s ", kv.Key, kv.Value.Emit())
	}
	return b.String() + s.Name + " " + s.Status.Description
}

func TestSpansOfACallAndItsSourceCall(t *testing.T) {
	for _, fail := range []bool{false, true} {
		m, exp := tracedMetrics(t)
		src := m.TraceSources(map[string]source.Source{"db": fakeSQL{fail: fail}})["db"]
		req := callReq("echo")
		req.Params.Meta = mcp.Meta{"traceparent": traceparent}
		req.Params.Arguments = []byte(`{"v":"` + canaryArg + `"}`)
		callThrough(m, req, src)
		spans := exp.GetSpans()
		if len(spans) != 2 {
			t.Fatalf("%d spans, want 2", len(spans))
		}
		query, call := spans[0], spans[1] // ended first, first
		if call.Name != "tools/call echo" || call.SpanKind != trace.SpanKindServer {
			t.Errorf("call span %q kind %v", call.Name, call.SpanKind)
		}
		if call.SpanContext.TraceID().String() != traceID || call.Parent.SpanID().String() != parentID {
			t.Errorf("call span is not a child of the client's: trace %s parent %s", call.SpanContext.TraceID(), call.Parent.SpanID())
		}
		if query.Name != "sql.query db" || query.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("source span %q is not the call's child", query.Name)
		}
		attrs := spanAttrs(call) + spanAttrs(query)
		for _, want := range []string{"mcp.method.name=tools/call", "gen_ai.tool.name=echo", "gen_ai.operation.name=execute_tool"} {
			if !strings.Contains(attrs, want) {
				t.Errorf("missing %s in %s", want, attrs)
			}
		}
		if fail && (!strings.Contains(attrs, "error.type=permission") || !strings.Contains(attrs, "hush.tool.outcome=tool_error")) {
			t.Errorf("a failing call: %s", attrs)
		}
		leak.Check(t, "span attributes", attrs, canaryArg)
	}
}

func TestTraceContextFromHeaders(t *testing.T) {
	m, exp := tracedMetrics(t)
	req := callReq("echo")
	req.Extra = &mcp.RequestExtra{Header: http.Header{"Traceparent": {traceparent}}}
	callThrough(m, req, fakeSQL{})
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].SpanContext.TraceID().String() != traceID {
		t.Errorf("the call did not join the trace in the headers: %d spans", len(spans))
	}
}

func TestUnknownToolSpanHasNoName(t *testing.T) {
	m, exp := tracedMetrics(t)
	callThrough(m, callReq(canaryArg), fakeSQL{})
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "tools/call" {
		t.Fatalf("spans: %d", len(spans))
	}
	leak.Check(t, "span", spanAttrs(spans[0]), canaryArg)
}

// both offers two abilities; the wrapper could keep only one, so it is
// left alone.
type both struct {
	fakeSQL
	source.KV
}

func (both) Ping(context.Context) error { return nil }
func (both) State() source.State        { return source.State{Status: "ok"} }
func (both) Close() error               { return nil }

func TestTraceSourcesKeepsTheAbility(t *testing.T) {
	m, _ := tracedMetrics(t)
	out := m.TraceSources(map[string]source.Source{"db": fakeSQL{}, "two": both{}})
	if _, ok := out["db"].(source.SQL); !ok {
		t.Error("a traced SQL source no longer runs SQL")
	}
	if _, ok := out["db"].(*tracedSQL); !ok {
		t.Error("the SQL source is not traced")
	}
	if _, ok := out["two"].(both); !ok {
		t.Error("a source with two abilities was wrapped")
	}
	plain := New(Options{})
	defer plain.Close()
	if _, ok := plain.TraceSources(map[string]source.Source{"db": fakeSQL{}})["db"].(fakeSQL); !ok {
		t.Error("without a tracer, sources were wrapped")
	}
}

// With an OTLP endpoint in the environment, spans reach it over HTTP when
// the provider shuts down.
func TestTracerFromEnvExportsOverHTTP(t *testing.T) {
	got := make(chan string, 4)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	tp, err := TracerFromEnv(context.Background(), os.Getenv, "test", slog.New(slog.DiscardHandler))
	if err != nil || tp == nil {
		t.Fatalf("TracerFromEnv: %v", err)
	}
	_, span := tp.Tracer("t").Start(context.Background(), "s")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if req := <-got; req != "POST /v1/traces" {
		t.Errorf("collector got %s", req)
	}
}

func TestTracerFromEnvRefusesUnknownProtocols(t *testing.T) {
	env := map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
	if _, err := TracerFromEnv(context.Background(), func(k string) string { return env[k] }, "", nil); err == nil {
		t.Error("http/json was accepted")
	}
	if tp, err := TracerFromEnv(context.Background(), func(string) string { return "" }, "", nil); tp != nil || err != nil {
		t.Errorf("no variables: %v, %v; want no tracer", tp, err)
	}
}
