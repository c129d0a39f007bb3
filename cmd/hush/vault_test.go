package main

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
)

// vaultYAML serves the item tool from a PostgreSQL database whose user and
// password are dynamic credentials of a Vault database role.
const vaultYAML = `server:
  name: hush-vault
  transport: http
vault:
  address: %[1]s
  token_file: %[2]s
  kv_refresh: 1s
secrets:
  DB: { from: "vault://database/creds/hush-ro" }
%[5]s
sources:
  main:
    kind: postgres
    dsn: postgres://${secret:DB#username}:${secret:DB#password}@127.0.0.1:%[3]d/%[4]s?sslmode=disable
    max_conns: 4
tools:
  item:
    kind: sql
    source: main
    description: Name an item and add one to n.
    statement: SELECT name, $2::int8 + 1 AS next FROM items WHERE id = $1
    parameters:
      - { name: id, type: integer, required: true, min: 1, max: 16 }
      - { name: n, type: integer, required: true }
    read_only: true
    timeout: 10s
`

// vaultOwnerPW is the password of the role that owns the test database; no
// server ever uses it.
const vaultOwnerPW = "canary-vault-owner-pw-NOT-REAL"

// vaultEnv is a Vault test server on loopback whose database role hush-ro
// issues real PostgreSQL roles on pg, reaped when their leases run out, and
// a token file Hush logs in with.
type vaultEnv struct {
	vault     *vaulttest.Server
	url       string
	roles     *vaulttest.PostgresRoles
	app       pgApp
	dir       string
	token     string
	tokenFile string
	reaped    func() int
}

func newVaultEnv(t *testing.T, prefix string, role vaulttest.Role) *vaultEnv {
	t.Helper()
	// The client's own retries would multiply the requests the tests count.
	t.Setenv("VAULT_MAX_RETRIES", "")
	e := &vaultEnv{vault: vaulttest.New(), dir: t.TempDir()}
	e.app = newPGApp(t, prefix, vaultOwnerPW,
		"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g")
	e.roles = &vaulttest.PostgresRoles{AdminDSN: pg.AdminDSNFor, DB: e.app.DB,
		Grants: []string{"GRANT SELECT ON items TO {{name}}"}}
	t.Cleanup(e.roles.Close) // after the server stopped: its shutdown revokes
	e.url = e.vault.Listen(t)
	e.vault.MountDatabase("database")
	e.vault.SetRole("database", "hush-ro", e.roles.Hooks(role))
	e.token = e.vault.CreateToken(vaulttest.TokenOptions{Policies: []string{"hush"}})
	e.tokenFile = secretFile(t, e.dir, "vault-token", e.token)
	e.reaped = e.vault.ReapEvery(t, 200*time.Millisecond)
	return e
}

// config writes hush.yaml with extra secret declarations (indented by two
// spaces under secrets:) and returns its path.
func (e *vaultEnv) config(t *testing.T, extraSecrets string) string {
	t.Helper()
	return hushYAML(t, e.dir, fmt.Sprintf(vaultYAML, e.url, e.tokenFile, pg.Port(), e.app.DB, extraSecrets))
}

// canaries are the Vault token and every password issued so far.
func (e *vaultEnv) canaries() []string {
	return append([]string{e.token, vaultOwnerPW}, e.roles.Passwords()...)
}

// existingRoles returns which of names exist in pg_roles.
func existingRoles(t *testing.T, names []string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname", names)
	if err != nil {
		t.Fatal(err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// notReal matches the test server's tokens and passwords, so a failure
// message quoting server output never prints one, even one issued after
// the scrubbing list was made.
var notReal = regexp.MustCompile(`[A-Za-z0-9._-]*` + regexp.QuoteMeta(vaulttest.Marker))

func scrubVault(s string, canaries ...string) string {
	return notReal.ReplaceAllString(scrub(s, canaries...), "[CANARY]")
}

// finishVault stops the callers and fails the test if any call failed,
// showing what the server logged about leases and swaps.
func finishVault(t *testing.T, l *callers, srv *running, canaries []string) {
	t.Helper()
	l.halt()
	if n := l.failed.Load(); n > 0 {
		t.Fatalf("%d of %d calls failed; first: %s\nlease and swap log:\n%s", n, n+l.ok.Load(),
			scrubVault(*l.firstErr.Load(), canaries...), scrubVault(leaseLog(srv.Stderr.String()), canaries...))
	}
}

// leaseLog keeps the log lines about Vault, secrets and swaps.
func leaseLog(logs string) string {
	var b strings.Builder
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"vault`) || strings.Contains(line, `"msg":"secret`) ||
			strings.Contains(line, `"msg":"source credential`) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// Schedule of TestVaultGenerationsUnderLoad: a lease lives 3 s and
// renewals never extend it past 6 s after its issue. Hush renews it about
// 2 s after issue (granted in full) and again about 2 s later, when Vault
// caps the grant at the max TTL: Hush then replaces it, with 2 s or more of
// the old lease left for the swap and the drain. A generation lasts about
// 4 s.
const (
	genTTL         = 3 * time.Second
	genMaxTTL      = 6 * time.Second
	genGenerations = 4
)

// Dynamic database credentials with compressed TTLs under load: eight MCP
// clients call a SQL tool while the lease is renewed and replaced through
// at least four credential generations. No call fails, though the test
// server drops each role (terminating its sessions) the moment its lease
// ends; every replaced role is dropped after the source drained it (Hush
// revokes it, nothing expires unrevoked); Vault sees no more requests than
// the schedule needs; and no token or password reaches any output.
func TestVaultGenerationsUnderLoad(t *testing.T) {
	e := newVaultEnv(t, "vgen", vaulttest.Role{TTL: genTTL, MaxTTL: genMaxTTL})
	var srv *running
	seen := &lockedBuffer{}
	t.Cleanup(func() { // after the clients closed their sessions and the server stopped
		if left := existingRoles(t, e.roles.Created()); len(left) > 0 {
			t.Errorf("%d database roles left after shutdown, want the last lease revoked", len(left))
		}
		checkVaultLeaks(t, e, srv, seen)
	})
	start := time.Now()
	srv = startServe(t, "--config", e.config(t, ""))
	l := startCallers(t, srv.URL, seen, []string{e.token})
	for i := 1; i < genGenerations; i++ {
		// The role of generation i is dropped once the source has swapped
		// to generation i+1 and drained i: Hush then revokes its lease.
		waitSlowly(t, fmt.Sprintf("role of generation %d dropped", i), 30*time.Second, func() bool {
			c := e.roles.Created()
			return len(c) > i && e.roles.Dropped(c[i-1]) || l.failed.Load() > 0
		})
		if left := existingRoles(t, e.roles.Created()[i-1:i]); len(left) > 0 {
			t.Errorf("role of generation %d still in pg_roles after it was dropped", i)
		}
		if l.failed.Load() == 0 {
			l.waitCalls(t, 100) // the new generation serves
		}
	}
	l.waitEachWorker(t, callsAfterLast)
	finishVault(t, l, srv, e.canaries())
	elapsed := time.Since(start)

	created := e.roles.Created()
	t.Logf("%d calls by %d workers across %d credential generations", l.ok.Load(), workers, len(created))
	checkGenerations(t, e, srv, created)
	checkVaultRequests(t, e.vault, elapsed)
}

// waitSlowly is waitUntil polling every 50 ms, for conditions that cost
// something to check.
func waitSlowly(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	waitUntil(t, what, timeout, func() bool {
		time.Sleep(45 * time.Millisecond)
		return cond()
	})
}

// checkGenerations: every role but the newest two (a replacement may be
// under way) is gone from pg_roles, each dropped because Hush revoked its
// lease (none ran out unrevoked); the source swapped at least once per
// dropped role and never failed to; the hooks never failed.
func checkGenerations(t *testing.T, e *vaultEnv, srv *running, created []string) {
	t.Helper()
	if len(created) < genGenerations {
		t.Fatalf("%d credential generations, want at least %d", len(created), genGenerations)
	}
	old := created[:len(created)-2]
	if left := existingRoles(t, old); len(left) > 0 {
		t.Errorf("%d of %d replaced roles still exist", len(left), len(old))
	}
	logs := srv.Stderr.String()
	if n := len(logEntries(logs, "source credentials swapped")); n < len(old)+1 || n > len(created)-1 {
		t.Errorf("%d credential swaps logged for %d generations", n, len(created))
	}
	if n := len(logEntries(logs, "source credential swap")); n != 0 {
		t.Errorf("%d failed credential swaps logged", n)
	}
	if n := e.reaped(); n != 0 {
		t.Errorf("%d leases ran out without being revoked", n)
	}
	if n := e.vault.Count(vaulttest.Revocations); n < len(old)+1 {
		t.Errorf("%d revocations for at least %d replaced leases", n, len(old)+1)
	}
	if errs := e.roles.Errors(); len(errs) > 0 {
		t.Errorf("database role hooks failed: %s", scrubVault(strings.Join(errs, "; "), e.canaries()...))
	}
}

// checkVaultRequests bounds what the schedule lets Hush ask of Vault.
//
// A renewal asks for the lease's TTL and comes at least (2/3 - 1/10) of
// the time left after the last grant, so a lease that lives at most
// genMaxTTL is renewed at most ceil(genMaxTTL / (genTTL * 17/30)) times;
// it is replaced at its first capped renewal, which comes no earlier than
// genMaxTTL - genTTL after its issue, so the run issues at most
// 1 + elapsed / (genMaxTTL - genTTL) leases (one more for a replacement in
// flight at the end). Each lease costs one read, its renewals, at most one
// lookup (leases younger than 30 s are not looked up) and one revocation;
// start-up adds the mount preflight and a token lookup.
func checkVaultRequests(t *testing.T, v *vaulttest.Server, elapsed time.Duration) {
	t.Helper()
	issued := v.Count(vaulttest.CredsIssued)
	renewalsPerLease := int(math.Ceil(float64(genMaxTTL) / (float64(genTTL) * 17 / 30)))
	maxIssued := 2 + int(elapsed/(genMaxTTL-genTTL))
	maxRequests := 2 + issued*(1+renewalsPerLease+1+1)
	counts := map[string]int{}
	for _, c := range []string{vaulttest.Requests, vaulttest.CredsIssued, vaulttest.LeaseRenewals, vaulttest.Revocations,
		vaulttest.LeaseLookups, vaulttest.MountLookups, vaulttest.TokenLookups, vaulttest.TokenRenewals, vaulttest.Logins} {
		counts[c] = v.Count(c)
	}
	t.Logf("vault counts %v; bounds: issued <= %d, renewals <= %d, requests <= %d",
		counts, maxIssued, renewalsPerLease*issued, maxRequests)
	if issued > maxIssued {
		t.Errorf("%d leases issued, the schedule needs at most %d", issued, maxIssued)
	}
	if n := counts[vaulttest.LeaseRenewals]; n > renewalsPerLease*issued {
		t.Errorf("%d lease renewals for %d leases, want at most %d", n, issued, renewalsPerLease*issued)
	}
	if n := counts[vaulttest.Requests]; n > maxRequests {
		t.Errorf("%d Vault requests for %d leases, want at most %d", n, issued, maxRequests)
	}
}

// checkVaultLeaks: the Vault token, every issued password and the extra
// canaries stay out of the server's output and everything clients received.
func checkVaultLeaks(t *testing.T, e *vaultEnv, srv *running, seen *lockedBuffer, extra ...string) {
	t.Helper()
	if srv == nil {
		return // the server never started; the test has failed already
	}
	canaries := append(e.canaries(), extra...)
	for where, text := range map[string]string{
		"server stderr": srv.Stderr.String(), "server stdout": srv.Stdout.String(), "client traffic": seen.String(),
	} {
		assertNoCanary(t, where, text, canaries...)
		if strings.Contains(text, vaulttest.Marker) {
			t.Errorf("%s holds a Vault token or password (withheld)", where)
		}
	}
	if n := len(slices.DeleteFunc(e.roles.Passwords(), func(s string) bool { return strings.Contains(s, vaulttest.Marker) })); n > 0 {
		t.Errorf("%d issued passwords lack the marker", n)
	}
}
