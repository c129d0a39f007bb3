package mcpserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/mcpserver/echoguard"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/tool"
)

// Run serves on the configured transport until ctx is cancelled or, for
// stdio, the client closes the connection. For http it then drains for
// DrainDelay (see Serve), stops accepting, lets in-flight requests finish
// within ShutdownGrace, and returns. It does not close sources or the store.
func (s *Server) Run(ctx context.Context) error {
	switch s.cfg.Transport {
	case config.TransportStdio:
		return s.runStdio(ctx)
	case config.TransportHTTP:
		ln, err := net.Listen("tcp", s.cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
		}
		return s.Serve(ctx, ln)
	}
	err := config.CheckTransport(s.cfg.Transport)
	if err == nil {
		err = fmt.Errorf("transport %q: not served by this build", s.cfg.Transport)
	}
	return err
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully: for DrainDelay it keeps serving while /readyz answers 503,
// so a load balancer stops routing here, then it stops accepting and lets
// in-flight requests finish within ShutdownGrace. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var draining atomic.Bool
	srv := &http.Server{
		Handler:           drainAware(s.Handler(), &draining),
		ReadHeaderTimeout: s.cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       markOverflow,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = newCapListener(ln, capConnections(s.cfg.MaxConnections))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "transport", "http", "addr", ln.Addr().String(), "path", s.cfg.Path)
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	draining.Store(true)
	if d := s.cfg.DrainDelay; d > 0 {
		s.log.Info("draining: /readyz answers 503, still serving", "drain_delay", d.String())
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case err := <-errc:
			t.Stop()
			return fmt.Errorf("serve http: %w", err)
		}
	}
	s.log.Info("shutting down: no new connections; in-flight requests finish",
		"grace", s.cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("shutdown grace ran out; closing open connections", "grace", s.cfg.ShutdownGrace.String())
		err = srv.Close()
	}
	<-errc // Serve has returned ErrServerClosed
	return err
}

// drainAware answers GET /readyz with 503 once draining is set, before
// the readiness checks run. Everything else is served as usual, with
// "Connection: close", so a client or proxy that reuses connections
// connects afresh, to a replica that is still ready. Idle connections are
// left open until the listener closes: closing one under a client that is
// just sending a request on it would fail that request.
func drainAware(next http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !draining.Load() {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		if r.Method == http.MethodGet && r.URL.Path == "/readyz" {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "status": "shutting_down"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler returns the HTTP handler: the MCP endpoint on the configured path
// (behind bearer auth when configured), GET /healthz, GET /readyz and,
// with metrics on the MCP listener, GET /metrics behind the same auth. The
// MCP endpoint's answers pass the echo guard (echoguard.Wrap): redacted,
// and never quoting the request. The MCP endpoint's request and session caps do not apply to the
// health endpoints, so a saturated server still answers them.
func (s *Server) Handler() http.Handler {
	guarded := echoguard.Wrap(s.streamable(), echoguard.Options{MaxBodyBytes: s.cfg.MaxBodyBytes, Redactor: s.deps.Redactor})
	h := s.metricsBeside(s.newAdmission().wrap(guarded))
	h = s.crossOrigin(s.requireAuth(h))
	mux := http.NewServeMux()
	mux.Handle(s.cfg.Path, s.deadlines(h))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	s.routeMetadata(mux)
	if s.metricsHere() {
		mux.Handle("GET "+metricsPath, h)
	}
	return s.countRequests(s.reserveGate(mux))
}

// crossOrigin refuses cross-origin browser requests (DNS rebinding, a page
// in the user's browser posting to a local server) before anything else
// runs, unless the origin is in server.allowed_origins. It relies on the
// browser's Sec-Fetch-Site and Origin headers (net/http's
// CrossOriginProtection); clients that are not browsers send neither and
// pass. The answer is a fixed text: the request is never echoed.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	for _, o := range s.cfg.AllowedOrigins {
		_ = p.AddTrustedOrigin(o) // config checked the form
	}
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		echoguard.WritePlain(w, http.StatusForbidden, "cross-origin request refused")
	}))
	return p.Handler(next)
}

// streamable is the go-sdk's streamable HTTP handler, unguarded.
func (s *Server) streamable() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{
			Stateless:    s.cfg.Stateless,
			JSONResponse: !s.cfg.SSE, // one JSON body per answer: no stream, no per-event flush

			MaxRequestBodyBytes: s.cfg.MaxBodyBytes,
			SessionTimeout:      s.cfg.SessionTimeout,
			Logger:              sdkLogger(s.log),
		})
}

// verifyToken compares the presented token with the current value of the
// auth token secret, so a rotated token works without a restart. It never
// echoes the token: failures are auth.ErrInvalidToken.
func (s *Server) verifyToken(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if s.tokenRevoked() {
		return nil, auth.ErrInvalidToken
	}
	want, err := s.deps.Store.Expand(s.cfg.AuthToken)
	if err != nil || want == "" {
		s.log.Error("auth token unavailable; rejecting request", "error", err)
		return nil, auth.ErrInvalidToken
	}
	// Hashing first makes the comparison constant-time in the lengths too.
	a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return nil, auth.ErrInvalidToken
	}
	return &auth.TokenInfo{UserID: "bearer"}, nil
}

// tokenRevoked reports whether the token's secret changed to a value that
// revokes the last good one. A token lets callers in, so it fails closed:
// when the new value is empty, invalid, oversized, deleted or expired,
// every token is refused until a good one arrives (credentials Hush uses
// outward keep their last good value instead). A secret store that is only
// unreachable, slow or refusing Hush says nothing about the value: that
// outage must not lock every client out.
func (s *Server) tokenRevoked() bool {
	h, _ := s.deps.Store.HealthOf(s.authSecret)
	switch {
	case h.Status == secret.StatusOK:
		return false
	case h.Status == secret.StatusDegraded && !slices.Contains(revokingClasses, h.LastError):
		return false
	}
	s.log.Debug("auth token secret not ok; refusing every token", "secret", s.authSecret,
		"status", string(h.Status), "error_class", h.LastError)
	return true
}

// revokingClasses are the error classes of a token secret that mean its
// value changed (to nothing or to something unusable), not that the
// secret store is out of reach.
var revokingClasses = []string{"invalid", "not_found", "too_large"}

// readiness is the /readyz body: names and states only.
type readiness struct {
	Ready   bool              `json:"ready"`
	Sources map[string]string `json:"sources"` // name -> "ok", "timeout" or "failed"
	Secrets map[string]string `json:"secrets"` // required secret name -> status
}

// readyz answers 200 when the replica can serve now: every source that
// decides readiness (server.ready_sources; empty: all) answers a ping, and
// every required secret has a value to serve, current (ok) or the last good
// one (degraded). A source serving on its old credentials after a failed
// swap pings ok, so it is ready; health_check and the metrics show it
// degraded. The auth token's secret, which fails closed, is ready unless
// it revokes every token (tokenRevoked). Sources outside ready_sources,
// and required secrets only they use, are reported but do not decide.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rep := tool.Probe(r.Context(), s.probed, nil, min(s.cfg.CallTimeout, maxPingTimeout))
	body := readiness{Ready: true, Sources: map[string]string{}, Secrets: map[string]string{}}
	decides := func(src string) bool {
		return len(s.cfg.ReadySources) == 0 || slices.Contains(s.cfg.ReadySources, src)
	}
	used := map[string]bool{} // secret -> used by a source that decides
	for _, src := range rep.Sources {
		body.Sources[src.Name] = src.Ping
		if !decides(src.Name) {
			for _, name := range s.probed[src.Name].State().Secrets {
				if _, ok := used[name]; !ok {
					used[name] = false
				}
			}
			continue
		}
		for _, name := range s.probed[src.Name].State().Secrets {
			used[name] = true
		}
		body.Ready = body.Ready && src.Ping == "ok"
	}
	status := s.secretStatus()
	for _, name := range s.required {
		st, ok := status[name]
		if !ok {
			st = "unknown"
		}
		body.Secrets[name] = st
		switch d, seen := used[name]; {
		case name == s.authSecret:
			body.Ready = body.Ready && !s.tokenRevoked() // a revoked token refuses every caller
		case seen && !d: // used only by sources that do not decide
		default:
			body.Ready = body.Ready && (st == string(secret.StatusOK) || st == string(secret.StatusDegraded))
		}
	}
	code := http.StatusOK
	if !body.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, body)
}

func (s *Server) secretStatus() map[string]string {
	m := map[string]string{}
	if s.deps.Store == nil {
		return m
	}
	for _, h := range s.deps.Store.Health() {
		m[h.Name] = string(h.Status)
	}
	return m
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
