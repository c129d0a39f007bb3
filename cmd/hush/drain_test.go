package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// SIGTERM to the real binary with server.drain_delay set: /readyz answers
// 503 at once while calls on open and new connections still succeed; a
// call still running when the drain ends finishes within shutdown_grace;
// the metrics listener serves throughout; the process exits 0 and no call
// fails.
func TestDrainOnSIGTERM(t *testing.T) {
	pw := "canary-drain-pw-NOT-REAL"
	app := newPGApp(t, "drain", pw, itemsSetup...)
	dir := t.TempDir()
	metricsAddr := freeLoopbackAddr(t)
	cfg := replicaConfig(t, dir, secretFile(t, dir, "db-password", pw), app,
		"  drain_delay: 4s", "  shutdown_grace: 20s", "  metrics_listen: "+metricsAddr)
	r := startReplica(t, buildHush(t), cfg)
	url := "http://" + r.addr + "/mcp"
	probe := noKeepAlive()
	if code := r.readyz(probe); code != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d, want 200", code)
	}
	cs := connectMCP(t, url, "", nil)
	if err := callItem(cs, 1, 1); err != nil {
		t.Fatalf("call before SIGTERM: %v", err)
	}

	// Longer than the drain: still running when the listener closes.
	slow := make(chan error, 1)
	go func() { slow <- callSlow(connectMCP(t, url, "", nil), 6) }()

	r.terminate()
	waitUntil(t, "/readyz to answer 503", 10*time.Second, func() bool {
		return r.readyz(probe) == http.StatusServiceUnavailable || r.exited()
	})
	if r.exited() {
		t.Fatalf("the process exited before /readyz answered 503; stderr:\n%s", r.logsWithout(pw))
	}
	// Draining: calls on the open session and on a new one still succeed.
	if err := callItem(cs, 2, 2); err != nil {
		t.Errorf("call on an open session while draining: %v", err)
	}
	if err := callItem(connectMCP(t, url, "", nil), 3, 3); err != nil {
		t.Errorf("call on a new session while draining: %v", err)
	}
	// The metrics listener serves through the drain.
	if resp, err := probe.Get("http://" + metricsAddr + "/metrics"); err != nil {
		t.Errorf("/metrics while draining: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/metrics while draining: %d", resp.StatusCode)
		}
	}

	if err := <-slow; err != nil {
		t.Errorf("call in flight at shutdown: %v", err)
	}
	if err := r.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, r.logsWithout(pw))
	}
	for _, msg := range []string{"draining: /readyz answers 503, still serving", "shutting down: no new connections; in-flight requests finish", "stopped"} {
		if !r.logged(msg) {
			t.Errorf("no %q log line; stderr:\n%s", msg, r.logsWithout(pw))
		}
	}
	if r.logged("shutdown grace ran out; closing open connections") {
		t.Errorf("the grace ran out; stderr:\n%s", r.logsWithout(pw))
	}
	assertNoCanary(t, "server stderr", r.stderr.String(), pw)
}

// freeLoopbackAddr returns a loopback address with a port that was free
// a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// callItem calls the item tool and checks its answer.
func callItem(cs *mcp.ClientSession, id, n int64) error {
	l := callers{}
	return l.call(cs, id, n)
}

// callSlow calls the slow tool, which sleeps seconds in the database.
func callSlow(cs *mcp.ClientSession, seconds float64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"seconds": seconds}})
	switch {
	case err != nil:
		return err
	case res.IsError:
		return fmt.Errorf("tool error: %s", toolText(res))
	}
	return nil
}
