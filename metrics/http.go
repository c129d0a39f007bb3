package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// authReasons are the reason label's values besides "missing" (a 401
// whose challenge carries no error code: the request had no bearer
// credentials) and "other": the RFC 6750 error codes of the challenge.
var authReasons = []string{"invalid_request", "invalid_token", "insufficient_scope"}

// WrapHTTP counts every request next answers, by handler and status code,
// and every auth refusal (401 or 403) by reason class, read from the
// WWW-Authenticate challenge the answer carries. route names the handler
// of a request; it must return a fixed name, never a path a client sent.
// The wrapped writer keeps Flush and Unwrap, so event streams and
// http.ResponseController work through it.
func (m *Metrics) WrapHTTP(next http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		code := sw.code
		if code == 0 {
			code = http.StatusOK // nothing written: net/http answers 200
		}
		m.requests.WithLabelValues(route(r), codeLabel(code)).Inc()
		if code == http.StatusUnauthorized || code == http.StatusForbidden {
			m.authFails.WithLabelValues(authReason(sw.challenge)).Inc()
		}
	})
}

func codeLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}

// authReason is the error code of a bearer challenge, if it is one of
// authReasons; "missing" when the challenge has none.
func authReason(challenge string) string {
	_, params, found := strings.Cut(challenge, "error=\"")
	if !found {
		return "missing"
	}
	code, _, _ := strings.Cut(params, "\"")
	if slices.Contains(authReasons, code) {
		return code
	}
	return "other"
}

// statusWriter records the status code and the auth challenge of an
// answer.
type statusWriter struct {
	http.ResponseWriter
	code      int
	challenge string
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 && code >= 200 { // 1xx answers are interim
		s.code = code
		s.challenge = s.Header().Get("WWW-Authenticate")
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush flushes the underlying writer, so event streams keep streaming.
func (s *statusWriter) Flush() { _ = http.NewResponseController(s.ResponseWriter).Flush() }

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
