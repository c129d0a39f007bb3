package vaulttest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// kvV1LeaseDuration is the refresh hint Vault returns with KV v1 reads (32
// days); it comes without a lease id.
const kvV1LeaseDuration = 2764800

type mount struct {
	path     string // with a trailing slash, as Vault names mounts
	typ      string // "kv" or "database"
	version  int    // kv only: 1 or 2
	accessor string
	kv       map[string][]*kvVersion // key -> versions, oldest first
	roles    map[string]Role
}

type kvVersion struct {
	data    map[string]any
	created time.Time
	deleted time.Time
}

// Role configures credentials issued at <mount>/creds/<name>.
type Role struct {
	TTL          time.Duration // lease duration; default 1h
	MaxTTL       time.Duration // renewals never extend past issue time + MaxTTL; 0: no cap
	NonRenewable bool
	// Password, when set, is issued instead of a generated one.
	Password string
	// Create, when set, makes issued credentials real before they are
	// handed out (e.g. CREATE ROLE ... VALID UNTIL on a test database); an
	// error answers 500, as Vault does when a database plug-in fails.
	Create func(ctx context.Context, username, password string, expires time.Time) error
	// Renew, when set, moves the credentials' end on a lease renewal
	// (ALTER ROLE ... VALID UNTIL); an error fails the renewal with 500.
	Renew func(ctx context.Context, username string, expires time.Time) error
	// Drop, when set, is called once per issued username when its lease
	// ends: revoked (by a client or RevokeLease), or found over by Reap
	// (expired, or its token died).
	Drop func(username string)
}

type lease struct {
	id, token  string
	issued     time.Time
	ttl        time.Duration
	expires    time.Time
	maxExpires time.Time
	renewable  bool
	revoked    bool
	data       map[string]any
	role       Role // for its hooks
	dropped    bool // Drop was called
}

func (l *lease) username() string { return str(l.data, "username") }

// dropLocked marks l dropped and returns the call to make once s.mu is
// released (nil when there is none).
func (l *lease) dropLocked() func() {
	if l.dropped || l.role.Drop == nil {
		return nil
	}
	l.dropped = true
	drop, user := l.role.Drop, l.username()
	return func() { drop(user) }
}

// Reap drops the credentials of every lease that is over (expired, or its
// token died) and returns how many it dropped. The server has no goroutine
// of its own: a test that needs expiry to take effect calls Reap.
func (s *Server) Reap() int {
	s.mu.Lock()
	var calls []func()
	now := time.Now()
	for _, l := range s.leases {
		if !s.leaseValid(l, now) {
			if f := l.dropLocked(); f != nil {
				calls = append(calls, f)
			}
		}
	}
	s.mu.Unlock()
	for _, f := range calls {
		f()
	}
	return len(calls)
}

// MountKV enables a KV secrets engine of version 1 or 2 at path.
func (s *Server) MountKV(path string, version int) {
	s.addMount(&mount{path: path, typ: "kv", version: version, kv: map[string][]*kvVersion{}})
}

// MountDatabase enables a database-like credentials engine at path.
func (s *Server) MountDatabase(path string) {
	s.addMount(&mount{path: path, typ: "database", roles: map[string]Role{}})
}

func (s *Server) addMount(m *mount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.path = strings.Trim(m.path, "/") + "/"
	m.accessor = m.typ + "_" + newID(4)
	s.mounts[m.path] = m
}

// PutKV writes data at key of a KV mount and returns the new version (KV v2)
// or 0 (KV v1, which keeps no history).
func (s *Server) PutKV(mountPath, key string, data map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMount(mountPath, "kv")
	v := &kvVersion{data: data, created: time.Now()}
	if m.version == 1 {
		m.kv[key] = []*kvVersion{v}
		return 0
	}
	m.kv[key] = append(m.kv[key], v)
	return len(m.kv[key])
}

// DeleteKV deletes key: KV v2 soft-deletes its latest version (reads answer
// 404 with the metadata), KV v1 removes it.
func (s *Server) DeleteKV(mountPath, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mustMount(mountPath, "kv")
	if m.version == 1 {
		delete(m.kv, key)
		return
	}
	if vs := m.kv[key]; len(vs) > 0 {
		vs[len(vs)-1].deleted = time.Now()
	}
}

// SetRole creates or replaces a credentials role; it applies to leases
// issued from now on.
func (s *Server) SetRole(mountPath, name string, r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.TTL <= 0 {
		r.TTL = time.Hour
	}
	s.mustMount(mountPath, "database").roles[name] = r
}

// DeleteRole removes a role; reading its credentials then fails like Vault.
func (s *Server) DeleteRole(mountPath, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mustMount(mountPath, "database").roles, name)
}

func (s *Server) mustMount(path, typ string) *mount {
	m := s.mounts[strings.Trim(path, "/")+"/"]
	if m == nil || m.typ != typ {
		panic(fmt.Sprintf("vaulttest: no %s mount at %q", typ, path))
	}
	return m
}

// RevokeLease revokes a lease as an operator would, without counting it
// as a client's revocation.
func (s *Server) RevokeLease(id string) {
	s.mu.Lock()
	var drop func()
	if l := s.leases[id]; l != nil {
		l.revoked = true
		drop = l.dropLocked()
	}
	s.mu.Unlock()
	if drop != nil {
		drop()
	}
}

// LeaseState is what the server knows of a lease.
type LeaseState int

// Lease states.
const (
	LeaseUnknown LeaseState = iota
	LeaseActive
	LeaseExpired // its TTL ran out, or its token died
	LeaseRevoked // revoked through sys/leases/revoke
)

// Lease returns the state of a lease.
func (s *Server) Lease(id string) LeaseState {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.leases[id]
	switch {
	case l == nil:
		return LeaseUnknown
	case l.revoked:
		return LeaseRevoked
	case !s.leaseValid(l, time.Now()):
		return LeaseExpired
	}
	return LeaseActive
}

// ActiveLeases lists the ids of live leases, sorted.
func (s *Server) ActiveLeases() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	now := time.Now()
	for id, l := range s.leases {
		if s.leaseValid(l, now) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// leaseValid: a lease lives until revoked or expired, and dies with the
// token that created it. Callers hold s.mu.
func (s *Server) leaseValid(l *lease, now time.Time) bool {
	t := s.tokens[l.token]
	return !l.revoked && now.Before(l.expires) && t != nil && t.valid(now)
}

// findMount returns the mount that path falls under (longest match).
func (s *Server) findMount(path string) (*mount, string) {
	var best *mount
	for p, m := range s.mounts {
		if strings.HasPrefix(path+"/", p) && (best == nil || len(p) > len(best.path)) {
			best = m
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, strings.TrimPrefix(strings.TrimPrefix(path+"/", best.path), "/")
}

// read serves GET on a mounted path.
func (s *Server) read(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, rest := s.findMount(req.path)
	rest = strings.TrimSuffix(rest, "/")
	switch {
	case m == nil:
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", req.path))
	case m.typ == "kv" && m.version == 1:
		s.counts[KVReads]++
		s.readKV1(w, m, rest)
	case m.typ == "kv":
		s.counts[KVReads]++
		s.readKV2(w, req, m, rest)
	default:
		s.mu.Unlock() // a role's Create hook may take its time
		s.issueCreds(w, req, m, rest)
		s.mu.Lock()
	}
}

func (s *Server) readKV1(w http.ResponseWriter, m *mount, key string) {
	vs := m.kv[key]
	if len(vs) == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	resp := newResponse(vs[0].data)
	resp.LeaseDuration, resp.MountType = kvV1LeaseDuration, "kv"
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) readKV2(w http.ResponseWriter, req *request, m *mount, rest string) {
	key, ok := strings.CutPrefix(rest, "data/")
	if !ok {
		resp := newResponse(nil)
		resp.Warnings = []string{"Invalid path for a versioned K/V secrets engine. See the API docs for the " +
			"appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."}
		writeJSON(w, http.StatusNotFound, resp)
		return
	}
	vs := m.kv[key]
	n := len(vs)
	if q := req.r.URL.Query().Get("version"); q != "" && q != "0" {
		n, _ = strconv.Atoi(q)
	}
	if n < 1 || n > len(vs) {
		writeErrors(w, http.StatusNotFound)
		return
	}
	v := vs[n-1]
	resp := newResponse(map[string]any{"data": v.data, "metadata": v.metadata(n)})
	resp.MountType = "kv"
	if !v.deleted.IsZero() {
		resp.Data["data"] = nil
		writeJSON(w, http.StatusNotFound, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (v *kvVersion) metadata(n int) map[string]any {
	del := ""
	if !v.deleted.IsZero() {
		del = v.deleted.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{
		"created_time": v.created.UTC().Format(time.RFC3339Nano), "custom_metadata": nil,
		"deletion_time": del, "destroyed": false, "version": n,
	}
}

// issueCreds serves GET <mount>/creds/<role> with a new lease owned by the
// caller's token. Called without s.mu held.
func (s *Server) issueCreds(w http.ResponseWriter, req *request, m *mount, rest string) {
	name, ok := strings.CutPrefix(rest, "creds/")
	if !ok {
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	s.mu.Lock()
	r, ok := m.roles[name]
	s.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusBadRequest, "unknown role: "+name)
		return
	}
	l := newLease(m.path+"creds/"+name, req.tok.id, r)
	if r.Create != nil {
		if err := r.Create(req.r.Context(), l.username(), str(l.data, "password"), l.expires); err != nil {
			writeErrors(w, http.StatusInternalServerError, "1 error occurred:\n\t* failed to create user\n\n")
			return
		}
	}
	s.mu.Lock()
	s.counts[CredsIssued]++
	s.leases[l.id] = l
	s.mu.Unlock()
	resp := newResponse(l.data)
	resp.LeaseID, resp.LeaseDuration, resp.Renewable, resp.MountType = l.id, secs(l.ttl), l.renewable, m.typ
	writeJSON(w, http.StatusOK, resp)
}

func newLease(prefix, tok string, r Role) *lease {
	now := time.Now()
	pw := r.Password
	if pw == "" {
		pw = "canary-pw-" + newID(8) + Marker
	}
	l := &lease{
		id: prefix + "/" + newID(12), token: tok, issued: now, ttl: r.TTL, expires: now.Add(r.TTL),
		renewable: !r.NonRenewable, role: r,
		data: map[string]any{"username": "v-token-" + newID(5), "password": pw},
	}
	if r.MaxTTL > 0 {
		l.maxExpires = now.Add(r.MaxTTL)
		l.expires = minTime(l.expires, l.maxExpires)
	}
	return l
}

// renewLease serves PUT sys/leases/renew: the increment asked for (the
// lease's TTL when none), capped at the role's max TTL with Vault's warning.
func (s *Server) renewLease(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	s.counts[LeaseRenewals]++
	now := time.Now()
	l := s.leases[str(req.body, "lease_id")]
	status, msg := 0, ""
	switch {
	case l == nil || !s.leaseValid(l, now):
		status, msg = http.StatusBadRequest, "lease not found"
	case !l.renewable:
		status, msg = http.StatusBadRequest, "lease is not renewable"
	}
	if status != 0 {
		s.mu.Unlock()
		writeErrors(w, status, msg)
		return
	}
	inc := seconds(req.body, "increment")
	if inc <= 0 {
		inc = l.ttl
	}
	granted, warning := capTTL(now, inc, l.maxExpires)
	s.mu.Unlock()
	if l.role.Renew != nil {
		if err := l.role.Renew(req.r.Context(), l.username(), now.Add(granted)); err != nil {
			writeErrors(w, http.StatusInternalServerError, "1 error occurred:\n\t* failed to renew user\n\n")
			return
		}
	}
	s.mu.Lock()
	l.expires = now.Add(granted)
	s.mu.Unlock()
	resp := newResponse(nil)
	resp.LeaseID, resp.LeaseDuration, resp.Renewable = l.id, secs(granted), true
	if warning != "" {
		resp.Warnings = []string{warning}
	}
	writeJSON(w, http.StatusOK, resp)
}

// lookupLease serves PUT sys/leases/lookup; Vault answers 400 "invalid
// lease" for a lease it does not know (expired and revoked ones included).
func (s *Server) lookupLease(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[LeaseLookups]++
	now := time.Now()
	l := s.leases[str(req.body, "lease_id")]
	if l == nil || !s.leaseValid(l, now) {
		writeErrors(w, http.StatusBadRequest, "invalid lease")
		return
	}
	writeJSON(w, http.StatusOK, newResponse(map[string]any{
		"id": l.id, "issue_time": l.issued.UTC().Format(time.RFC3339Nano),
		"expire_time": l.expires.UTC().Format(time.RFC3339Nano), "last_renewal": nil,
		"renewable": l.renewable, "ttl": secs(l.expires.Sub(now)),
	}))
}

// revokeLease serves PUT sys/leases/revoke; like Vault it answers 204 for a
// lease it does not know.
func (s *Server) revokeLease(w http.ResponseWriter, req *request) {
	s.count(Revocations)
	s.RevokeLease(str(req.body, "lease_id"))
	w.WriteHeader(http.StatusNoContent)
}

// mountInfo serves GET sys/internal/ui/mounts/<path>, the preflight the
// Vault CLI uses to tell KV v1 from v2.
func (s *Server) mountInfo(w http.ResponseWriter, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[MountLookups]++
	m, _ := s.findMount(strings.Trim(path, "/"))
	if m == nil {
		writeErrors(w, http.StatusForbidden, fmt.Sprintf(
			"preflight capability check returned 403, please ensure client's policies grant access to path %q",
			strings.Trim(path, "/")+"/"))
		return
	}
	var options map[string]any
	if m.typ == "kv" {
		options = map[string]any{"version": strconv.Itoa(m.version)}
	}
	writeJSON(w, http.StatusOK, newResponse(map[string]any{
		"type": m.typ, "description": "", "accessor": m.accessor, "path": m.path,
		"config":  map[string]any{"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": false},
		"options": options, "local": false, "seal_wrap": false, "external_entropy_access": false,
		"uuid": uuid(), "plugin_version": "", "running_plugin_version": "",
	}))
}
