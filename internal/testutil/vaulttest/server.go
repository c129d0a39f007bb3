// Package vaulttest is a protocol-faithful HashiCorp Vault test server: the
// subset of Vault's HTTP API that Hush's vault provider uses, with Vault's
// paths, methods, JSON shapes and status codes, for tests driven through the
// official client (github.com/hashicorp/vault/api).
//
// It serves KV v1 and v2 mounts (versions, soft deletes, metadata), a
// database-like credentials engine with leases (default and max TTL, renew
// with max-TTL capping, revoke, non-renewable roles), tokens with TTLs
// (lookup-self, renew-self, revoke-self), AppRole and Kubernetes logins,
// sys/health and sys/internal/ui/mounts. Leases belong to the token that
// created them and die with it, as in Vault.
//
// A credentials role can make its users real through hooks (Role.Create,
// Renew, Drop), e.g. CREATE ROLE ... VALID UNTIL on a test PostgreSQL and
// DROP ROLE when the lease ends; Reap notices expired leases.
//
// Faults (down, sealed, an HTTP status, slowness, permission denied) and
// counters (requests, renewals, revocations, logins...) let tests check
// behaviour under outages and count the requests a client makes.
//
// The server keeps no goroutines of its own and reads time through the time
// package, so it works inside a testing/synctest bubble when reached through
// Transport (in memory). Listen serves the same handler over loopback HTTP.
// Every generated token and password contains "-NOT-REAL", so leak checks can
// look for it.
package vaulttest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Marker appears in every token and password the server generates.
const Marker = "-NOT-REAL"

// Counter names for Count.
const (
	Requests      = "requests"       // every request that reached the handler
	KVReads       = "kv_read"        // KV v1 and v2 reads
	CredsIssued   = "creds"          // credentials issued (new leases)
	LeaseRenewals = "lease_renew"    // sys/leases/renew calls
	Revocations   = "lease_revoke"   // sys/leases/revoke calls
	LeaseLookups  = "lease_lookup"   // sys/leases/lookup calls
	Logins        = "login"          // approle and kubernetes logins
	TokenRenewals = "token_renew"    // auth/token/renew-self calls
	TokenLookups  = "token_lookup"   // auth/token/lookup-self calls
	MountLookups  = "mount_lookup"   // sys/internal/ui/mounts/<path> calls
	Rejected      = "fault_rejected" // requests answered by an injected fault
)

// Fault is injected failure. The zero Fault is no failure.
type Fault struct {
	Down   bool          // connections are refused
	Sealed bool          // every request gets 503 "Vault is sealed"
	Status int           // every request gets this status with a Vault error body
	Delay  time.Duration // each answer is delayed (the request's context still wins)
	// Message replaces the error text of a Status fault, e.g. to check that
	// a client never repeats what a server says.
	Message string
	// Paths limits the fault to requests whose path (after /v1/) starts with
	// one of these prefixes; empty means every path.
	Paths []string
}

// Server is an in-process Vault. Safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	root     string
	tokens   map[string]*token
	mounts   map[string]*mount // "secret/" -> mount
	leases   map[string]*lease
	approles map[string]*appRole // role_id -> role
	kube     map[string]*kubeRole
	deny     []string
	fault    Fault
	counts   map[string]int
	spaces   map[string]int // X-Vault-Namespace values seen
	listener *httptest.Server
}

// New returns a server with a root token and no mounts. Tests add mounts,
// roles and tokens with the methods below.
func New() *Server {
	s := &Server{
		tokens: map[string]*token{}, mounts: map[string]*mount{}, leases: map[string]*lease{},
		approles: map[string]*appRole{}, kube: map[string]*kubeRole{},
		counts: map[string]int{}, spaces: map[string]int{},
	}
	s.root = s.addToken(TokenOptions{Policies: []string{"root"}}, "").id
	return s
}

// Addr is the address to give the client with Transport: any host works,
// since the transport never dials.
const Addr = "http://vault.test:8200"

// RootToken returns the root token. It never expires.
func (s *Server) RootToken() string { return s.root }

// Client returns an HTTP client that reaches the server in memory, for
// api.Config.HttpClient with Address set to Addr.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.Transport()} }

// Transport returns a RoundTripper that calls the handler in memory.
func (s *Server) Transport() http.RoundTripper { return transport{s} }

// Listen serves the handler on a loopback port until the test ends and
// returns its URL. A Down fault then closes connections without answering.
func (s *Server) Listen(t testing.TB) string {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.mu.Lock()
	s.listener = srv
	s.mu.Unlock()
	return srv.URL
}

// ListenTLS serves the handler over HTTPS on a loopback port until the test
// ends. It returns the URL and a PEM file holding the server's certificate
// (valid for 127.0.0.1 and example.com) to use as the CA.
func (s *Server) ListenTLS(t testing.TB) (url, caFile string) {
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what tests provoke
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.mu.Lock()
	s.listener = srv
	s.mu.Unlock()
	caFile = filepath.Join(t.TempDir(), "vault-ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, block, 0o600); err != nil {
		t.Fatalf("write CA: %v", err)
	}
	return srv.URL, caFile
}

// SetFault replaces the injected fault; Fault{} clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Deny answers 403 "permission denied" to every non-root token for paths
// starting with prefix (after /v1/), like a policy without that path.
func (s *Server) Deny(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = append(s.deny, prefix)
}

// Count returns a counter (see the counter names).
func (s *Server) Count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// ResetCounts sets every counter to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}

// Namespaces returns how many requests carried each X-Vault-Namespace.
func (s *Server) Namespaces() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.spaces))
	for k, v := range s.spaces {
		out[k] = v
	}
	return out
}

// transport reaches the handler without a network, so a synctest bubble
// sees only channel and timer waits.
type transport struct{ s *Server }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	if t.s.isDown(strings.TrimPrefix(req.URL.Path, "/v1/")) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, in)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

func (s *Server) isDown(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault.Down && s.fault.applies(path) {
		s.counts[Rejected]++
		return true
	}
	return false
}

func (f Fault) applies(path string) bool {
	if len(f.Paths) == 0 {
		return true
	}
	for _, p := range f.Paths {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// injected answers a request under the current fault and reports whether it
// did. Called without s.mu held, since a delay waits.
func (s *Server) injected(w http.ResponseWriter, r *http.Request, path string) bool {
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if !f.applies(path) {
		return false
	}
	if f.Delay > 0 && !sleep(r, f.Delay) {
		return true
	}
	switch {
	case f.Down:
		s.count(Rejected)
		hangUp(w)
	case f.Sealed && path == "sys/health":
		s.count(Rejected)
		writeJSON(w, http.StatusServiceUnavailable, s.health(true))
	case f.Sealed:
		s.count(Rejected)
		writeErrors(w, http.StatusServiceUnavailable, "Vault is sealed")
	case f.Status != 0:
		s.count(Rejected)
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		writeErrors(w, f.Status, msg)
	default:
		return false
	}
	return true
}

// sleep waits d or until the client gives up; it reports whether d passed.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// hangUp closes the connection without an answer, as a dying server would.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeErrors(w, http.StatusBadGateway, "connection reset")
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func (s *Server) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}

// newID returns n random bytes in hex.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("vaulttest: no randomness"))
	}
	return hex.EncodeToString(b)
}

// uuid returns a random UUID-shaped id, as Vault's request ids and lease
// suffixes are.
func uuid() string {
	h := newID(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
