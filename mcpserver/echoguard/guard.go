// Package echoguard keeps the MCP transport from echoing the request, and
// prepares every protocol message the server sends.
//
// The go-sdk answers some requests before any receiving middleware runs:
// unknown methods, params that do not decode, malformed bodies, bad
// headers. Those answers quote what the client sent, sometimes cut short,
// and a secret cut short is no longer an exact match for the redactor.
// Over HTTP, Wrap puts the SDK's handler behind a guard that replaces
// plain-text error bodies with fixed texts, replaces a JSON-RPC error
// message that shares an 8-byte run with the request with a fixed message
// for its code, and redacts every answer in units that never split a
// message or an event.
//
// What the stdio transport shares with HTTP lives here too: Outgoing
// prepares one message the SDK sent (error codes fixed, everything but the
// ids redacted), and CheckID refuses the numeric ids the SDK would not send
// back as sent.
package echoguard

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hushmcp/hush/redact"
)

// Options configure Wrap.
type Options struct {
	// MaxBodyBytes bounds a request body; a larger one is answered 413
	// without reaching the handler. Required: a body of any size is
	// refused when it is not positive.
	MaxBodyBytes int64
	// Redactor scrubs every byte of every answer; nil: its structural
	// patterns only (redact.Redactor's nil behaviour).
	Redactor *redact.Redactor
}

// Wrap returns next, an MCP streamable HTTP handler, behind the echo
// guard. The guard reads the request body once, bounded by
// opts.MaxBodyBytes, keeps it for the echo check and hands next an
// equivalent body; it answers a message whose numeric id next would not
// send back as sent itself (see CheckID); and nothing next writes reaches
// the client unchecked (see guardWriter).
//
// Read deadlines: a body that cannot be read in time is answered 408 and
// the connection closed; once the body is in, the guard lifts the
// connection's read deadline, so that a deadline set for reading the body
// does not cancel a long call.
func Wrap(next http.Handler, opts Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, status := readBody(w, r, opts.MaxBodyBytes)
		if status != 0 {
			// Close rather than wait for the rest of a body we do not want.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			w.Header().Set("Connection", "close")
			WritePlain(w, status, fixedPlainText(status, nil))
			return
		}
		// The body is in: lift the read deadline.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		if rej := inexactID(body); rej != nil {
			writeRejection(w, rej)
			return
		}
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		g := newGuardWriter(w, &echoSource{body: body, req: r, red: opts.Redactor})
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

// WritePlain answers with status and text, a fixed text of the server's
// own, as text/plain. It is how every plain-text answer of the MCP endpoint
// is written, the guard's and those sent before it runs (a refusal at a
// limit, say): text must quote nothing of the request.
func WritePlain(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}

// writeRejection answers an HTTP request with rej as a JSON-RPC error.
func writeRejection(w http.ResponseWriter, rej *Rejection) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(rej.Reply())
}
