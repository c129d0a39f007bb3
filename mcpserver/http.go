package mcpserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hushmcp/hush/redact"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/tool"
)

// Run serves on the configured transport until ctx is cancelled or, for
// stdio, the client closes the connection. For http it then stops accepting,
// lets in-flight requests finish within ShutdownGrace, and returns. It does
// not close sources or the store.
func (s *Server) Run(ctx context.Context) error {
	switch s.cfg.Transport {
	case "stdio":
		return s.runStdio(ctx)
	case "http":
		ln, err := net.Listen("tcp", s.cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
		}
		return s.Serve(ctx, ln)
	}
	return fmt.Errorf("unknown transport %q (valid: stdio, http)", s.cfg.Transport)
}

// runStdio speaks the protocol on stdin/stdout; logs never go to stdout.
func (s *Server) runStdio(ctx context.Context) error {
	in, out := s.deps.Stdin, s.deps.Stdout
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	// Every protocol line passes the redactor too: SDK errors raised before
	// the middleware (bad params, unknown methods) quote the request. The
	// writer emits whole lines, so messages are never held back.
	w := redact.NewWriter(out, s.deps.Redactor)
	defer w.Close()
	t := &mcp.IOTransport{Reader: io.NopCloser(in), Writer: w}
	s.log.Info("serving", "transport", "stdio")
	err := s.mcp.Run(ctx, t)
	if ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, mcp.ErrConnectionClosed) {
		return nil
	}
	return err
}

// Serve serves HTTP on ln until ctx is cancelled, then shuts down
// gracefully within ShutdownGrace. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "transport", "http", "addr", ln.Addr().String(), "path", s.cfg.Path)
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
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

// Handler returns the HTTP handler: the MCP endpoint on the configured path
// (behind bearer auth when configured), GET /healthz and GET /readyz. The
// MCP endpoint's answers pass guardHTTP: redacted, and never quoting the
// request.
func (s *Server) Handler() http.Handler {
	h := s.guardHTTP(s.streamable())
	if s.cfg.AuthToken != "" {
		h = s.requireToken(h)
	}
	mux := http.NewServeMux()
	mux.Handle(s.cfg.Path, h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	return mux
}

// streamable is the go-sdk's streamable HTTP handler, unguarded.
func (s *Server) streamable() http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{
			Stateless:           s.cfg.Stateless,
			MaxRequestBodyBytes: s.cfg.MaxBodyBytes,
			Logger:              s.log,
		})
}

// verifyToken compares the presented token with the current value of the
// auth token secret, so a rotated token works without a restart. It never
// echoes the token: failures are auth.ErrInvalidToken.
func (s *Server) verifyToken(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
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

// readiness is the /readyz body: names and states only.
type readiness struct {
	Ready   bool              `json:"ready"`
	Sources map[string]string `json:"sources"` // name -> "ok", "timeout" or "failed"
	Secrets map[string]string `json:"secrets"` // required secret name -> status
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rep := tool.Probe(r.Context(), s.deps.Sources, nil, min(s.cfg.CallTimeout, maxPingTimeout))
	body := readiness{Ready: true, Sources: map[string]string{}, Secrets: map[string]string{}}
	for _, src := range rep.Sources {
		body.Sources[src.Name] = src.Ping
		body.Ready = body.Ready && src.Ping == "ok"
	}
	status := s.secretStatus()
	for _, name := range s.required {
		st, ok := status[name]
		if !ok {
			st = "unknown"
		}
		body.Secrets[name] = st
		body.Ready = body.Ready && st == string(secret.StatusOK)
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
