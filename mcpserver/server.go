// Package mcpserver assembles the MCP server: one tool per configured tool
// plus health_check, a middleware chain that logs, recovers, sanitises,
// redacts and bounds every call, and the stdio or streamable HTTP transport
// with optional bearer auth and health endpoints.
package mcpserver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/metrics"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// maxPingTimeout bounds the ping of each source by health_check and
// /readyz.
const maxPingTimeout = 5 * time.Second

// Deps are the opened resources the server uses. The server does not own
// them: closing the store and the sources is the caller's job.
type Deps struct {
	Store    *secret.Store            // nil: no secret states, and no auth token can be read
	Sources  map[string]source.Source // by config name
	Redactor *redact.Redactor         // required: scrubs every result, error and log line
	Logger   *slog.Logger             // nil: discard; wrapped so it redacts
	// LogRedacted says Logger already writes through a redacting writer
	// (redact.NewWriter), as hush serve's does: the server then does not
	// redact each record a second time. Fields it clips are redacted before
	// clipping either way.
	LogRedacted bool
	Stdin       io.Reader // stdio transport input; nil: os.Stdin
	Stdout      io.Writer // stdio transport output; nil: os.Stdout
	Version     string    // implementation version reported to clients; empty: "dev"
	// Metrics, when set, counts calls and HTTP requests, times the pings
	// of health_check and /readyz, traces calls when it has a tracer, and
	// is served at /metrics beside the MCP endpoint unless
	// server.metrics_listen says otherwise. The server does not close it.
	Metrics *metrics.Metrics
}

// Server is a configured MCP server. Its methods are safe for concurrent use.
type Server struct {
	cfg        config.Server
	deps       Deps
	log        *slog.Logger
	mcp        *mcp.Server
	timeouts   map[string]time.Duration // per tool name
	required   []string                 // names of secrets that must be ok for /readyz
	authSecret string                   // the secret server.auth_token names; empty: no auth
	jwt        *jwtAuth                 // server.jwt; nil: none
	probed     map[string]source.Source // what health_check and /readyz ping: the sources, timed when metrics are on
	toolSrcs   map[string]source.Source // what tools are built over: the sources, traced when tracing is on
}

// New builds the server for cfg: one tool per configured tool, built by its
// kind from cfg.Kinds.Tools over its source, and health_check, behind the
// middleware chain. Server settings left at zero get config's defaults
// (config.Server.WithDefaults). It opens nothing; Run starts serving.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	if cfg == nil || deps.Redactor == nil {
		return nil, errors.New("mcpserver: config and redactor are required")
	}
	s := &Server{cfg: cfg.Server.WithDefaults(), deps: deps, timeouts: map[string]time.Duration{}}
	s.log = withCaller(redactingLogger(deps.Logger, deps.Redactor, deps.LogRedacted))
	for _, d := range cfg.Secrets {
		if !d.Rules.Optional {
			s.required = append(s.required, d.Name)
		}
	}
	if names := secret.Refs(s.cfg.AuthToken); len(names) > 0 {
		s.authSecret = names[0]
	}
	if s.cfg.AuthToken != "" && deps.Store == nil {
		return nil, errors.New("mcpserver: server.auth_token needs a secret store")
	}
	if err := s.initJWT(cfg.Tools); err != nil {
		return nil, err
	}
	impl := &mcp.Implementation{Name: s.cfg.Name, Version: deps.Version}
	if impl.Version == "" {
		impl.Version = "dev"
	}
	s.mcp = mcp.NewServer(impl, &mcp.ServerOptions{Logger: sdkLogger(s.log), Capabilities: &mcp.ServerCapabilities{}})
	s.probed, s.toolSrcs = deps.Sources, deps.Sources
	if deps.Metrics != nil {
		s.probed, s.toolSrcs = deps.Metrics.TimePings(deps.Sources), deps.Metrics.TraceSources(deps.Sources)
	}
	if err := s.addTools(cfg.Kinds.Tools, cfg.Tools); err != nil {
		return nil, err
	}
	chain := []mcp.Middleware{s.authorize, s.callLog, s.recoverPanics, s.sanitise, checkLogLevel, s.redactCalls, s.bound}
	s.mcp.AddReceivingMiddleware(s.withMetrics(chain)...)
	return s, nil
}

// withMetrics puts the call metrics around chain: one half outermost, so
// a call refused by auth is counted, the other innermost, where it sees
// each handler's own result, a panic and the call's deadline. It also
// gives the metrics the session count. One AddReceivingMiddleware call
// takes them all: a later call would wrap the whole chain.
func (s *Server) withMetrics(chain []mcp.Middleware) []mcp.Middleware {
	m := s.deps.Metrics
	if m == nil {
		return chain
	}
	m.SetSessions(func() int {
		n := 0
		for range s.mcp.Sessions() {
			n++
		}
		return n
	})
	outer, inner := m.Middleware(slices.Collect(maps.Keys(s.timeouts)))
	return append(append([]mcp.Middleware{outer}, chain...), inner)
}

// metricsHere reports whether /metrics is served beside the MCP endpoint:
// with metrics on and server.metrics_listen left at its default.
func (s *Server) metricsHere() bool {
	return s.deps.Metrics != nil && s.cfg.MetricsListen == ""
}

// metricsBeside serves GET /metrics when it is served here, and passes
// every other request to next. It stands inside the MCP endpoint's auth,
// so a scrape on the MCP listener needs what a client needs: that
// listener may face clients, and the metrics name every tool, secret and
// source. A scraper without the token uses server.metrics_listen.
func (s *Server) metricsBeside(next http.Handler) http.Handler {
	if !s.metricsHere() {
		return next
	}
	metrics := s.deps.Metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == metricsPath && r.Method == http.MethodGet {
			metrics.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

const metricsPath = "/metrics"

// countRequests counts every HTTP request by handler and status when
// metrics are on.
func (s *Server) countRequests(h http.Handler) http.Handler {
	if s.deps.Metrics == nil {
		return h
	}
	return s.deps.Metrics.WrapHTTP(h, func(r *http.Request) string {
		switch r.URL.Path {
		case s.cfg.Path:
			return "mcp"
		case "/healthz", "/readyz":
			return r.URL.Path[1:]
		case metricsPath:
			return "metrics"
		}
		return "other"
	})
}

func redactingLogger(l *slog.Logger, r *redact.Redactor, already bool) *slog.Logger {
	switch {
	case l == nil:
		return slog.New(slog.DiscardHandler)
	case already:
		return l
	}
	return slog.New(redact.NewHandler(l.Handler(), r))
}

func (s *Server) addTools(kinds *tool.Registry, tools []tool.Spec) error {
	opts := tool.Options{Timeout: s.cfg.CallTimeout}
	var errs []error
	for _, t := range tools {
		if err := s.addTool(kinds, t, opts); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	ping := min(s.cfg.CallTimeout, maxPingTimeout)
	t, h := tool.HealthCheck(s.probed, s.deps.Store, ping)
	s.mcp.AddTool(t, h)
	s.timeouts[t.Name] = s.cfg.CallTimeout
	return nil
}

func (s *Server) addTool(kinds *tool.Registry, t tool.Spec, opts tool.Options) error {
	if t.Name == tool.HealthCheckName {
		return fmt.Errorf("tool %q: the name is reserved for the built-in tool", t.Name)
	}
	if kinds == nil {
		return fmt.Errorf("tool %q: no tool kinds registered", t.Name)
	}
	mt, h, err := kinds.Build(t, s.toolSrcs[t.Source], opts)
	if err != nil {
		return err
	}
	s.mcp.AddTool(mt, h)
	s.timeouts[t.Name] = tool.Timeout(t, opts)
	return nil
}

// MCP returns the underlying SDK server, for example to connect it to an
// in-memory transport in tests.
func (s *Server) MCP() *mcp.Server { return s.mcp }
