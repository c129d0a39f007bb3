package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/hushmcp/hush/mcpserver/echoguard"
)

// wireResponse is a JSON-RPC response as these tests read it.
type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *struct {
		Code    int64           `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data,omitempty"`
	} `json:"error,omitempty"`
}

// stdioRun is a server on the stdio transport driven line by line.
type stdioRun struct {
	t     *testing.T
	in    *io.PipeWriter
	lines chan string
	done  chan error
}

// startStdio runs h's server on pipes. Its stdout is not recorded in
// h.seen: these tests send canaries as ids, which must come back.
func startStdio(t *testing.T, h *harness) *stdioRun {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h.srv.deps.Stdin, h.srv.deps.Stdout = inR, outW
	h.srv.cfg.Transport = "stdio"
	r := &stdioRun{t: t, in: inW, lines: make(chan string, 100), done: make(chan error, 1)}
	go func() { r.done <- h.srv.Run(context.Background()); _ = outW.Close() }()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() { _ = inW.Close() })
	return r
}

func (r *stdioRun) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// recv returns the next line the server wrote, decoded, and the line.
func (r *stdioRun) recv() (wireResponse, string) {
	r.t.Helper()
	select {
	case line, ok := <-r.lines:
		if !ok {
			r.t.Fatal("the server closed stdout")
		}
		var m wireResponse
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			r.t.Fatalf("not JSON: %.200q", line)
		}
		return m, line
	case <-time.After(30 * time.Second):
		r.t.Fatal("no answer from the server")
	}
	return wireResponse{}, ""
}

// expectError reads the next line and checks it is an error with code and
// the id id (raw JSON).
func (r *stdioRun) expectError(what string, code int64, id string) {
	r.t.Helper()
	m, line := r.recv()
	if m.Error == nil || m.Error.Code != code || string(m.ID) != id {
		r.t.Errorf("%s: got %.300s, want error %d with id %s", what, line, code, id)
	}
}

// end closes stdin and returns Run's error.
func (r *stdioRun) end() error {
	_ = r.in.Close()
	select {
	case err := <-r.done:
		return err
	case <-time.After(30 * time.Second):
		r.t.Fatal("Run did not return at EOF")
	}
	return nil
}

const stdioInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

// One bad line used to end the process with exit 1; now each gets a
// JSON-RPC error, the server keeps answering, and EOF ends it cleanly.
func TestStdioSurvivesBadInput(t *testing.T) {
	h := newHarness(t, nil)
	r := startStdio(t, h)
	deep := `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"a":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}}`
	cases := []struct{ name, line, id string }{
		{"not JSON", "hello", "null"},
		{"two values", `{"a":1} {"b":2}`, "null"},
		{"nested too deeply", deep, "null"},
		{"too long", `{"jsonrpc":"2.0","id":4,"method":"ping","params":{"pad":"` + strings.Repeat("x", maxStdioLine) + `"}}`, "null"},
	}
	for _, c := range cases {
		r.send(c.line)
		r.expectError(c.name, -32700, c.id)
	}
	for _, c := range []struct{ name, line, id string }{
		{"not a message", `42`, "null"},
		{"no version", `{"id":5,"method":"ping"}`, "null"},
		{"bool id", `{"jsonrpc":"2.0","id":true,"method":"ping"}`, "null"},
		{"batch", `[{"jsonrpc":"2.0","id":6,"method":"ping"}]`, "null"},
	} {
		r.send(c.line)
		r.expectError(c.name, -32600, c.id)
	}
	r.send(stdioInit)
	if m, line := r.recv(); m.Error != nil || string(m.ID) != "1" {
		t.Fatalf("initialize after bad lines: %.300s", line)
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(`{"jsonrpc":"2.0","id":7,"method":"ping"}`)
	if m, line := r.recv(); m.Error != nil || string(m.ID) != "7" {
		t.Errorf("ping: %.300s", line)
	}
	r.send(`{"jsonrpc":"2.0","id":8,"method":"ping"`) // unterminated, then EOF
	_ = r.in.Close()
	r.expectError("unterminated at EOF", -32700, "null")
	if err := r.end(); err != nil {
		t.Errorf("Run at EOF: %v, want nil (exit 0)", err)
	}
}

// Ids are the client's own bytes: they come back as sent, or the request
// is refused when the SDK would change them.
func TestStdioIDsComeBackAsSent(t *testing.T) {
	h := newHarness(t, nil)
	r := startStdio(t, h)
	r.send(stdioInit)
	r.recv()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for _, id := range []string{"1.5", "1e40", "-0", "9007199254740993", "1E2", "10.0"} {
		r.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)
		r.expectError("id "+id, -32600, id)
	}
	for _, id := range []string{`9007199254740991`, `-42`, `0`, `"` + canaryDB + `"`, `"` + canaryToken + `"`} {
		r.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)
		m, line := r.recv()
		if m.Error != nil || !sameID(m.ID, id) {
			t.Errorf("ping with an id of %d bytes: got %.300s", len(id), scrubbed(line))
		}
	}
	if err := r.end(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// sameID reports whether got is the id sent: the same bytes for a number,
// the same value for a string (escaping may differ).
func sameID(got json.RawMessage, sent string) bool {
	var a, b string
	if json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(sent), &b) == nil {
		return a == b
	}
	return string(got) == sent
}

// A second initialize and a log level outside the protocol get proper
// JSON-RPC codes (the SDK sent code 0, and accepted any level).
func TestStdioProtocolErrorCodes(t *testing.T) {
	h := newHarness(t, nil)
	r := startStdio(t, h)
	r.send(stdioInit)
	r.recv()
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(strings.Replace(stdioInit, `"id":1`, `"id":2`, 1))
	r.expectError("second initialize", -32600, "2")
	r.send(`{"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"loud"}}`)
	r.expectError("unknown level", -32602, "3")
	r.send(`{"jsonrpc":"2.0","id":4,"method":"logging/setLevel","params":{"level":"warning"}}`)
	if m, line := r.recv(); m.Error != nil {
		t.Errorf("valid level: %.300s", line)
	}
	if err := r.end(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestStdioRequestBeforeInitializeIsInvalidRequest(t *testing.T) {
	h := newHarness(t, nil)
	r := startStdio(t, h)
	r.send(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	r.expectError("tools/list before initialize", -32600, "1")
	if err := r.end(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// FuzzStdioLine feeds arbitrary input to the stdio line filter: it must
// never fail or panic, pass on only lines the SDK decodes and sends back
// with the same id, and answer every other non-blank line with one
// JSON-RPC error.
func FuzzStdioLine(f *testing.F) {
	for _, s := range []string{"hello", stdioInit, `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, `[1,2]`, "{\"a\":\n",
		`{"jsonrpc":"2.0","id":"x","result":{}}`, "\r\n \r\n", strings.Repeat("[", 1100), "\xff\xfe", `{"jsonrpc":"2.0","method":"x"}  `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var sdk, reply bytes.Buffer
		if err := filterLines(newLineReader(bytes.NewReader(in), 256), &sdk, &reply); err != nil {
			t.Fatalf("filterLines: %v", err)
		}
		for line := range bytes.Lines(sdk.Bytes()) {
			msg := bytes.TrimSuffix(line, []byte("\n"))
			if _, err := jsonrpc.DecodeMessage(msg); err != nil || echoguard.CheckID(msg) != nil || !bytes.Equal(msg, bytes.TrimSpace(msg)) {
				t.Fatalf("passed a line the SDK cannot take as it is: %q", line)
			}
		}
		for line := range bytes.Lines(reply.Bytes()) {
			var m wireResponse
			if json.Unmarshal(line, &m) != nil || m.Error == nil || m.Error.Code > -32600 || m.Error.Code < -32700 {
				t.Fatalf("not a JSON-RPC error: %q", line)
			}
		}
	})
}
