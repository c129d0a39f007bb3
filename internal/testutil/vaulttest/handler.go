package vaulttest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// response is Vault's common response envelope (api.Secret on the client).
type response struct {
	RequestID     string         `json:"request_id"`
	LeaseID       string         `json:"lease_id"`
	Renewable     bool           `json:"renewable"`
	LeaseDuration int            `json:"lease_duration"`
	Data          map[string]any `json:"data"`
	WrapInfo      any            `json:"wrap_info"`
	Warnings      []string       `json:"warnings"`
	Auth          *authBlock     `json:"auth"`
	MountType     string         `json:"mount_type,omitempty"`
}

// authBlock is the "auth" object of a login or token renewal.
type authBlock struct {
	ClientToken   string            `json:"client_token"`
	Accessor      string            `json:"accessor"`
	Policies      []string          `json:"policies"`
	TokenPolicies []string          `json:"token_policies"`
	Metadata      map[string]string `json:"metadata"`
	LeaseDuration int               `json:"lease_duration"`
	Renewable     bool              `json:"renewable"`
	EntityID      string            `json:"entity_id"`
	TokenType     string            `json:"token_type"`
	Orphan        bool              `json:"orphan"`
}

// request is one call after routing: the path after /v1/, the decoded JSON
// body and the caller's token (nil before authentication).
type request struct {
	r    *http.Request
	path string
	body map[string]any
	tok  *token
}

// ServeHTTP implements the Vault HTTP API subset described in the package
// comment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		writeErrors(w, http.StatusNotFound)
		return
	}
	req := &request{r: r, path: strings.TrimPrefix(r.URL.Path, "/v1/")}
	s.note(r)
	if s.injected(w, r, req.path) {
		return
	}
	if req.path == "sys/health" {
		writeJSON(w, http.StatusOK, s.health(false))
		return
	}
	if !decodeBody(w, req) {
		return
	}
	if mount, ok := loginMount(req.path); ok && isWrite(r) {
		s.login(w, req, mount)
		return
	}
	if !s.authorize(w, req) {
		return
	}
	s.route(w, req)
}

func (s *Server) note(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[Requests]++
	if ns := r.Header.Get("X-Vault-Namespace"); ns != "" {
		s.spaces[ns]++
	}
}

func (s *Server) route(w http.ResponseWriter, req *request) {
	switch p := req.path; {
	case strings.HasPrefix(p, "sys/internal/ui/mounts/") && req.r.Method == http.MethodGet:
		s.mountInfo(w, strings.TrimPrefix(p, "sys/internal/ui/mounts/"))
	case p == "sys/leases/renew" && isWrite(req.r):
		s.renewLease(w, req)
	case p == "sys/leases/lookup" && isWrite(req.r):
		s.lookupLease(w, req)
	case p == "sys/leases/revoke" && isWrite(req.r):
		s.revokeLease(w, req)
	case p == "auth/token/lookup-self" && req.r.Method == http.MethodGet:
		s.lookupSelf(w, req)
	case p == "auth/token/renew-self" && isWrite(req.r):
		s.renewSelf(w, req)
	case p == "auth/token/revoke-self" && isWrite(req.r):
		s.revokeSelf(w, req)
	case req.r.Method == http.MethodGet:
		s.read(w, req)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}

// authorize checks the X-Vault-Token header and the deny list. Vault
// answers a missing, unknown or expired token with 403 permission denied.
func (s *Server) authorize(w http.ResponseWriter, req *request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.tokens[req.r.Header.Get("X-Vault-Token")]
	if tok == nil || !tok.valid(time.Now()) {
		writeErrors(w, http.StatusForbidden, "permission denied", "invalid token")
		return false
	}
	req.tok = tok
	if tok.id == s.root {
		return true
	}
	for _, p := range s.deny {
		if strings.HasPrefix(req.path, p) {
			writeErrors(w, http.StatusForbidden, "1 error occurred:\n\t* permission denied\n\n")
			return false
		}
	}
	return true
}

func isWrite(r *http.Request) bool { return r.Method == http.MethodPut || r.Method == http.MethodPost }

// loginMount returns the auth mount of auth/<mount>/login.
func loginMount(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "auth/")
	if !ok {
		return "", false
	}
	mount, ok := strings.CutSuffix(rest, "/login")
	return mount, ok && mount != "" && mount != "token"
}

func decodeBody(w http.ResponseWriter, req *request) bool {
	req.body = map[string]any{}
	if !isWrite(req.r) || req.r.ContentLength == 0 {
		return true
	}
	dec := json.NewDecoder(req.r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req.body); err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to parse JSON input") // Vault's own words, as clients see them
		return false
	}
	return true
}

func (s *Server) health(sealed bool) map[string]any {
	return map[string]any{
		"initialized": true, "sealed": sealed, "standby": false, "performance_standby": false,
		"replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
		"server_time_utc": time.Now().Unix(), "version": "1.17.0",
		"cluster_name": "vault-cluster-vaulttest", "cluster_id": "00000000-0000-0000-0000-000000000000",
	}
}

func newResponse(data map[string]any) *response {
	return &response{RequestID: uuid(), Data: data}
}

// writeJSON writes v with Vault's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErrors writes Vault's error body: {"errors": [...]}, an empty list
// when there is nothing to say (Vault's plain 404).
func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, status, map[string][]string{"errors": msgs})
}

// str reads a string field of a JSON body.
func str(body map[string]any, key string) string {
	v, _ := body[key].(string)
	return v
}

// seconds reads a duration field given in seconds (a number or a numeric
// string, as Vault accepts both); 0 when absent.
func seconds(body map[string]any, key string) time.Duration {
	switch v := body[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return time.Duration(n) * time.Second
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			n, _ := json.Number(v).Int64()
			return time.Duration(n) * time.Second
		}
		return d
	}
	return 0
}

func secs(d time.Duration) int { return int(d.Round(time.Second) / time.Second) }
