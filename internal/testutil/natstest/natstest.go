// Package natstest runs a real NATS server for tests, in-process from
// github.com/nats-io/nats-server/v2, on a free loopback port. The server
// requires authentication (users with passwords, NKey users, or a token;
// StartOperator runs one in operator mode that issues .creds), may run
// JetStream over a temporary store, and changes its credentials at
// runtime through the server's own config reload, which also disconnects
// clients whose credentials stopped being valid, as production servers do.
//
// Start one per test package from TestMain and Stop it after m.Run. Start
// returns an error when the server cannot start, so tests fail rather than
// silently not running.
package natstest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startTimeout bounds how long Start waits for the server to accept
// connections.
const startTimeout = 20 * time.Second

// Auth is the set of credentials the server accepts. A token and users
// cannot be combined (the server refuses it); NKey users combine with
// either.
type Auth struct {
	Users map[string]string // user name -> password
	NKeys []string          // public NKeys of NKey users ("U...")
	Token string
}

// Config configures Start.
type Config struct {
	Auth      Auth
	JetStream bool // enable JetStream with a temporary store
}

// Server is a running in-process NATS server. Safe for concurrent use.
type Server struct {
	srv      *server.Server
	storeDir string // JetStream store; empty without JetStream
	adminPW  string // the password of the harness's own user

	mu   sync.Mutex
	cfg  Config
	stop sync.Once
}

// AdminUser is the harness's own user, always present besides the users
// of Auth (unless Auth has a token), for subscribers and stream set-up.
const AdminUser = "hush-admin"

// Start starts a server with cfg and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, adminPW: "admin-" + randomHex(16)}
	if cfg.JetStream {
		dir, err := os.MkdirTemp("", "natstest-")
		if err != nil {
			return nil, fmt.Errorf("natstest: %w", err)
		}
		s.storeDir = dir
	}
	srv, err := server.NewServer(s.options(cfg.Auth))
	if err != nil {
		s.removeStore()
		return nil, fmt.Errorf("natstest: new server: %w", err)
	}
	s.srv = srv
	srv.Start()
	if !srv.ReadyForConnections(startTimeout) {
		s.Stop()
		return nil, errors.New("natstest: the server did not accept connections in time")
	}
	return s, nil
}

// options builds a fresh Options value: the server keeps the one it is
// given, so a reload needs a new one.
func (s *Server) options(a Auth) *server.Options {
	o := &server.Options{
		Host:   "127.0.0.1",
		Port:   server.RANDOM_PORT,
		NoLog:  true,
		NoSigs: true,
		// Without a system account the server sends no system events. Its
		// disconnect event for a client refused at reload reads the
		// client's counters without synchronisation, which the race
		// detector reports in every test that changes a password.
		NoSystemAccount: true,
		// No HTTP monitoring, clustering or leaf nodes: a test needs none.
		JetStream: s.storeDir != "",
		StoreDir:  s.storeDir,
	}
	if s.srv != nil {
		o.Port = s.port() // a reload must not change the port
	}
	if a.Token != "" {
		o.Authorization = a.Token
	} else {
		o.Users = []*server.User{{Username: AdminUser, Password: s.adminPW}}
		for name, pw := range a.Users {
			o.Users = append(o.Users, &server.User{Username: name, Password: pw})
		}
	}
	for _, k := range a.NKeys {
		o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: k})
	}
	return o
}

func (s *Server) port() int { return s.srv.Addr().(*net.TCPAddr).Port }

// SetAuth replaces the credentials the server accepts, through the
// server's config reload; clients whose credentials are no longer valid
// are disconnected with an authorization error.
func (s *Server) SetAuth(a Auth) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.srv.ReloadOptions(s.options(a)); err != nil {
		return fmt.Errorf("natstest: reload: %w", err)
	}
	s.cfg.Auth = a
	return nil
}

// Auth returns the credentials the server accepts now.
func (s *Server) Auth() Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Auth
}

// URL is the server's address, nats://127.0.0.1:port, without credentials.
func (s *Server) URL() string { return s.srv.ClientURL() }

// Addr is host:port.
func (s *Server) Addr() string { return s.srv.Addr().String() }

// Connect opens a connection as AdminUser; the caller closes it.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.UserInfo(AdminUser, s.adminPW), nats.Name("natstest-admin")}, opts...)
	nc, err := nats.Connect(s.URL(), opts...)
	if err != nil {
		return nil, fmt.Errorf("natstest: connect as admin: %w", err)
	}
	return nc, nil
}

// Clients counts the client connections of user (all users when empty).
func (s *Server) Clients(user string) (int, error) {
	c, err := s.srv.Connz(&server.ConnzOptions{User: user})
	if err != nil {
		return 0, fmt.Errorf("natstest: connz: %w", err)
	}
	return c.NumConns, nil
}

// Stop shuts the server down and removes its store. Idempotent.
func (s *Server) Stop() {
	s.stop.Do(func() {
		if s.srv != nil {
			s.srv.Shutdown()
			s.srv.WaitForShutdown()
		}
		s.removeStore()
	})
}

func (s *Server) removeStore() {
	if s.storeDir != "" {
		_ = os.RemoveAll(s.storeDir)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
