// Package pgtest runs a real PostgreSQL server for tests: a throwaway
// cluster in a temporary directory, listening on a free loopback port, with
// password (SCRAM) authentication over TCP so that password changes behave
// as they do in production.
//
// Start it once per test package from TestMain and Stop it after m.Run:
//
//	func TestMain(m *testing.M) {
//		srv, err := pgtest.Start()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		srv.Stop()
//		os.Exit(code)
//	}
//
// A machine without PostgreSQL server binaries gets an error from Start, so
// the package's tests fail rather than silently not running.
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// AdminUser is the cluster's superuser.
const AdminUser = "hush_admin"

// startTimeout bounds how long Start waits for the server to accept logins.
const startTimeout = 30 * time.Second

// Server is a running PostgreSQL cluster. Its methods are safe for
// concurrent use.
type Server struct {
	dir      string // temporary root: data dir, socket, log, password file
	bin      string // directory holding initdb and postgres
	port     int
	adminPW  string
	cred     *syscall.Credential // non-nil when running as root: run as postgres
	proc     *process
	stopOnce sync.Once
}

// Start creates a cluster and starts its server, retrying on a new port if
// another process took the chosen one. It blocks until the server accepts a
// login or startTimeout passes. Errors include the tail of the server log.
func Start() (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, adminPW: randomHex(16)}
	if err := s.prepare(); err != nil {
		s.removeDir()
		return nil, err
	}
	if err := s.startWithRetry(); err != nil {
		s.removeDir()
		return nil, err
	}
	return s, nil
}

// prepare makes the temporary directory and runs initdb in it.
func (s *Server) prepare() error {
	cred, err := dropPrivileges()
	if err != nil {
		return err
	}
	s.cred = cred
	if s.dir, err = makeDir(cred); err != nil {
		return err
	}
	return s.initdb()
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

// Stop shuts the server down (fast shutdown, then kill after a grace
// period) and removes its directory. Idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.proc != nil {
			s.proc.stop(15 * time.Second)
		}
		s.removeDir()
	})
}

func (s *Server) removeDir() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// Port is the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// DSN returns a URL for user with password on database db over TCP.
func (s *Server) DSN(user, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// AdminDSN returns the superuser's URL for the postgres database.
func (s *Server) AdminDSN() string { return s.AdminDSNFor("postgres") }

// AdminDSNFor returns the superuser's URL for database db.
func (s *Server) AdminDSNFor(db string) string { return s.DSN(AdminUser, s.adminPW, db) }

func (s *Server) logPath() string  { return filepath.Join(s.dir, "postgres.log") }
func (s *Server) dataPath() string { return filepath.Join(s.dir, "data") }

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; startWithRetry handles that.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
