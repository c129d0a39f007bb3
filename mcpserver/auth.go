package mcpserver

import (
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
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

// challengeWriter adds the challenge to a 401 answer.
type challengeWriter struct {
	http.ResponseWriter
	req *http.Request
}

func (c *challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized && c.Header().Get("WWW-Authenticate") == "" {
		c.Header().Set("WWW-Authenticate", challengeFor(c.req))
	}
	c.ResponseWriter.WriteHeader(code)
}

// Flush flushes the underlying writer, so event streams keep streaming.
func (c *challengeWriter) Flush() { _ = http.NewResponseController(c.ResponseWriter).Flush() }

// Unwrap gives http.ResponseController the underlying writer.
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
