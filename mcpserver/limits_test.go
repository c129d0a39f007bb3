package mcpserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/sqltool"
)

// reply is an HTTP answer as the limit tests look at it.
type reply struct {
	code   int
	header http.Header
	body   string
}

// sendMCP makes one MCP request with the harness's token; session may be empty.
func sendMCP(t *testing.T, h *harness, method, url, session, body string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := h.httpClient(canaryToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

const pingBody = `{"jsonrpc":"2.0","id":2,"method":"ping"}`

func TestSessionCapRefusesNewSessions(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.MaxSessions = 2 })
	url := h.httpServer().URL + "/mcp"
	var ids []string
	for range 2 {
		r := sendMCP(t, h, http.MethodPost, url, "", initBody)
		if r.code != http.StatusOK || r.header.Get("Mcp-Session-Id") == "" {
			t.Fatalf("initialize under the cap: %d %q", r.code, r.body)
		}
		ids = append(ids, r.header.Get("Mcp-Session-Id"))
	}
	r := sendMCP(t, h, http.MethodPost, url, "", initBody)
	if r.code != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "too many open sessions") {
		t.Errorf("initialize past the cap: %d Retry-After=%q %q", r.code, r.header.Get("Retry-After"), r.body)
	}
	if r := sendMCP(t, h, http.MethodPost, url, ids[0], pingBody); r.code != http.StatusOK {
		t.Errorf("an open session at the cap: %d %q", r.code, r.body)
	}
	if r := sendMCP(t, h, http.MethodDelete, url, ids[0], ""); r.code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %q", r.code, r.body)
	}
	wait.Until(t, "a place for a new session", 10*time.Second, func() bool {
		return sendMCP(t, h, http.MethodPost, url, "", initBody).code == http.StatusOK
	})
}

func TestIdleSessionsExpire(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.SessionTimeout = 50 * time.Millisecond })
	url := h.httpServer().URL + "/mcp"
	r := sendMCP(t, h, http.MethodPost, url, "", initBody)
	id := r.header.Get("Mcp-Session-Id")
	if r.code != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d %q", r.code, r.body)
	}
	wait.Until(t, "the idle session to be closed", 10*time.Second, func() bool {
		return sessionCount(h) == 0
	})
	if r := sendMCP(t, h, http.MethodPost, url, id, pingBody); r.code != http.StatusNotFound {
		t.Errorf("request on an expired session: %d %q", r.code, r.body)
	}
}

// A hand-built config gets the same defaults as a decoded file.
func TestServerDefaults(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server = config.Server{AuthToken: c.Server.AuthToken} })
	want := config.Server{AuthToken: h.cfg.Server.AuthToken}.WithDefaults()
	if !reflect.DeepEqual(h.srv.cfg, want) {
		t.Errorf("server settings = %+v, want %+v", h.srv.cfg, want)
	}
	if want.MaxRequests == 0 || want.SessionTimeout == 0 || want.Listen == "" {
		t.Errorf("defaults left fields at zero: %+v", want)
	}
}

func sessionCount(h *harness) int {
	n := 0
	for range h.srv.MCP().Sessions() {
		n++
	}
	return n
}

// slowBody opens a connection to addr and sends a POST to /mcp whose body
// never arrives in full. It returns the connection.
func slowBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\":", addr, canaryToken)
	return c
}

// readStatus reads the status code of the answer on c, or 0 when the
// server closed the connection without one.
func readStatus(t *testing.T, c net.Conn) int {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func TestSlowBodyTimesOut(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.ReadTimeout = 100 * time.Millisecond })
	hs := h.httpServer()
	c := slowBody(t, hs.Listener.Addr().String())
	if code := readStatus(t, c); code != http.StatusRequestTimeout {
		t.Errorf("slow body: status %d, want 408", code)
	}
}

func TestRequestCapLeavesHealthEndpoints(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.MaxRequests = 1 })
	hs := h.httpServer()
	slowBody(t, hs.Listener.Addr().String()) // holds the only request slot
	url := hs.URL + "/mcp"
	wait.Until(t, "the slow request to take the slot", 10*time.Second, func() bool {
		return sendMCP(t, h, http.MethodPost, url, "", initBody).code == http.StatusServiceUnavailable
	})
	r := sendMCP(t, h, http.MethodPost, url, "", initBody)
	if r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "too many concurrent requests") {
		t.Errorf("refused request: %d Retry-After=%q %q", r.code, r.header.Get("Retry-After"), r.body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _ := get(t, h, hs.URL+path); code != http.StatusOK {
			t.Errorf("%s with the MCP endpoint saturated: %d", path, code)
		}
	}
}

// serveOn runs the server's Serve on a loopback listener until the test ends.
func serveOn(t *testing.T, h *harness) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawGet sends a GET for path on a new connection and returns the
// connection, for the caller to read the answer.
func rawGet(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path, addr, canaryToken)
	return c
}

func TestConnectionCapKeepsHealthChecks(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) {
		c.Server.MaxConnections = 2
		c.Server.ReadTimeout = time.Hour // the idle connections below stay open
		c.Server.ShutdownGrace = 100 * time.Millisecond
	})
	addr := serveOn(t, h)
	for range 2 {
		idleConn(t, addr)
	}
	// Past the cap, the health reserve: health checks only.
	if code := readStatus(t, rawGet(t, addr, "/healthz")); code != http.StatusOK {
		t.Errorf("/healthz past the connection cap: %d", code)
	}
	if code := readStatus(t, rawGet(t, addr, "/mcp")); code != http.StatusServiceUnavailable {
		t.Errorf("/mcp past the connection cap: %d, want 503", code)
	}
	var held []net.Conn
	for range healthReserve {
		held = append(held, idleConn(t, addr))
	}
	if code := readStatus(t, rawGet(t, addr, "/healthz")); code != 0 {
		t.Errorf("past the health reserve: status %d, want the connection closed", code)
	}
	for _, c := range held {
		_ = c.Close()
	}
	wait.Until(t, "the reserve to free up", 10*time.Second, func() bool {
		return readStatus(t, rawGet(t, addr, "/healthz")) == http.StatusOK
	})
}

// idleConn opens a connection to addr that sends nothing.
func idleConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A client that trickles its request head is cut off after read_timeout.
func TestSlowHeadersAreCutOff(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) { c.Server.ReadTimeout = 100 * time.Millisecond })
	c := idleConn(t, serveOn(t, h))
	fmt.Fprint(c, "POST /mcp HTTP/1.1\r\nHost: x\r\n")
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("the server kept a connection with an unfinished request head open")
	}
}

// A client that stops reading its answer gives its request slot back once
// the answer's write deadline passes.
func TestStalledReaderFreesItsSlot(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) {
		// The answer's deadline is 2s + 6s + 2s: room for the 6 MB answer
		// to be built, even under the race detector on a busy machine.
		c.Server.MaxRequests, c.Server.ReadTimeout, c.Server.CallTimeout = 1, 2*time.Second, 6*time.Second
		c.Tools = append(c.Tools, tool.Spec{Name: "big", Kind: "sql", Source: "main", Description: "Many rows.",
			Config: sqltool.Config{Statement: "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 700) " +
				"SELECT hex(zeroblob(4000)) FROM r", ReadOnly: true, MaxRows: 5000, MaxBytes: sqltool.MaxMaxBytes}})
	})
	hs := h.httpServer()
	url := hs.URL + "/mcp"
	session := sendMCP(t, h, http.MethodPost, url, "", initBody).header.Get("Mcp-Session-Id")
	sendMCP(t, h, http.MethodPost, url, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	call := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"big","arguments":{}}}`
	// Retried until admitted: the only slot may be busy with a ping.
	wait.Until(t, "the big call to be admitted", 60*time.Second, func() bool {
		c := idleConn(t, hs.Listener.Addr().String())
		_ = c.(*net.TCPConn).SetReadBuffer(4096) // so the answer cannot hide in socket buffers
		fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
			"Accept: application/json, text/event-stream\r\nMcp-Session-Id: %s\r\nMcp-Protocol-Version: 2025-06-18\r\n"+
			"Content-Length: %d\r\n\r\n%s", canaryToken, session, len(call), call)
		return statusLine(c) == "HTTP/1.1 200 OK" // the answer stays unread
	})
	wait.Until(t, "the slot to be given back", 60*time.Second, func() bool {
		return sendMCP(t, h, http.MethodPost, url, session, pingBody).code == http.StatusOK
	})
}

// statusLine reads only the status line of the answer on c.
func statusLine(c net.Conn) string {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}
