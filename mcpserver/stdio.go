package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/mcpserver/echoguard"
	"github.com/hushmcp/hush/redact"
)

// maxStdioLine bounds one protocol line on stdin, as max_body_bytes bounds
// an HTTP body; it matches the go-sdk's own HTTP default.
const maxStdioLine = 4 << 20

// runStdio speaks the protocol on stdin/stdout; logs never go to stdout.
//
// The go-sdk's stdio connection ends at the first line it cannot decode
// (not JSON, cut short by EOF, nested too deep, too long, an id it cannot
// represent), and the process with it. So lines reach the SDK only through
// filterLines, which answers bad ones with a JSON-RPC error itself and
// reads on; the process ends only at EOF or on cancellation.
func (s *Server) runStdio(ctx context.Context) error {
	in, out := s.deps.Stdin, s.deps.Stdout
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	w := newStdioWriter(out, s.deps.Redactor)
	defer w.Close()
	pr, pw := io.Pipe()
	go func() { _ = pw.CloseWithError(filterLines(newLineReader(in, maxStdioLine), pw, w)) }()
	t := &mcp.IOTransport{Reader: pr, Writer: w}
	s.log.Info("serving", "transport", config.TransportStdio)
	err := s.mcp.Run(ctx, t)
	_ = pr.Close() // unblocks the filter if the SDK stopped first
	if ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, mcp.ErrConnectionClosed) {
		return nil
	}
	return err
}

// filterLines copies the lines of r that the SDK can take to sdk, one per
// line, and answers the others on reply. It returns nil at EOF, so that the
// SDK sees a clean end of input, or the error that stopped it.
func filterLines(r *lineReader, sdk io.Writer, reply io.Writer) error {
	for {
		line, tooLong, err := r.next()
		// The SDK takes nothing but a line ending after a message.
		line = bytes.TrimSpace(line)
		if len(line) > 0 || tooLong {
			if ok, answer := vetLine(line, tooLong); ok {
				if _, werr := sdk.Write(append(line, '\n')); werr != nil {
					return werr
				}
			} else if answer != nil {
				_, _ = reply.Write(answer)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineReader splits its input into lines of at most max bytes; longer
// lines are skipped, not buffered.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its line ending, or tooLong for a
// line past the limit. At the end of input the last, unterminated line
// comes with io.EOF. The line is valid until the next call.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(chunk) > l.max+2 { // room for "\r\n"
				tooLong, l.buf = true, l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(l.buf, "\r\n"), tooLong, err
	}
}

// stdioWriter is stdout for the SDK and for filterLines' answers. Writes
// are serialised, and each complete line is redacted as one JSON-RPC
// message (ids kept as sent) before it goes out; lines are never held back.
type stdioWriter struct {
	mu  sync.Mutex
	out io.Writer
	red *redact.Redactor
	buf []byte
}

func newStdioWriter(out io.Writer, red *redact.Redactor) *stdioWriter {
	return &stdioWriter{out: out, red: red}
}

// Write takes p in full and sends every line it completes.
func (w *stdioWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	end := bytes.LastIndexByte(w.buf, '\n')
	if end < 0 {
		return len(p), nil
	}
	var out []byte
	for line := range bytes.Lines(w.buf[:end+1]) {
		out = append(append(out, echoguard.Outgoing(w.red, bytes.TrimSuffix(line, []byte("\n")))...), '\n')
	}
	w.buf = append(w.buf[:0], w.buf[end+1:]...)
	if _, err := w.out.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close sends what is left of an unterminated line. It does not close the
// underlying writer.
func (w *stdioWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(echoguard.Outgoing(w.red, w.buf))
	w.buf = nil
	return err
}
