package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/leak"
)

// replica is one `hush serve` process of the real binary, as a load
// balancer sees it: an address with /mcp and /readyz.
type replica struct {
	cmd    *exec.Cmd
	addr   string
	stderr *leak.Buffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done is closed
}

// buildHush builds the binary into a temporary directory.
func buildHush(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hush")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startReplica starts `hush serve --config cfg` on a free loopback port
// and waits until it listens. At cleanup it is sent SIGTERM, unless it
// has exited already, and must exit 0.
func startReplica(t testing.TB, bin, cfg string) *replica {
	t.Helper()
	r := &replica{stderr: &leak.Buffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	r.cmd.Env = withoutEnv(os.Environ(), "GOMEMLIMIT", "GOGC")
	pr, pw := io.Pipe()
	r.cmd.Stderr = io.MultiWriter(r.stderr, pw)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		pw.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.terminate()
		if err := r.wait(); err != nil {
			t.Errorf("hush serve at SIGTERM: %v; stderr:\n%s", err, tail(r.stderr.String(), 2000))
		}
	})
	b := &binary{stderr: r.stderr}
	r.addr = b.waitListening(t, pr)
	go io.Copy(io.Discard, pr)
	return r
}

// terminate sends SIGTERM, as Kubernetes does when it stops a pod.
func (r *replica) terminate() {
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
	}
}

// wait waits for the process to exit and returns its exit status; after a
// minute it kills the process.
func (r *replica) wait() error {
	select {
	case <-r.done:
		return r.err
	case <-time.After(time.Minute):
		_ = r.cmd.Process.Kill()
		<-r.done
		return errors.New("did not exit within a minute of SIGTERM; killed")
	}
}

// exited reports whether the process has exited.
func (r *replica) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// readyz asks the replica's /readyz and returns the status code, or 0
// when nothing answered.
func (r *replica) readyz(c *http.Client) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+"/readyz", nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// logged reports whether the replica logged a line with message msg.
func (r *replica) logged(msg string) bool {
	return len(logEntries(r.stderr.String(), msg)) > 0
}

// logsWithout returns the replica's log with the canaries scrubbed, for
// failure messages.
func (r *replica) logsWithout(canaries ...string) string {
	return scrub(tail(r.stderr.String(), 3000), canaries...)
}

// noKeepAlive is an HTTP client for probes: a new connection each time,
// as kubelet's probes make.
func noKeepAlive() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr}
}

// itemsSetup creates the table the item tool reads.
var itemsSetup = []string{
	"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
	"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g",
}

// replicaConfig returns a stateless http config over app with the item
// tool of the rotation test and a slow tool, and extra server lines.
func replicaConfig(t testing.TB, dir, pwFile string, app pgApp, server ...string) string {
	t.Helper()
	text := strings.Join([]string{
		"server:",
		"  name: hush-replica",
		"  transport: http",
		"  stateless: true",
		strings.Join(server, "\n"),
		"secrets:",
		"  DB_PASSWORD: {from: file://" + pwFile + ", min_length: 16}",
		"sources:",
		"  main:",
		"    kind: postgres",
		"    dsn: postgres://" + app.Role + ":${secret:DB_PASSWORD}@127.0.0.1:" + itoa(pg.Port()) + "/" + app.DB + "?sslmode=disable",
		"    max_conns: 4",
		"tools:",
		"  item:",
		"    kind: sql",
		"    source: main",
		"    description: Name an item and add one to n.",
		"    statement: SELECT name, $2::int8 + 1 AS next FROM items WHERE id = $1",
		"    parameters:",
		"      - { name: id, type: integer, required: true, min: 1, max: 16 }",
		"      - { name: n, type: integer, required: true }",
		"    read_only: true",
		"    timeout: 10s",
		"  slow:",
		"    kind: sql",
		"    source: main",
		"    description: Sleep, then answer.",
		"    statement: SELECT 'slept' AS done FROM pg_sleep($1::float8)",
		"    parameters:",
		"      - { name: seconds, type: number, required: true, min: 0, max: 10 }",
		"    read_only: true",
		"    timeout: 20s",
		"",
	}, "\n")
	return hushYAML(t, dir, text)
}
