package mcpserver

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/metrics"
)

// BenchmarkCallSQLHTTPMetrics is BenchmarkCallSQLHTTP with metrics on,
// and with traces exported to memory: the cost of counting, and of a span
// per call and per query.
func BenchmarkCallSQLHTTPMetrics(b *testing.B) {
	for _, traced := range []bool{false, true} {
		name := "metrics"
		if traced {
			name = "metrics+traces"
		}
		b.Run(name, func(b *testing.B) {
			var tp *sdktrace.TracerProvider
			if traced {
				tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			}
			var m *metrics.Metrics
			h := newHarness(b, func(_ *config.Config, d *Deps) {
				opts := metrics.Options{Store: d.Store, Sources: d.Sources}
				if tp != nil {
					opts.Tracer = tp
				}
				m = metrics.New(opts)
				d.Metrics = m
			})
			b.Cleanup(m.Close)
			cs, err := h.overHTTP(h.httpServer(), canaryToken)
			if err != nil {
				b.Fatal(err)
			}
			benchCall(b, cs)
		})
	}
}
