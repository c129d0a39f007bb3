// Package awssmtest is a protocol-faithful AWS Secrets Manager test server:
// the subset of the service that Hush's awssm provider and a rotation
// function use, over the JSON 1.1 protocol the official SDK speaks (POST /,
// Content-Type application/x-amz-json-1.1, X-Amz-Target
// secretsmanager.<Operation>, errors as {"__type", "message"}).
//
// It serves GetSecretValue, DescribeSecret, PutSecretValue,
// UpdateSecretVersionStage and ListSecretVersionIds with Secrets Manager's
// version and staging-label bookkeeping: each label sits on at most one
// version; moving AWSCURRENT moves AWSPREVIOUS to the version it left.
// Rotation performs the four steps of a rotation function (createSecret,
// setSecret, testSecret, finishSecret) one at a time.
//
// Every request must carry a SigV4 Authorization header scoped to the
// server's region and the secretsmanager service; the signature itself is
// not verified. Faults (throttling, internal errors, access denied,
// decryption failure, slowness, refused connections) and per-operation
// counters let tests check behaviour under outages and bound the requests
// a client makes.
//
// The server keeps no goroutines of its own and reads time through the
// time package, so it works inside a testing/synctest bubble when reached
// through Client (in memory). Listen serves the same handler over loopback.
package awssmtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Addr is the endpoint to give the SDK with Client: any host works, since
// the in-memory transport never dials.
const Addr = "http://secretsmanager.test"

// Account is the account id in every ARN the server makes.
const Account = "123456789012"

// Counter names for Count, besides the operation names themselves
// ("GetSecretValue", "DescribeSecret"...), which count requests that
// reached the operation.
const (
	Requests = "requests"       // every request that reached the handler
	Rejected = "fault_rejected" // requests answered by an injected fault
	Unsigned = "unsigned"       // requests refused for their Authorization header
)

// Fault kinds.
const (
	Throttle     = "ThrottlingException"   // 400, retryable throttling
	Internal     = "InternalServiceError"  // 500
	AccessDenied = "AccessDeniedException" // 400, a policy without the action
	Decryption   = "DecryptionFailure"     // 400, KMS cannot decrypt
	Down         = "down"                  // the connection is refused
)

// Fault is injected failure. The zero Fault is no failure.
type Fault struct {
	Kind  string        // one of the fault kinds; empty: only Delay applies
	Delay time.Duration // each answer is delayed (the request's context still wins)
	// Ops limits the fault to these operations; empty means every one.
	Ops []string
	// Secrets limits the fault to requests for these secret names; empty
	// means every secret.
	Secrets []string
	// Times ends the fault after it answered this many requests; zero
	// means until it is replaced.
	Times int
}

// Server is an in-process Secrets Manager for one region. Safe for
// concurrent use.
type Server struct {
	region string

	mu       sync.Mutex
	secrets  map[string]*secretEntry // by name
	fault    Fault
	counts   map[string]int
	keys     map[string]int // access key ids seen in credential scopes
	listener *httptest.Server
}

// New returns an empty server answering for region.
func New(region string) *Server {
	return &Server{region: region, secrets: map[string]*secretEntry{}, counts: map[string]int{}, keys: map[string]int{}}
}

// Region is the region the server answers for.
func (s *Server) Region() string { return s.region }

// Client returns an HTTP client that reaches the server in memory, for the
// SDK's HTTPClient option with BaseEndpoint set to Addr.
func (s *Server) Client() *http.Client { return &http.Client{Transport: transport{s}} }

// Listen serves the handler on a loopback port until the test ends and
// returns its URL, for the SDK's BaseEndpoint.
func (s *Server) Listen(t testing.TB) string {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.mu.Lock()
	s.listener = srv
	s.mu.Unlock()
	return srv.URL
}

// SetFault replaces the injected fault; Fault{} clears it.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Count returns a counter: an operation name or one of the counter names.
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

// AccessKeys returns how many requests were signed with each access key id.
func (s *Server) AccessKeys() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.keys))
	for k, v := range s.keys {
		out[k] = v
	}
	return out
}

// ServeHTTP implements the JSON 1.1 protocol described in the package
// comment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(Requests)
	op, ok := s.checkRequest(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "request body is not a JSON object")
		return
	}
	if s.injected(w, r, op, str(in, "SecretId")) {
		return
	}
	h, ok := operations[op]
	if !ok {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation")
		return
	}
	s.count(op)
	status, out := h(s, in)
	writeJSON(w, status, out)
}

// operations answer a decoded request with a status and a body; an error
// body is an *apiError.
var operations = map[string]func(*Server, map[string]any) (int, any){
	"GetSecretValue":           (*Server).getSecretValue,
	"DescribeSecret":           (*Server).describeSecret,
	"PutSecretValue":           (*Server).putSecretValue,
	"UpdateSecretVersionStage": (*Server).updateSecretVersionStage,
	"ListSecretVersionIds":     (*Server).listSecretVersionIds,
}

// checkRequest checks method, path, content type, target and signature
// header, answering when one is wrong. It returns the operation name.
func (s *Server) checkRequest(w http.ResponseWriter, r *http.Request) (string, bool) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		writeError(w, http.StatusNotFound, "UnknownOperationException", "POST / only")
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		writeError(w, http.StatusBadRequest, "SerializationException", "content type must be application/x-amz-json-1.1")
	case !strings.HasPrefix(target, "secretsmanager."):
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target must be secretsmanager.<Operation>")
	default:
		return strings.TrimPrefix(target, "secretsmanager."), s.checkSignature(w, r)
	}
	return "", false
}

// sigV4 is the shape of a SigV4 Authorization header.
var sigV4 = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$`)

// checkSignature checks that the request is signed with SigV4 for this
// region and service, with the headers a signature must cover. It does not
// verify the signature: the server knows no secret keys.
func (s *Server) checkSignature(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	m := sigV4.FindStringSubmatch(auth)
	date := r.Header.Get("X-Amz-Date")
	switch {
	case auth == "":
		s.refuse(w, "MissingAuthenticationTokenException", "request is missing Authentication Token")
	case m == nil || len(date) != 16 || !strings.HasPrefix(date, m[2]):
		s.refuse(w, "IncompleteSignatureException", "authorization header is not a well-formed SigV4 signature")
	case m[3] != s.region || m[4] != "secretsmanager":
		s.refuse(w, "InvalidSignatureException", "credential should be scoped to region "+s.region+" and service secretsmanager")
	case !signs(m[5], "host", "x-amz-date", "x-amz-target"):
		s.refuse(w, "IncompleteSignatureException", "signed headers must include host, x-amz-date and x-amz-target")
	default:
		s.mu.Lock()
		s.keys[m[1]]++
		s.mu.Unlock()
		return true
	}
	return false
}

func (s *Server) refuse(w http.ResponseWriter, code, msg string) {
	s.count(Unsigned)
	writeError(w, http.StatusForbidden, code, msg)
}

func signs(signed string, headers ...string) bool {
	list := strings.Split(signed, ";")
	for _, h := range headers {
		found := false
		for _, l := range list {
			found = found || l == h
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Server) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[name]++
}

// injected answers a request under the current fault and reports whether it
// did. Called without s.mu held, since a delay waits.
func (s *Server) injected(w http.ResponseWriter, r *http.Request, op, secretID string) bool {
	f, ok := s.takeFault(op, secretID)
	if !ok {
		return false
	}
	if f.Delay > 0 && !sleep(r, f.Delay) {
		return true
	}
	status := http.StatusBadRequest
	switch f.Kind {
	case "":
		return false
	case Down:
		hangUp(w)
		s.count(Rejected)
		return true
	case Internal:
		status = http.StatusInternalServerError
	}
	s.count(Rejected)
	writeError(w, status, f.Kind, "injected "+f.Kind)
	return true
}

// takeFault returns the fault that applies to a request, counting it
// against Times.
func (s *Server) takeFault(op, secretID string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fault
	if !f.applies(op, s.nameOf(secretID)) {
		return f, false
	}
	if f.Times > 0 {
		if s.fault.Times--; s.fault.Times == 0 {
			s.fault = Fault{}
		}
	}
	return f, true
}

func (f Fault) applies(op, name string) bool {
	return (len(f.Ops) == 0 || contains(f.Ops, op)) && (len(f.Secrets) == 0 || contains(f.Secrets, name))
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
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

// hangUp closes the connection without an answer, as a dead endpoint does.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	w.Header().Set(hangUpHeader, "1")
}

// hangUpHeader tells the in-memory transport to fail like a refused dial.
const hangUpHeader = "X-Awssmtest-Hang-Up"

// apiError is an error body in the JSON 1.1 protocol.
type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, &apiError{Type: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if e, ok := v.(*apiError); ok {
		w.Header().Set("X-Amzn-ErrorType", e.Type)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// transport reaches the handler without a network, so a synctest bubble
// sees only channel and timer waits.
type transport struct{ s *Server }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
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
	if rec.Header().Get(hangUpHeader) != "" {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
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

// str returns a string member of a request, or "".
func str(in map[string]any, key string) string {
	v, _ := in[key].(string)
	return v
}
