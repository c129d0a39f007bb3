package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

var errPortInUse = errors.New("port in use")

// findBinDir locates initdb and postgres: pg_config's bindir first, then
// the newest /usr/lib/postgresql/<version>/bin.
func findBinDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { return pgVersion(versioned[i]) > pgVersion(versioned[j]) })
	for _, d := range append(dirs, versioned...) {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found " +
		"via pg_config --bindir or /usr/lib/postgresql/*/bin; install the postgresql package")
}

// pgVersion extracts the major version from /usr/lib/postgresql/<v>/bin.
func pgVersion(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// dropPrivileges returns the credential of the postgres user when running
// as root, since PostgreSQL refuses to run as root; nil otherwise.
func dropPrivileges() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs a postgres user to run the server: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// makeDir creates the temporary root, owned by the server's user. As root
// it lives under /tmp, since $TMPDIR may sit where postgres cannot reach.
func makeDir(cred *syscall.Credential) (string, error) {
	parent := ""
	if cred != nil {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, "pgtest-")
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	return dir, nil
}

// command builds a command that runs as the server's user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	return cmd
}

// writeFile writes a file the server's user can read.
func (s *Server) writeFile(name, content string) (string, error) {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if s.cred != nil {
		if err := os.Chown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
	}
	return path, nil
}

// initdb creates the cluster with SCRAM password authentication for every
// connection, so that a changed password really locks the old one out.
func (s *Server) initdb() error {
	pwfile, err := s.writeFile("admin.pw", s.adminPW+"\n")
	if err != nil {
		return err
	}
	defer os.Remove(pwfile)
	cmd := s.command("initdb", "-D", s.dataPath(), "-U", AdminUser, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, tail(out, 20))
	}
	return nil
}

// start launches postgres on s.port and waits until it accepts a login.
func (s *Server) start() error {
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := s.command("postgres", s.serverArgs()...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL // never outlive a crashed test binary
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	if err := s.waitReady(p); err != nil {
		p.stop(5 * time.Second)
		return s.withLog(err)
	}
	s.proc = p
	return nil
}

// serverArgs trade durability for speed: a test cluster is thrown away.
func (s *Server) serverArgs() []string {
	return []string{
		"-D", s.dataPath(), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB",
		"-c", "logging_collector=off",
		"-c", "log_min_error_statement=panic", // statements may hold test passwords
	}
}

// waitReady polls with real logins until one succeeds, the process exits,
// or startTimeout passes.
func (s *Server) waitReady(p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = s.tryLogin(ctx); last == nil {
			return nil
		}
		select {
		case <-p.exited:
			if s.logContains("could not bind", "Address already in use") {
				return errPortInUse
			}
			return fmt.Errorf("pgtest: postgres exited during startup: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres not ready after %s: %v", startTimeout, last)
		case <-tick.C:
		}
	}
}

func (s *Server) tryLogin(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.AdminDSN())
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// withLog appends the tail of the server log to err.
func (s *Server) withLog(err error) error {
	if errors.Is(err, errPortInUse) {
		return err
	}
	b, _ := os.ReadFile(s.logPath())
	return fmt.Errorf("%w\n--- postgres log (tail) ---\n%s", err, tail(b, 30))
}

func (s *Server) logContains(subs ...string) bool {
	b, _ := os.ReadFile(s.logPath())
	for _, sub := range subs {
		if bytes.Contains(b, []byte(sub)) {
			return true
		}
	}
	return false
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// process is a started child and its exit.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait returns
	err    error         // Wait's result; read after exited is closed
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop asks for a fast shutdown (SIGINT) and kills the process group if it
// has not exited within grace. It returns once the process has exited.
func (p *process) stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}
