package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// benchToken is the bearer token both servers require. It is a benchmark
// fixture, not a credential.
const benchToken = "bench-token-0123456789abcdef0123456789"

// server is one process under measurement.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	out  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep the tail bounded: it is for error reports only
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// start runs cmd and waits until its /healthz answers.
func start(ctx context.Context, name string, cmd *exec.Cmd, addr string) (*server, error) {
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, url: "http://" + addr + "/mcp", cmd: cmd, out: out}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.stop()
	return nil, fmt.Errorf("%s did not become healthy:\n%s", name, out.String())
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// hushConfig is the config Hush runs under: one tool, the same statement
// as the floor's, a bearer token from a file secret.
const hushConfig = `server:
  name: hush-bench
  transport: http
  listen: %q
  stateless: %v
  auth_token: ${secret:MCP_TOKEN}
secrets:
  MCP_TOKEN: { from: "file:token" }
  DB: { from: "file:db" }
sources:
  main: { kind: %s, dsn: "${secret:DB}", max_conns: 4 }
tools:
  find_customer:
    kind: sql
    source: main
    description: Look up a customer by e-mail.
    statement: SELECT id, email, name, plan FROM customers WHERE email = %s
    parameters: [{ name: email, type: string, required: true }]
    max_rows: 1
`

func startHush(ctx context.Context, bin, dir, kind, dsn string, stateless bool) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	placeholder := "$1"
	if kind == "sqlite" {
		placeholder = "?"
	}
	cfgDir := filepath.Join(dir, fmt.Sprintf("hush-%s-%v", kind, stateless))
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		return nil, err
	}
	files := map[string]string{
		"token":     benchToken,
		"db":        dsn,
		"hush.yaml": fmt.Sprintf(hushConfig, addr, stateless, kind, placeholder),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(data), 0o600); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", filepath.Join(cfgDir, "hush.yaml"), "--log-format", "json")
	return start(ctx, "hush", cmd, addr)
}

func startFloor(ctx context.Context, kind, dsn string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-floor", addr, "-floor-kind", kind, "-floor-dsn", dsn)
	cmd.Env = append(os.Environ(), "HUSH_BENCH_TOKEN="+benchToken)
	return start(ctx, "floor", cmd, addr)
}

// buildHush builds cmd/hush of the module the command runs in into dir.
func buildHush(ctx context.Context, dir string) (string, error) {
	mod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(mod)) == 0 {
		return "", fmt.Errorf("find the hush module: run hush-bench inside it")
	}
	bin := filepath.Join(dir, "hush")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hush")
	cmd.Dir = filepath.Dir(string(bytes.TrimSpace(mod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hush: %w\n%s", err, out)
	}
	return bin, nil
}
