package echoguard

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/hushmcp/hush/redact"
)

// writeMode is how guardWriter treats a response, chosen when its status
// is known.
type writeMode uint8

const (
	modeUndecided writeMode = iota
	modePlain               // an error status with a plain-text body: replaced whole
	modeJSON                // a JSON-RPC message or batch: held to the end, then sanitised
	modeSSE                 // an event stream: sanitised one complete event at a time
	modeOther               // anything else: held to the end, then redacted
)

// maxPlainKept bounds how much of a plain-text error body is kept to pick
// the fixed text that replaces it.
const maxPlainKept = 512

var (
	eventEnd = []byte("\n\n")
	dataLine = []byte("data:")

	errFinished = errors.New("write after the handler returned")
)

// guardWriter sits between the go-sdk's streamable HTTP handler and the
// client. Nothing the SDK writes reaches the client unchecked: plain-text
// error bodies are replaced by fixed texts, JSON-RPC errors that echo the
// request get fixed messages, and every byte passes the redactor in units
// that never split a message or an event.
//
// Its methods are safe for concurrent use. finish must be called once the
// wrapped handler has returned; later writes fail.
type guardWriter struct {
	w   http.ResponseWriter
	src *echoSource // the request, and the redactor (src.red)

	mu       sync.Mutex
	mode     writeMode
	status   int
	buf      []byte
	finished bool
}

// newGuardWriter wraps w for the request src describes; every byte passes
// src.red.
func newGuardWriter(w http.ResponseWriter, src *echoSource) *guardWriter {
	return &guardWriter{w: w, src: src}
}

// Header returns the header map the response will be sent with.
func (g *guardWriter) Header() http.Header { return g.w.Header() }

// Unwrap gives http.ResponseController the underlying writer.
func (g *guardWriter) Unwrap() http.ResponseWriter { return g.w }

// WriteHeader picks the mode from the status and Content-Type. The header
// of a held body (plain-text error, JSON) goes out with the body: it may
// change with it.
func (g *guardWriter) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mode == modeUndecided && !g.finished {
		g.decide(code)
	}
}

func (g *guardWriter) decide(code int) {
	g.status = code
	ct := mediaType(g.w.Header().Get("Content-Type"))
	switch {
	case ct == "application/json":
		g.mode = modeJSON
		return
	case code >= 400:
		g.mode = modePlain
		return
	case ct == "text/event-stream":
		g.mode = modeSSE
	default:
		g.mode = modeOther
	}
	g.writeHeader()
}

// mediaType is the lower-case media type of a Content-Type value.
func mediaType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// writeHeader sends the status. Sanitising may change the length.
func (g *guardWriter) writeHeader() {
	g.w.Header().Del("Content-Length")
	g.w.WriteHeader(g.status)
}

// Write takes p in full; what reaches the client, and when, depends on the
// mode. It returns an error only from the underlying writer.
func (g *guardWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return 0, errFinished
	}
	if g.mode == modeUndecided {
		g.decide(http.StatusOK)
	}
	switch g.mode {
	case modePlain:
		if room := maxPlainKept - len(g.buf); room > 0 {
			g.buf = append(g.buf, p[:min(len(p), room)]...)
		}
	case modeSSE:
		return len(p), g.writeEvents(p)
	default:
		g.buf = append(g.buf, p...)
	}
	return len(p), nil
}

// writeEvents sends every complete event in buf+p and keeps the rest.
func (g *guardWriter) writeEvents(p []byte) error {
	if len(g.buf) == 0 && bytes.HasSuffix(p, eventEnd) {
		return g.sendEvents(p)
	}
	g.buf = append(g.buf, p...)
	end := bytes.LastIndex(g.buf, eventEnd)
	if end < 0 {
		return nil
	}
	events := g.buf[:end+len(eventEnd)]
	err := g.sendEvents(events)
	g.buf = append(g.buf[:0], g.buf[len(events):]...)
	return err
}

// sendEvents sanitises and redacts SSE events and writes them out.
func (g *guardWriter) sendEvents(b []byte) error {
	return g.write(redactEvents(g.src.red, sanitiseEvents(b, g.src)))
}

// send redacts b and writes it to the client.
func (g *guardWriter) send(b []byte) error {
	return g.write(g.src.red.Redact(b))
}

func (g *guardWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := g.w.Write(b)
	return err
}

// Flush sends what has been sent on to the client. Held bodies (plain
// errors, JSON, other) stay held: they are complete only at the end.
func (g *guardWriter) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return
	}
	if g.mode == modeUndecided {
		g.decide(http.StatusOK)
	}
	if g.mode == modeSSE {
		flush(g.w)
	}
}

// flush flushes w, or what it wraps, if it can.
func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
		return
	}
	_ = http.NewResponseController(w).Flush()
}

// finish sends what is held: the fixed text for a plain-text error, the
// sanitised JSON, the redacted rest of anything else.
func (g *guardWriter) finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return
	}
	g.finished = true
	// A write error means the client has gone; nobody is left to tell.
	switch g.mode {
	case modePlain:
		g.writePlain()
	case modeJSON:
		g.finishJSON()
	case modeSSE:
		_ = g.sendEvents(g.buf)
	case modeOther:
		_ = g.send(g.buf)
	}
	g.buf = nil
}

// finishJSON sends a held JSON body. An error status must come with a
// JSON-RPC error; any other JSON body with one is treated as plain text.
func (g *guardWriter) finishJSON() {
	if g.status >= 400 && !isErrorResponse(g.buf) {
		g.writePlain()
		return
	}
	g.writeHeader()
	_ = g.write(Outgoing(g.src.red, sanitiseMessage(g.buf, g.src)))
}

func (g *guardWriter) writePlain() {
	WritePlain(g.w, g.status, fixedPlainText(g.status, g.buf))
}

// sanitiseEvents applies the echo rule to the data lines of SSE events.
// It returns b itself when nothing changed.
func sanitiseEvents(b []byte, src *echoSource) []byte {
	if !bytes.Contains(b, errorKey) {
		return b
	}
	var out []byte
	changed := false
	for line := range bytes.Lines(b) {
		payload, ok := bytes.CutPrefix(line, dataLine)
		if !ok {
			out = append(out, line...)
			continue
		}
		body := bytes.TrimRight(payload, "\r\n")
		fixed := sanitiseMessage(body, src)
		if bytes.Equal(fixed, body) {
			out = append(out, line...)
			continue
		}
		out = append(append(append(out, "data: "...), fixed...), '\n')
		changed = true
	}
	if !changed {
		return b
	}
	return out
}

// redactEvents redacts SSE events. Each data line is one JSON-RPC message
// and goes through outgoing (ids kept, error codes fixed); other lines are
// redacted as text.
func redactEvents(r *redact.Redactor, b []byte) []byte {
	if bytes.Equal(r.Redact(b), b) && !bytes.Contains(b, zeroCode) {
		return b
	}
	var out []byte
	for line := range bytes.Lines(b) {
		payload, ok := bytes.CutPrefix(line, dataLine)
		if !ok {
			out = append(out, r.Redact(line)...)
			continue
		}
		msg := bytes.TrimSpace(payload)
		out = append(append(append(out, "data: "...), Outgoing(r, msg)...), '\n')
	}
	return out
}
