package vaulttest

import (
	"fmt"
	"net/http"
	"time"
)

// TokenOptions shape a token the server issues.
type TokenOptions struct {
	TTL          time.Duration // 0: the token never expires
	MaxTTL       time.Duration // renewals never extend past issue time + MaxTTL; 0: no cap
	NonRenewable bool
	Policies     []string // informational; access is governed by Deny
}

type token struct {
	id, accessor string
	policies     []string
	ttl          time.Duration // increment used by a renewal that asks for none
	issued       time.Time
	expires      time.Time // zero: never
	maxExpires   time.Time // zero: no cap
	renewable    bool
	revoked      bool
	meta         map[string]string
}

func (t *token) valid(now time.Time) bool {
	return !t.revoked && (t.expires.IsZero() || now.Before(t.expires))
}

func (t *token) remaining(now time.Time) time.Duration {
	if t.expires.IsZero() {
		return 0
	}
	return max(t.expires.Sub(now), 0)
}

// addToken creates a token. Callers hold s.mu, except New.
func (s *Server) addToken(o TokenOptions, role string) *token {
	now := time.Now()
	t := &token{
		id: "hvs.canary-" + newID(10) + Marker, accessor: newID(12),
		policies: append([]string{"default"}, o.Policies...), ttl: o.TTL, issued: now,
		renewable: o.TTL > 0 && !o.NonRenewable, meta: map[string]string{},
	}
	if role != "" {
		t.meta["role_name"] = role
	}
	if o.TTL > 0 {
		t.expires = now.Add(o.TTL)
	}
	if o.MaxTTL > 0 {
		t.maxExpires = now.Add(o.MaxTTL)
		t.expires = minTime(t.expires, t.maxExpires)
	}
	s.tokens[t.id] = t
	return t
}

// CreateToken issues a token, as `vault token create` would.
func (s *Server) CreateToken(o TokenOptions) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addToken(o, "").id
}

// RevokeToken revokes a token and, with it, every lease it created.
func (s *Server) RevokeToken(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[id]; t != nil {
		t.revoked = true
	}
}

// RevokeRoleTokens revokes every token a login to role issued, as when an
// operator rotates a role's tokens; their leases die with them.
func (s *Server) RevokeRoleTokens(role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.meta["role_name"] == role {
			t.revoked = true
		}
	}
}

// TokenValid reports whether id is a live token.
func (s *Server) TokenValid(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	return t != nil && t.valid(time.Now())
}

type appRole struct {
	mount, name, roleID, secretID string
	opts                          TokenOptions
}

type kubeRole struct {
	mount, name, jwt string
	opts             TokenOptions
}

// AddAppRole enables AppRole at auth/<mount> (if needed) with one role.
func (s *Server) AddAppRole(mount, name, roleID, secretID string, o TokenOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approles[mount+"\x00"+roleID] = &appRole{mount: mount, name: name, roleID: roleID, secretID: secretID, opts: o}
}

// AddKubernetesRole enables Kubernetes auth at auth/<mount> (if needed) with
// one role that accepts exactly the service-account token jwt (the server
// does no TokenReview).
func (s *Server) AddKubernetesRole(mount, role, jwt string, o TokenOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kube[mount+"\x00"+role] = &kubeRole{mount: mount, name: role, jwt: jwt, opts: o}
}

// login serves POST auth/<mount>/login for AppRole and Kubernetes mounts.
func (s *Server) login(w http.ResponseWriter, req *request, mount string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[Logins]++
	var (
		t      *token
		status int
		msg    string
	)
	switch {
	case s.hasAuthMount(mount, true):
		t, status, msg = s.loginAppRole(mount, req.body)
	case s.hasAuthMount(mount, false):
		t, status, msg = s.loginKube(mount, req.body)
	default:
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", req.path))
		return
	}
	if t == nil {
		writeErrors(w, status, msg)
		return
	}
	resp := newResponse(nil)
	resp.Auth = t.auth(time.Now())
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) hasAuthMount(mount string, approle bool) bool {
	if approle {
		for _, r := range s.approles {
			if r.mount == mount {
				return true
			}
		}
		return false
	}
	for _, r := range s.kube {
		if r.mount == mount {
			return true
		}
	}
	return false
}

func (s *Server) loginAppRole(mount string, body map[string]any) (*token, int, string) {
	roleID, secretID := str(body, "role_id"), str(body, "secret_id")
	if roleID == "" {
		return nil, http.StatusBadRequest, "missing role_id"
	}
	r := s.approles[mount+"\x00"+roleID]
	if r == nil || r.secretID != secretID {
		return nil, http.StatusBadRequest, "invalid role or secret ID"
	}
	return s.addToken(r.opts, r.name), 0, ""
}

func (s *Server) loginKube(mount string, body map[string]any) (*token, int, string) {
	name, jwt := str(body, "role"), str(body, "jwt")
	r := s.kube[mount+"\x00"+name]
	switch {
	case jwt == "":
		return nil, http.StatusBadRequest, "missing jwt"
	case r == nil:
		return nil, http.StatusBadRequest, fmt.Sprintf("invalid role name %q", name)
	case r.jwt != jwt:
		return nil, http.StatusForbidden, "permission denied"
	}
	return s.addToken(r.opts, r.name), 0, ""
}

func (t *token) auth(now time.Time) *authBlock {
	return &authBlock{
		ClientToken: t.id, Accessor: t.accessor, Policies: t.policies, TokenPolicies: t.policies,
		Metadata: t.meta, LeaseDuration: secs(t.remaining(now)), Renewable: t.renewable,
		TokenType: "service", Orphan: true,
	}
}

func (s *Server) lookupSelf(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[TokenLookups]++
	t, now := req.tok, time.Now()
	data := map[string]any{
		"accessor": t.accessor, "creation_time": t.issued.Unix(), "creation_ttl": secs(t.ttl),
		"display_name": "token", "entity_id": "", "explicit_max_ttl": 0, "id": t.id,
		"issue_time": t.issued.UTC().Format(time.RFC3339Nano), "meta": t.meta, "num_uses": 0,
		"orphan": true, "path": "auth/token/create", "policies": t.policies,
		"renewable": t.renewable, "ttl": secs(t.remaining(now)), "type": "service", "expire_time": nil,
	}
	if !t.expires.IsZero() {
		data["expire_time"] = t.expires.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, newResponse(data))
}

// renewSelf extends the caller's token by the increment asked for (its
// original TTL when none), capped at its max TTL with Vault's warning.
func (s *Server) renewSelf(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[TokenRenewals]++
	t, now := req.tok, time.Now()
	if !t.renewable {
		writeErrors(w, http.StatusBadRequest, "lease is not renewable")
		return
	}
	inc := seconds(req.body, "increment")
	if inc <= 0 {
		inc = t.ttl
	}
	granted, warning := capTTL(now, inc, t.maxExpires)
	t.expires = now.Add(granted)
	resp := newResponse(nil)
	resp.Auth = t.auth(now)
	if warning != "" {
		resp.Warnings = []string{warning}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) revokeSelf(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.tok.revoked = true
	w.WriteHeader(http.StatusNoContent)
}

// capTTL returns the TTL a renewal grants: inc, or what is left before
// maxExpires, with Vault's warning when it capped.
func capTTL(now time.Time, inc time.Duration, maxExpires time.Time) (time.Duration, string) {
	if maxExpires.IsZero() || now.Add(inc).Before(maxExpires) || now.Add(inc).Equal(maxExpires) {
		return inc, ""
	}
	left := max(maxExpires.Sub(now), 0)
	return left, fmt.Sprintf("TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly",
		inc.String(), left.Round(time.Second).String())
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
