package mcpserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// guardHTTP wraps the streamable HTTP handler so that what it writes is
// checked against the request (see guardWriter). It reads the request body
// once, bounded by the configured limit, keeps it for the echo check and
// hands the handler an equivalent body.
func (s *Server) guardHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, status := readBody(w, r, s.cfg.MaxBodyBytes)
		if status != 0 {
			// Close rather than wait for the rest of a body we do not want.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			w.Header().Set("Connection", "close")
			writeFixedPlain(w, status, fixedPlainText(status, nil))
			return
		}
		// The body is in: lift the read deadline (see deadlines).
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		if rej := inexactID(body); rej != nil {
			writeRejection(w, rej)
			return
		}
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		g := newGuardWriter(w, &echoSource{body: body, req: r, red: s.deps.Redactor})
		defer g.finish()
		next.ServeHTTP(g, r)
	})
}

// readBody reads the whole request body, at most limit bytes. A non-zero
// status is the answer when it cannot: 413 past the limit, 400 otherwise.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, int) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	size := 512
	if n := r.ContentLength; n >= 0 && n < limit {
		size = int(n) + 1 // room for the read that meets EOF
	}
	// The innermost writer lets MaxBytesReader close the connection on
	// overflow.
	body, err := readAll(http.MaxBytesReader(innermost(w), r.Body, limit), size)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, http.StatusRequestTimeout
	case err != nil:
		return nil, http.StatusBadRequest
	}
	return body, 0
}

// innermost follows Unwrap to the writer net/http made.
func innermost(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// readAll is io.ReadAll starting from a buffer of size bytes.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// writeFixedPlain answers with status and one of our fixed texts.
func writeFixedPlain(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

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
func (c *challengeWriter) Flush() { flush(c.ResponseWriter) }

// Unwrap gives http.ResponseController the underlying writer.
func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// writeRejection answers an HTTP request with rej as a JSON-RPC error.
func writeRejection(w http.ResponseWriter, rej *rejection) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(rej.reply())
}
