// Package metrics exports Hush's Prometheus metrics: tool calls and their
// latency, the state of every secret and source, credential rotations and
// swaps, and the HTTP transport's requests, auth failures and sessions.
// Opt-in, it also traces tool calls and their source calls with
// OpenTelemetry (Options.Tracer, TracerFromEnv).
//
// Every metric lives in the Metrics' own prometheus.Registry; nothing is
// registered globally. Label values are names (of tools, secrets and
// sources, as configured) and fixed classes only: never a secret value, an
// argument, an error message or anything else a client sent. A tool name a
// client sends that is not configured is counted as UnknownTool.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
)

// namespace prefixes every metric of Hush's own.
const namespace = "hush"

// Options say what the metrics describe.
type Options struct {
	Store   *secret.Store            // nil: no secret metrics
	Sources map[string]source.Source // by config name; nil: none
	Version string                   // reported by hush_build_info; empty: "dev"
	// Tracer, when set, makes a span per tool call and a child span per
	// source call (see TraceSources). nil: no spans.
	Tracer trace.TracerProvider
}

// Metrics holds the registry and the instruments fed by the server. Its
// methods are safe for concurrent use. Close stops following the store.
type Metrics struct {
	reg    *prometheus.Registry
	tracer trace.Tracer // nil: no spans

	calls     *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	rotations *prometheus.CounterVec
	requests  *prometheus.CounterVec
	authFails *prometheus.CounterVec

	pingMu sync.Mutex
	pings  map[string]ping // by source name: the last health_check or /readyz ping

	sessMu   sync.Mutex
	sessions func() int // nil: no sessions gauge value (0)

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// ping is one source's last ping.
type ping struct {
	seconds float64
	ok      bool
}

// New builds the metrics for opts and starts counting the store's change
// events on a goroutine that Close stops.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), pings: map[string]ping{}, done: make(chan struct{})}
	if opts.Tracer != nil {
		m.tracer = opts.Tracer.Tracer(tracerName)
	}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "tool_calls_total",
		Help: "Tool calls by tool and outcome (ok, tool_error, invalid_arguments, timeout, panic, refused)."},
		[]string{"tool", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "tool_call_duration_seconds",
		Help:    "Time from a tool call's arrival at its handler to its answer, by tool.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"tool"})
	m.rotations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "secret_rotations_total",
		Help: "New values of a secret taken into service since start."}, []string{"secret"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
		Help: "HTTP requests by handler (mcp, healthz, readyz, metrics, other) and status code."}, []string{"handler", "code"})
	m.authFails = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_auth_failures_total",
		Help: "Requests refused by auth, by reason class."}, []string{"reason"})
	sessions := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "mcp_sessions_active",
		Help: "Open MCP sessions (always 0 in stateless mode)."}, m.sessionCount)
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help: "Always 1; the version label is the running build.", ConstLabels: prometheus.Labels{"version": orDev(opts.Version)}})
	build.Set(1)
	m.reg.MustRegister(m.calls, m.latency, m.rotations, m.requests, m.authFails, sessions, build,
		&stateCollector{m: m, store: opts.Store, sources: opts.Sources},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.follow(opts.Store)
	return m
}

func orDev(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}

// follow counts the store's change events: each is a new value taken into
// service. A full subscription channel drops an event (the store never
// blocks), so a burst of more than 16 changes at once may be undercounted.
func (m *Metrics) follow(store *secret.Store) {
	if store == nil {
		close(m.done)
		m.cancel = func() {}
		return
	}
	for _, h := range store.Health() {
		m.rotations.WithLabelValues(h.Name)
	}
	events, unsub := store.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		defer unsub()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				m.rotations.WithLabelValues(ev.Name).Inc()
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Close stops following the store and waits for it. Idempotent.
func (m *Metrics) Close() {
	m.closeOnce.Do(func() {
		m.cancel()
		<-m.done
	})
}

// Registry is the registry holding every metric, for tests and for
// embedding programs that add their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A collector error is not fatal: the rest is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// SetSessions gives the function that counts open MCP sessions; it is
// called at scrape time.
func (m *Metrics) SetSessions(count func() int) {
	m.sessMu.Lock()
	defer m.sessMu.Unlock()
	m.sessions = count
}

func (m *Metrics) sessionCount() float64 {
	m.sessMu.Lock()
	count := m.sessions
	m.sessMu.Unlock()
	if count == nil {
		return 0
	}
	return float64(count())
}

// Serve serves GET /metrics on ln, with no auth, until ctx ends, then
// closes the server. It closes ln.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	err := srv.Close()
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
