// Package redistest runs a real redis-server for tests: a throwaway
// instance in a temporary directory, listening on a free loopback port, with
// no persistence and a password on the default user, so that ACL users and
// password changes behave as they do in production.
//
// Start it once per test package from TestMain and Stop it after m.Run:
//
//	func TestMain(m *testing.M) {
//		srv, err := redistest.Start()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		srv.Stop()
//		os.Exit(code)
//	}
//
// A machine without redis-server gets an error from Start, so the package's
// tests fail rather than silently not running.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// startTimeout bounds how long Start waits for the server to answer.
const startTimeout = 20 * time.Second

var errPortInUse = errors.New("port in use")

// Server is a running redis-server. Its methods are safe for concurrent use.
type Server struct {
	dir      string // temporary root: config and log
	bin      string
	port     int
	adminPW  string
	tls      bool // TLS only; see StartTLS
	admin    *redis.Client
	proc     *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// Start starts a server, retrying on a new port if another process took the
// chosen one. It blocks until the server answers an authenticated PING or
// startTimeout passes. Errors include the tail of the server log.
func Start() (*Server, error) {
	return start(false)
}

func start(useTLS bool) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redistest: redis-server not found in PATH; install the redis-server package")
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	s := &Server{dir: dir, bin: bin, adminPW: "admin-" + randomHex(16), tls: useTLS}
	if useTLS {
		err = s.writeCerts()
	}
	if err == nil {
		err = s.startWithRetry()
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) startWithRetry() error {
	var err error
	for range 3 {
		if s.port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(); err == nil || !errors.Is(err, errPortInUse) {
			return err
		}
	}
	return err
}

// config trades durability for speed: a test instance is thrown away. The
// password goes in a file, not the command line, so ps never shows it.
func (s *Server) config() string {
	listen := []string{"port " + strconv.Itoa(s.port)}
	if s.tls {
		listen = s.tlsConfig()
	}
	return strings.Join(append(listen,
		"bind 127.0.0.1",
		"dir "+s.dir,
		"logfile "+s.logPath(),
		`save ""`,
		"appendonly no",
		"daemonize no",
		"requirepass "+s.adminPW,
		"maxclients 1000",
	), "\n") + "\n"
}

func (s *Server) start() error {
	opts, err := s.adminOptions()
	if err != nil {
		return err
	}
	confPath := filepath.Join(s.dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(s.config()), 0o600); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	cmd := exec.Command(s.bin, confPath)
	cmd.Dir = s.dir
	// Never outlive a crashed test binary; own a process group for Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	s.proc, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	s.admin = redis.NewClient(opts)
	if err := s.waitReady(); err != nil {
		s.kill()
		return s.withLog(err)
	}
	return nil
}

func (s *Server) adminOptions() (*redis.Options, error) {
	opts := s.Options("default", s.adminPW)
	if !s.tls {
		return opts, nil
	}
	var err error
	opts.TLSConfig, err = s.clientTLS()
	return opts, err
}

// waitReady polls with authenticated PINGs until one succeeds, the process
// exits, or startTimeout passes.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = s.admin.Ping(ctx).Err(); last == nil {
			return nil
		}
		select {
		case <-s.exited:
			if s.logContains("Address already in use") {
				return errPortInUse
			}
			return errors.New("redistest: redis-server exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("redistest: redis-server not ready after %s: %v", startTimeout, last)
		case <-tick.C:
		}
	}
}

// Stop shuts the server down and removes its directory. Idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.kill()
		_ = os.RemoveAll(s.dir)
	})
}

func (s *Server) kill() {
	if s.admin != nil {
		_ = s.admin.Close()
	}
	_ = s.proc.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.proc.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// Port is the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns a redis:// URL (rediss:// for a TLS server) for user with
// password on database db.
func (s *Server) URL(user, password string, db int) string {
	scheme := "redis"
	if s.tls {
		scheme = "rediss"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(user, password), Host: s.Addr(), Path: "/" + strconv.Itoa(db)}
	return u.String()
}

// Options are client options for user with password, quiet and without
// retries, for test clients. For a TLS server, set TLSConfig as well.
func (s *Server) Options(user, password string) *redis.Options {
	return &redis.Options{
		Addr: s.Addr(), Username: user, Password: password,
		MaxRetries: -1, DisableIdentity: true, PipelinePoolSize: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// Admin is a client logged in as the default user, with every permission.
// The server owns it; do not close it.
func (s *Server) Admin() *redis.Client { return s.admin }

// SetUser creates or resets ACL user name with a single password and every
// permission on every key.
func (s *Server) SetUser(ctx context.Context, name, password string) error {
	err := s.admin.Do(ctx, "ACL", "SETUSER", name, "reset", "on", ">"+password, "~*", "&*", "+@all").Err()
	if err != nil {
		return fmt.Errorf("redistest: set user %q: %w", name, err)
	}
	return nil
}

// ACL runs ACL SETUSER name with rules as they are, for users with narrower
// permissions.
func (s *Server) ACL(ctx context.Context, name string, rules ...string) error {
	args := []any{"ACL", "SETUSER", name}
	for _, r := range rules {
		args = append(args, r)
	}
	if err := s.admin.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("redistest: set user %q: %w", name, err)
	}
	return nil
}

// ServerLog returns what the server has logged so far.
func (s *Server) ServerLog() (string, error) {
	b, err := os.ReadFile(s.logPath())
	return string(b), err
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "redis.log") }

func (s *Server) logContains(sub string) bool {
	b, _ := os.ReadFile(s.logPath())
	return strings.Contains(string(b), sub)
}

// withLog appends the tail of the server log to err.
func (s *Server) withLog(err error) error {
	if errors.Is(err, errPortInUse) {
		return err
	}
	b, _ := os.ReadFile(s.logPath())
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-20):]
	return fmt.Errorf("%w\n--- redis-server log (tail) ---\n%s", err, strings.Join(lines, "\n"))
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; startWithRetry handles that.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
