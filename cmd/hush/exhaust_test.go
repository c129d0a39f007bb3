//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/wait"
)

// maxExhaustRSS is the documented bound (docs/configuration.md, "Resource
// limits") on the peak RSS of the real binary under TestExhaustion's load.
// Measured: 17 MiB at start, 35 MiB after the sessions and slow bodies
// alone, 70-95 MiB peak with eight 1 MB results in flight at once (each
// costs several times its size until it is sent).
const maxExhaustRSS = 160 << 20

// exhaustToken is an obviously fake bearer token.
const exhaustToken = "exhaust-tok-3c9d1e-NOT-REAL"

const exhaustConfig = `
server:
  transport: http
  auth_token: ${secret:MCP_TOKEN}
  session_timeout: 3s
  max_sessions: 200
  max_concurrent_requests: 8
  max_connections: 200
  read_timeout: 1s
secrets:
  MCP_TOKEN: {from: file:token, min_length: 16}
sources:
  db: {kind: sqlite, dsn: data.db, seed: seed.sql}
tools:
  rows:
    kind: sql
    source: db
    description: Many wide rows.
    statement: >-
      WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ?)
      SELECT i, hex(zeroblob(1000)) AS pad FROM r
    parameters:
      - {name: n, type: integer, description: rows, required: true, min: 1, max: 5000}
    read_only: true
    max_rows: 5000
`

// The real binary under many sessions, slow bodies and large results: it
// refuses what is past its limits, /healthz keeps answering throughout, and
// its peak RSS stays under maxExhaustRSS.
func TestExhaustion(t *testing.T) {
	p := startBinary(t, exhaustConfig)
	healthy := p.watchHealth(t)
	if ok := p.largeResults(t, 8, 500); ok == 0 {
		t.Error("no large result was served")
	}
	// Sessions expire after 3s idle; 16 workers open far more than 200 in
	// that time.
	sessions := p.floodSessions(t, 1000)
	t.Logf("initialize x1000: %v", sessions)
	if sessions[http.StatusOK] == 0 || sessions[http.StatusServiceUnavailable] == 0 || len(sessions) != 2 {
		t.Errorf("initialize x1000 against max_sessions 200: statuses %v, want 200s and 503s only", sessions)
	}
	// 250 stalled bodies: 200 connections up to the cap, 50 in the health
	// reserve, which keeps room for the health probes.
	if got := p.slowBodies(t, 250); got[0] > 0 {
		t.Errorf("slow bodies: %v (status 0: no answer before the client gave up)", got)
	}
	wait.Until(t, "idle sessions to expire and make room", 30*time.Second, func() bool {
		_, code := p.initialize()
		return code == http.StatusOK
	})
	if n := healthy.stop(); n.failed > 0 || n.ok == 0 {
		t.Errorf("/healthz during the load: %d answered, %d failed", n.ok, n.failed)
	}
	peak := p.rss(t, "VmHWM")
	t.Logf("RSS: start %d MiB, peak %d MiB, end %d MiB (bound %d MiB)", p.startRSS>>20, peak>>20,
		p.rss(t, "VmRSS")>>20, maxExhaustRSS>>20)
	if peak > maxExhaustRSS {
		t.Errorf("peak RSS %d MiB, over the bound of %d MiB", peak>>20, maxExhaustRSS>>20)
	}
}

// binary is the hush binary serving a config, as a separate process.
type binary struct {
	cmd      *exec.Cmd
	addr     string
	stderr   *leak.Buffer
	startRSS int64
}

// startBinary builds hush, starts `hush serve` on configText in a temp dir
// and waits until it listens. It is stopped with SIGTERM at cleanup and
// must exit 0.
func startBinary(t *testing.T, configText string) *binary {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hush")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for name, text := range map[string]string{"hush.yaml": configText, "token": exhaustToken,
		"seed.sql": "CREATE TABLE t(x INTEGER);\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &binary{stderr: &leak.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--config", filepath.Join(dir, "hush.yaml"), "--listen", "127.0.0.1:0")
	p.cmd.Env = withoutEnv(os.Environ(), "GOMEMLIMIT", "GOGC")
	pr, pw := io.Pipe()
	p.cmd.Stderr = io.MultiWriter(p.stderr, pw)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	p.addr = p.waitListening(t, pr)
	go io.Copy(io.Discard, pr)
	p.startRSS = p.rss(t, "VmRSS")
	return p
}

// withoutEnv drops the named variables, so the binary runs with its own
// GC and memory limit defaults.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}

func (p *binary) waitListening(t testing.TB, logs io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				found <- line.Addr
				return
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if ok {
			return addr
		}
	case <-time.After(60 * time.Second):
	}
	t.Fatalf("hush serve did not start listening; stderr:\n%s", p.stderr.String())
	return ""
}

func (p *binary) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("hush serve at SIGTERM: %v; stderr:\n%s", err, tail(p.stderr.String(), 2000))
	}
	leak.Check(t, "hush serve stderr", p.stderr.String(), exhaustToken)
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// rss reads a field such as VmRSS or VmHWM of /proc/<pid>/status, in bytes.
func (p *binary) rss(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}

// healthWatch polls /healthz on fresh connections until stopped.
type healthWatch struct {
	done     chan struct{}
	once     sync.Once
	finished chan healthCount
}

type healthCount struct{ ok, failed int }

// watchHealth starts polling; the test stops it, or cleanup does.
func (p *binary) watchHealth(t *testing.T) *healthWatch {
	h := &healthWatch{done: make(chan struct{}), finished: make(chan healthCount, 1)}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		var n healthCount
		defer func() { h.finished <- n }()
		for {
			select {
			case <-h.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			resp, err := client.Get("http://" + p.addr + "/healthz")
			if err != nil {
				n.failed++
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				n.ok++
			} else {
				n.failed++
			}
		}
	}()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop ends the polling and returns the counts; later calls return zero.
func (h *healthWatch) stop() healthCount {
	var n healthCount
	h.once.Do(func() {
		close(h.done)
		n = <-h.finished
	})
	return n
}

// mcpRequest posts body to the MCP endpoint and returns the answer.
func (p *binary) mcpRequest(session, body string) (*http.Response, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+exhaustToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

const exhaustInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"exhaust","version":"0"}}}`

// initialize opens a session; it returns the session id and the status.
func (p *binary) initialize() (string, int) {
	resp, _, err := p.mcpRequest("", exhaustInit)
	if err != nil {
		return "", 0
	}
	return resp.Header.Get("Mcp-Session-Id"), resp.StatusCode
}

// floodSessions opens n sessions from 16 workers and counts the statuses.
func (p *binary) floodSessions(t *testing.T, n int) map[int]int {
	var mu sync.Mutex
	statuses := map[int]int{}
	parallel(16, n, func() {
		_, code := p.initialize()
		mu.Lock()
		statuses[code]++
		mu.Unlock()
	})
	return statuses
}

// slowBodies opens n connections that send a request head and part of a
// body, then stall; it returns how each ended (status, or 0 for none).
func (p *binary) slowBodies(t *testing.T, n int) map[int]int {
	var mu sync.Mutex
	got := map[int]int{}
	parallel(n, n, func() {
		code := p.slowBody()
		mu.Lock()
		got[code]++
		mu.Unlock()
	})
	t.Logf("slow bodies: %v", got)
	return got
}

// slowBody returns the status the server answered a stalled body with, -1
// for a connection closed without an answer (past the connection cap), or
// 0 when nothing came within a minute.
func (p *binary) slowBody() int {
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		return -1
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Accept: application/json, text/event-stream\r\nMcp-Session-Id: stalled\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\":",
		p.addr, exhaustToken)
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return 0
	}
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

// largeResults calls the rows tool for rows rows from workers sessions at
// once, and returns how many calls were served; every call must succeed or
// be refused with 503.
func (p *binary) largeResults(t *testing.T, workers, rows int) int {
	call := fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rows","arguments":{"n":%d}}}`, rows)
	var served atomic.Int32
	parallel(workers, workers, func() {
		session, code := p.initialize()
		if code != http.StatusOK {
			t.Errorf("initialize: %d", code)
			return
		}
		_, _, _ = p.mcpRequest(session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		resp, body, err := p.mcpRequest(session, call)
		switch {
		case err != nil:
			t.Errorf("large result: %v", err)
		case resp.StatusCode == http.StatusServiceUnavailable:
		case resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"rows"`):
			t.Errorf("large result: %d, %d bytes", resp.StatusCode, len(body))
		default:
			served.Add(1)
		}
	})
	return int(served.Load())
}

// parallel runs fn n times on workers goroutines and waits.
func parallel(workers, n int, fn func()) {
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				fn()
			}
		})
	}
	wg.Wait()
}
