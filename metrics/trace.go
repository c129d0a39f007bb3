package metrics

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of Hush's spans.
const tracerName = "github.com/hushmcp/hush"

// Span attribute keys, after the OpenTelemetry semantic conventions for
// MCP and GenAI tool execution. Values are names and classes only.
const (
	attrMethod    = attribute.Key("mcp.method.name")
	attrSession   = attribute.Key("mcp.session.id")
	attrOperation = attribute.Key("gen_ai.operation.name")
	attrTool      = attribute.Key("gen_ai.tool.name")
	attrErrorType = attribute.Key("error.type")
	attrOutcome   = attribute.Key("hush.tool.outcome")
	attrSource    = attribute.Key("hush.source.name")
	attrSourceOp  = attribute.Key("hush.source.operation")
)

// w3c reads the W3C traceparent and tracestate.
var w3c = propagation.TraceContext{}

// metaCarrier reads trace context from a request's _meta.
type metaCarrier map[string]any

func (c metaCarrier) Get(key string) string {
	s, _ := c[key].(string)
	return s
}
func (c metaCarrier) Set(string, string) {}
func (c metaCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// remoteParent returns ctx with the caller's span context, taken from the
// request's _meta (traceparent, tracestate) or else from the HTTP headers
// that carried it, when the client sent one.
func remoteParent(ctx context.Context, req mcp.Request) context.Context {
	if p := req.GetParams(); p != nil {
		if meta := p.GetMeta(); meta != nil {
			if sc := trace.SpanContextFromContext(w3c.Extract(ctx, metaCarrier(meta))); sc.IsValid() {
				return trace.ContextWithRemoteSpanContext(ctx, sc)
			}
		}
	}
	if ex := req.GetExtra(); ex != nil && ex.Header != nil {
		return w3c.Extract(ctx, propagation.HeaderCarrier(ex.Header))
	}
	return ctx
}

// startCall starts the span of one tools/call. tool is a configured name
// or UnknownTool, never the name a client sent.
func (m *Metrics) startCall(ctx context.Context, req mcp.Request, tool string) (context.Context, trace.Span) {
	if m.tracer == nil {
		return ctx, nil
	}
	name := "tools/call"
	attrs := []attribute.KeyValue{attrMethod.String("tools/call"), attrOperation.String("execute_tool")}
	if tool != UnknownTool {
		name += " " + tool
		attrs = append(attrs, attrTool.String(tool))
	}
	if ss, ok := req.GetSession().(*mcp.ServerSession); ok && ss != nil && ss.ID() != "" {
		attrs = append(attrs, attrSession.String(ss.ID()))
	}
	return m.tracer.Start(remoteParent(ctx, req), name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attrs...))
}

// endCall ends span with the call's outcome.
func endCall(span trace.Span, outcome string) {
	if span == nil {
		return
	}
	span.SetAttributes(attrOutcome.String(outcome))
	if outcome != OutcomeOK {
		span.SetAttributes(attrErrorType.String(outcome))
		span.SetStatus(codes.Error, outcome)
	}
	span.End()
}

// startSource starts the child span of one call into a source.
func (m *Metrics) startSource(ctx context.Context, source, op string) (context.Context, trace.Span) {
	return m.tracer.Start(ctx, op+" "+source, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrSource.String(source), attrSourceOp.String(op)))
}

// endSource ends a source span; an error is recorded by its class only,
// since a driver's message can quote a value.
func endSource(span trace.Span, err error) {
	if err != nil {
		class := errorClass(err)
		span.SetAttributes(attrErrorType.String(class))
		span.SetStatus(codes.Error, class)
	}
	span.End()
}
