package redact

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"slices"
	"sync"
)

// ErrClosed is returned by Write and Flush after Close.
var ErrClosed = errors.New("redact: writer closed")

const (
	// lineCap is how much of a line without a newline a Writer holds
	// before it writes part of it out.
	lineCap = 64 << 10
	// contextKeep is the least tail a partial flush keeps, so a keyword
	// such as "Authorization:" stays with a value that has not arrived.
	contextKeep = 512
)

// Writer redacts everything written through it and writes the result to
// the underlying writer. Create it with NewWriter.
//
// Output is redacted a whole line at a time: Write holds a partial line
// until its newline arrives, so a secret split across Write calls is still
// caught. A line longer than 64 KiB is written out in parts, each time
// keeping back a tail at least as long as the longest known pattern, so no
// secret straddles a part boundary. A private key, an Authorization value or
// a token still open at the end of a part stays redacted into the next.
// Flush and Close write out whatever is held.
//
// A Writer is safe for concurrent use; each Write is applied whole, in
// order. Close does not close the underlying writer.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	r     *Redactor
	buf   []byte
	carry openKind
	spans []span // scratch for partial flushes
	// lineCap and ctxKeep are the lineCap and contextKeep constants;
	// tests lower them to exercise partial flushes on small inputs.
	lineCap, ctxKeep int
	err              error // sticky: the first error of the underlying writer
	closed           bool
}

// NewWriter returns a Writer that redacts with r and writes to w. Logging
// through it is the simplest fully safe construction:
//
//	logger := slog.New(slog.NewJSONHandler(redact.NewWriter(os.Stderr, r), nil))
//
// Close it (or Flush it) before exit to write out a last partial line.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r, lineCap: lineCap, ctxKeep: contextKeep}
}

// Write redacts p as described on Writer and reports len(p) on success.
// After the underlying writer fails, Write returns that error and writes
// nothing more.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return 0, err
	}
	m := w.r.matcher()
	if len(w.buf) == 0 {
		// Common case: whole lines arrive in one Write; redact p in place.
		nl := bytes.LastIndexByte(p, '\n') + 1
		if err := w.emit(m, p[:nl]); err != nil {
			return 0, err
		}
		w.buf = append(w.buf, p[nl:]...)
	} else if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		// buf holds no newline: only p needs searching.
		nl := len(w.buf) + i + 1
		w.buf = append(w.buf, p...)
		if err := w.emitBuffered(m, nl); err != nil {
			return 0, err
		}
	} else {
		w.buf = append(w.buf, p...)
	}
	if len(w.buf) > max(w.lineCap, 4*w.keep(m)) {
		if err := w.flushPart(m); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out everything held, redacted, including a partial line. A
// secret split by a Flush between its halves cannot be recognised, so call
// it at line ends where possible.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.emitBuffered(w.r.matcher(), len(w.buf))
}

// Close flushes what is held and marks the Writer closed. It is idempotent
// and does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	err := w.err
	if err == nil {
		err = w.emitBuffered(w.r.matcher(), len(w.buf))
	}
	w.closed, w.buf = true, nil
	return err
}

func (w *Writer) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// keep is the tail a partial flush holds back: one byte less than the
// longest pattern, so any occurrence starting before the cut ends inside
// the buffer.
func (w *Writer) keep(m *matcher) int { return max(m.maxLen-1, w.ctxKeep) }

// emit redacts chunk and writes it out.
func (w *Writer) emit(m *matcher, chunk []byte) error {
	if len(chunk) == 0 {
		return nil
	}
	out, open := m.redact(chunk, w.carry)
	w.carry = open
	return w.write(out)
}

// emitBuffered emits buf[:n] and drops it from buf.
func (w *Writer) emitBuffered(m *matcher, n int) error {
	err := w.emit(m, w.buf[:n])
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	return err
}

func (w *Writer) write(b []byte) error {
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		w.buf = nil
		return err
	}
	return nil
}

// flushPart writes out the front of an over-long partial line. The cut
// leaves at least keep bytes behind and never falls between the evidence
// and the end of a match: such a match is held back whole, unless it starts
// the buffer, in which case it is written out whole and, if still open,
// carried into what follows.
func (w *Writer) flushPart(m *matcher) error {
	b := w.buf
	spans, open := m.scan(b, w.carry, w.spans[:0])
	cut, whole := cutPoint(spans, len(b)-w.keep(m), len(b))
	var out []byte
	if whole {
		cut = len(b)
		out = renderOrSelf(b, spans)
		w.carry = open
	} else {
		out = renderOrSelf(b[:cut], spansBefore(spans, cut))
		w.carry = openNone
	}
	w.spans = spans[:0]
	if err := w.write(out); err != nil {
		return err
	}
	w.buf = w.buf[:copy(w.buf, w.buf[cut:])]
	return nil
}

// cutPoint moves cut out of any match region [min(ctx,start), end): back to
// its start, or, for a region starting at 0, forward to its end. whole
// reports that the cut reached n.
func cutPoint(spans []span, cut, n int) (int, bool) {
	for _, r := range regions(spans) {
		if r.start < cut && cut < r.end {
			if r.start > 0 {
				return r.start, false
			}
			cut = r.end
		}
	}
	return cut, cut >= n
}

// regions merges the spans' [min(ctx,start), end) ranges into disjoint
// ranges sorted by start.
func regions(spans []span) []span {
	rs := make([]span, len(spans))
	for i, sp := range spans {
		rs[i] = span{start: min(sp.ctx, sp.start), end: sp.end}
	}
	slices.SortFunc(rs, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, r.end)
			continue
		}
		out = append(out, r)
	}
	return out
}

// spansBefore returns the spans that end at or before cut.
func spansBefore(spans []span, cut int) []span {
	out := spans[:0:0]
	for _, sp := range spans {
		if sp.end <= cut && sp.start < cut {
			out = append(out, sp)
		}
	}
	return out
}

func renderOrSelf(b []byte, spans []span) []byte {
	if len(spans) == 0 {
		return b
	}
	return render(b, spans)
}
