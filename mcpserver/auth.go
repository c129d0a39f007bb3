package mcpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/mcpserver/jwtauth"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/tool"
)

// requireToken puts next behind bearer auth. A 401 carries an RFC 6750
// challenge; its body stays the SDK's fixed text ("no bearer token",
// "invalid token"), which never quotes the request.
func (s *Server) requireToken(next http.Handler) http.Handler {
	authed := auth.RequireBearerToken(s.verifyToken, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authed.ServeHTTP(&challengeWriter{ResponseWriter: w, req: r}, r)
	})
}

// challengeFor is the WWW-Authenticate value for a request that fails
// auth. Per RFC 6750 §3.1 a request without bearer credentials gets no
// error code.
func challengeFor(r *http.Request) string {
	const base = `Bearer realm="hush"`
	scheme, cred, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	switch {
	case !strings.EqualFold(scheme, "bearer"):
		return base
	case len(strings.Fields(cred)) != 1:
		return base + `, error="invalid_request"`
	}
	return base + `, error="invalid_token"`
}

// challengeWriter adds the challenge to a 401 answer, and under JWT auth
// replaces the SDK's on a 401 or 403 with one that has error codes.
type challengeWriter struct {
	http.ResponseWriter
	req *http.Request
	jwt *jwtAuth // nil: static token
}

func (c *challengeWriter) WriteHeader(code int) {
	switch {
	case c.jwt != nil && (code == http.StatusUnauthorized || code == http.StatusForbidden):
		c.Header().Set("WWW-Authenticate", c.jwt.challenge(c.req, code))
	case code == http.StatusUnauthorized && c.Header().Get("WWW-Authenticate") == "":
		c.Header().Set("WWW-Authenticate", challengeFor(c.req))
	}
	c.ResponseWriter.WriteHeader(code)
}

// Flush flushes the underlying writer, so event streams keep streaming.
func (c *challengeWriter) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }

// Unwrap gives http.ResponseController the underlying writer.
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// requireAuth puts next behind the configured bearer auth: a JWT
// (server.jwt), a static token (server.auth_token), or none.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	switch {
	case s.jwt != nil:
		return s.requireJWT(next)
	case s.cfg.AuthToken != "":
		return s.requireToken(next)
	}
	return next
}

// jwtAuth is the state of server.jwt.
type jwtAuth struct {
	verifier      *jwtauth.Verifier
	required      []string            // scopes every request needs
	toolScopes    map[string][]string // tool name -> scopes it needs
	skew          time.Duration
	metadata      oauthex.ProtectedResourceMetadata
	metadataURL   string   // announced in WWW-Authenticate
	metadataPaths []string // where the metadata document is served
	now           func() time.Time

	mu       sync.Mutex
	failures map[string]int64 // by reason class
}

// initJWT builds the verifier and the metadata document from server.jwt.
// stdio is never authenticated, so there it does nothing. A public-key
// secret that holds no usable key stops the server here, before it
// listens.
func (s *Server) initJWT(tools []tool.Spec) error {
	j := s.cfg.JWT
	if j == nil || s.cfg.Transport != config.TransportHTTP {
		if slices.ContainsFunc(tools, func(t tool.Spec) bool { return len(t.Scopes) > 0 }) {
			s.log.Warn("tools declare scopes, but they apply only to JWT callers over http (server.jwt); every client sees every tool")
		}
		return nil
	}
	a := &jwtAuth{required: j.Scopes, toolScopes: map[string][]string{}, skew: cmp.Or(j.ClockSkew, config.DefaultClockSkew),
		now: time.Now, failures: map[string]int64{}}
	keys, err := s.jwtKeys(j, a)
	if err != nil {
		return err
	}
	resource := s.cfg.ResourceURL()
	a.verifier, err = jwtauth.New(jwtauth.Options{Keys: keys, Issuer: j.Issuer, ClockSkew: a.skew,
		Audience: orList(j.Audience, resource), Now: func() time.Time { return a.now() }})
	if err != nil {
		return fmt.Errorf("server.jwt: %w", err)
	}
	scopes := slices.Clone(j.Scopes)
	for _, t := range tools {
		if len(t.Scopes) > 0 {
			a.toolScopes[t.Name] = t.Scopes
			scopes = append(scopes, t.Scopes...)
		}
	}
	slices.Sort(scopes)
	a.metadata = oauthex.ProtectedResourceMetadata{Resource: resource, ScopesSupported: slices.Compact(scopes),
		AuthorizationServers: orList(j.AuthorizationServers, j.Issuer), BearerMethodsSupported: []string{"header"}}
	a.metadataURL, a.metadataPaths = metadataLocation(resource, s.cfg.Path)
	s.jwt = a
	return nil
}

// orList is list, or def alone when list is empty.
func orList(list []string, def string) []string {
	if len(list) == 0 {
		return []string{def}
	}
	return list
}

// jwtKeys is the key source server.jwt names: the PEM secret, re-read on
// every verification so a rotation applies at once, or the JWKS URL.
func (s *Server) jwtKeys(j *config.JWT, a *jwtAuth) (jwtauth.KeySource, error) {
	if j.JWKSURL != "" {
		onError := func(err error) { s.log.Warn("jwks unavailable; keeping the keys already fetched", "error", err) }
		return jwtauth.NewJWKS(j.JWKSURL, jwtauth.JWKSOptions{Now: func() time.Time { return a.now() }, OnError: onError}), nil
	}
	names := secret.Refs(j.PublicKey)
	if len(names) != 1 || s.deps.Store == nil {
		return nil, errors.New("mcpserver: server.jwt.public_key needs a secret reference and a secret store")
	}
	name := names[0]
	get := func() (secret.Value, bool) { return s.deps.Store.Get(name) }
	if err := checkPEM(get); err != nil {
		return nil, fmt.Errorf("server.jwt.public_key: secret %q: %w", name, err)
	}
	onError := func(err error) {
		s.log.Error("jwt public key secret holds no usable key; only the previous key's overlap remains", "secret", name, "error", err)
	}
	overlap := cmp.Or(j.KeyOverlap, config.DefaultKeyOverlap)
	return jwtauth.NewPEMKeys(get, overlap, func() time.Time { return a.now() }, onError), nil
}

// checkPEM reports a public-key secret that is absent or holds no usable
// key. The error names a PEM block's position and type, never its bytes.
func checkPEM(get func() (secret.Value, bool)) error {
	v, ok := get()
	if !ok {
		return errors.New("no value")
	}
	_, err := jwtauth.ParsePEM(v.Reveal())
	return err
}

// metadataLocation returns the URL of the RFC 9728 metadata for resource,
// and the paths Hush serves it on: the well-known path with the resource's
// path appended (RFC 9728 §3.1), the same with the configured MCP path, and
// the bare well-known path that clients fall back to.
func metadataLocation(resource, mcpPath string) (string, []string) {
	const wellKnown = "/.well-known/oauth-protected-resource"
	u, err := url.Parse(resource)
	if err != nil {
		return wellKnown, []string{wellKnown}
	}
	rp := strings.TrimSuffix(u.Path, "/")
	paths := []string{wellKnown + rp, wellKnown + strings.TrimSuffix(mcpPath, "/"), wellKnown}
	slices.Sort(paths)
	return u.Scheme + "://" + u.Host + wellKnown + rp, slices.Compact(paths)
}

// requireJWT puts next behind JWT bearer auth. Every 401 and 403 carries
// the resource metadata URL; the body stays the SDK's fixed text.
func (s *Server) requireJWT(next http.Handler) http.Handler {
	a := s.jwt
	authed := auth.RequireBearerToken(s.verifyJWT, &auth.RequireBearerTokenOptions{Scopes: a.required,
		ResourceMetadataURL: a.metadataURL, ClockSkew: a.skew})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authed.ServeHTTP(&challengeWriter{ResponseWriter: w, req: r, jwt: a}, r)
	})
}

// verifyJWT verifies a token. A refusal is counted and logged by reason
// class only, and answered auth.ErrInvalidToken: the SDK would echo any
// other error's text.
func (s *Server) verifyJWT(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	c, err := s.jwt.verifier.Verify(ctx, token)
	if err != nil {
		s.jwt.refused(jwtauth.Reason(err))
		s.log.Info("bearer token refused", "reason", jwtauth.Reason(err))
		return nil, auth.ErrInvalidToken
	}
	return &auth.TokenInfo{UserID: c.Subject, Scopes: c.Scopes, Expiration: c.Expiry}, nil
}

func (a *jwtAuth) refused(reason string) {
	a.mu.Lock()
	a.failures[reason]++
	a.mu.Unlock()
}

// AuthFailures returns how many requests JWT auth refused, by reason
// class ("missing", "insufficient_scope", and jwtauth's reasons). Nil
// without server.jwt.
func (s *Server) AuthFailures() map[string]int64 {
	if s.jwt == nil {
		return nil
	}
	s.jwt.mu.Lock()
	defer s.jwt.mu.Unlock()
	return maps.Clone(s.jwt.failures)
}

// challenge is the WWW-Authenticate value of a 401 or 403 under JWT auth
// (RFC 6750 §3, RFC 9728 §5.1).
func (a *jwtAuth) challenge(r *http.Request, code int) string {
	meta := fmt.Sprintf(", resource_metadata=%q", a.metadataURL)
	scope := ""
	if len(a.required) > 0 {
		scope = fmt.Sprintf(", scope=%q", strings.Join(a.required, " "))
	}
	if code == http.StatusForbidden {
		a.refused("insufficient_scope")
		return `Bearer realm="hush", error="insufficient_scope"` + scope + meta
	}
	c := challengeFor(r)
	switch {
	case strings.HasSuffix(c, `error="invalid_request"`):
		a.refused("malformed") // the SDK never called the verifier
	case !strings.Contains(c, "error="):
		a.refused("missing")
	}
	return c + scope + meta
}

// missing returns the scopes tool needs that have is without.
func (a *jwtAuth) missing(tool string, have []string) []string {
	var out []string
	for _, sc := range a.toolScopes[tool] {
		if !slices.Contains(have, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// routeMetadata serves the protected-resource metadata document under
// server.jwt. It is public (RFC 9728) and outside the MCP endpoint's caps.
func (s *Server) routeMetadata(mux *http.ServeMux) {
	if s.jwt == nil {
		return
	}
	h := auth.ProtectedResourceMetadataHandler(&s.jwt.metadata)
	for _, p := range s.jwt.metadataPaths {
		mux.Handle(p, h)
	}
}

// authorize applies per-tool scopes under JWT auth: tools/list shows a
// caller only the tools its token's scopes allow, and tools/call of
// another tool is a tool error naming the missing scopes (see
// docs/security.md for why not an HTTP 403). It also puts the caller's
// subject and scopes in ctx for the call log. Requests without a token
// (stdio) pass unchanged.
func (s *Server) authorize(next mcp.MethodHandler) mcp.MethodHandler {
	if s.jwt == nil {
		return next
	}
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		var ti *auth.TokenInfo
		if ex := req.GetExtra(); ex != nil {
			ti = ex.TokenInfo
		}
		if ti == nil {
			return next(ctx, method, req)
		}
		ctx = context.WithValue(ctx, callerKey{}, &caller{subject: clip(ti.UserID, maxSubject), scopes: ti.Scopes})
		switch method {
		case "tools/list":
			res, err := next(ctx, method, req)
			if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil {
				lr.Tools = slices.DeleteFunc(lr.Tools, func(t *mcp.Tool) bool { return len(s.jwt.missing(t.Name, ti.Scopes)) > 0 })
			}
			return res, err
		case methodCallTool:
			if p := callParams(method, req); p != nil {
				if miss := s.jwt.missing(p.Name, ti.Scopes); len(miss) > 0 {
					return s.refuseCall(ctx, p.Name, miss), nil
				}
			}
		}
		return next(ctx, method, req)
	}
}

// refuseCall answers a call the caller's scopes do not allow. The name is
// a configured tool's (only those have scopes), so it is safe to repeat.
func (s *Server) refuseCall(ctx context.Context, name string, missing []string) *mcp.CallToolResult {
	s.log.InfoContext(ctx, "tool call refused", "tool", name, "outcome", "insufficient_scope", "missing_scopes", strings.Join(missing, " "))
	text := fmt.Sprintf("tool %q needs the scope(s) %s, which the caller's token does not grant; ask for a token with them",
		name, strings.Join(missing, " "))
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

const maxSubject = 128

// caller is who a request's token names, for the logs.
type caller struct {
	subject string
	scopes  []string
}

type callerKey struct{}

// callerHandler adds the caller's subject and scopes to every record
// logged with a request's context, the call log included; never the token.
type callerHandler struct{ slog.Handler }

func withCaller(l *slog.Logger) *slog.Logger { return slog.New(callerHandler{l.Handler()}) }

func (h callerHandler) Handle(ctx context.Context, r slog.Record) error {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		r = r.Clone()
		r.AddAttrs(slog.String("subject", c.subject), slog.String("scopes", strings.Join(c.scopes, " ")))
	}
	return h.Handler.Handle(ctx, r)
}

func (h callerHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return callerHandler{h.Handler.WithAttrs(a)}
}

func (h callerHandler) WithGroup(name string) slog.Handler {
	return callerHandler{h.Handler.WithGroup(name)}
}
