package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/tool"
)

// outageTTL is the lease of TestVaultOutage. Hush renews it about 6 s
// after its issue; after a failed renewal it tries again no later than its
// safety margin (5-15% of the lease before its end, at least 1.8 s after
// the first try), where a lease this short is replaced instead. An outage
// that ends right after the first failed renewal thus leaves the
// credentials valid throughout, with 0.5 s or more to replace them.
const outageTTL = 10 * time.Second

const outageAPIKey = "canary-vault-outage-api-key-NOT-REAL"

// Vault goes down while eight clients call a SQL tool over dynamic
// credentials, stays down across a scheduled lease renewal, and comes
// back. No call fails: the held credentials stay valid and in use; /readyz
// reports the secret Vault cannot serve (a KV secret re-read every second)
// as degraded and the server not ready, then ok once Vault is back; the
// lease is renewed after the outage and never runs out; and the requests
// Hush made while Vault was down stay within what its backoff allows.
func TestVaultOutage(t *testing.T) {
	e := newVaultEnv(t, "vout", vaulttest.Role{TTL: outageTTL})
	e.vault.MountKV("secret", 2)
	e.vault.PutKV("secret", "hush/search", map[string]any{"api_key": outageAPIKey})
	cfg := e.config(t, `  API_KEY: { from: "vault://secret/data/hush/search#api_key", min_length: 20 }`)
	var srv *running
	seen := &lockedBuffer{}
	t.Cleanup(func() { checkVaultLeaks(t, e, srv, seen, outageAPIKey) })
	srv = startServe(t, "--config", cfg)
	l := startCallers(t, srv.URL, seen, e.canaries())
	l.waitCalls(t, 50)
	if r := readiness(t, srv); !r.Ready {
		t.Fatalf("not ready before the outage: %v", r.Secrets)
	}
	issued, renewed := e.vault.Count(vaulttest.CredsIssued), e.vault.Count(vaulttest.LeaseRenewals)
	requests := e.vault.Count(vaulttest.Requests)

	e.vault.SetFault(vaulttest.Fault{Down: true})
	down := time.Now()
	// Ready means "can serve now": the KV secret serves its last good
	// value, so /readyz stays ready and names it degraded.
	waitSlowly(t, "/readyz to report the KV secret degraded", 20*time.Second, func() bool {
		r := readiness(t, srv)
		return r.Ready && r.Secrets["API_KEY"] == "degraded"
	})
	waitSlowly(t, "a lease renewal to fail", 20*time.Second, func() bool {
		return len(logEntries(srv.Stderr.String(), "vault lease renewal")) > 0 || l.failed.Load() > 0
	})
	checkServedDuringOutage(t, srv, seen)
	e.vault.SetFault(vaulttest.Fault{})
	outage := time.Since(down)
	during := e.vault.Count(vaulttest.Requests) - requests

	waitSlowly(t, "/readyz to report ready again", 20*time.Second, func() bool { return readiness(t, srv).Ready })
	waitSlowly(t, "the lease to be renewed or replaced", 20*time.Second, func() bool {
		return e.vault.Count(vaulttest.LeaseRenewals) > renewed || e.vault.Count(vaulttest.CredsIssued) > issued
	})
	l.waitCalls(t, 200)
	finishVault(t, l, srv, e.canaries())

	t.Logf("%d calls; Vault down %.1fs, %d requests meanwhile; counts after: issued %d, renewals %d",
		l.ok.Load(), outage.Seconds(), during, e.vault.Count(vaulttest.CredsIssued), e.vault.Count(vaulttest.LeaseRenewals))
	if n := e.reaped(); n != 0 {
		t.Errorf("%d leases ran out during the outage", n)
	}
	if max := outageRequestBound(outage); during > max {
		t.Errorf("%d Vault requests during a %.1fs outage, the backoff allows %d", during, outage.Seconds(), max)
	}
}

// outageRequestBound is what Hush's loops may ask of a Vault that is down
// for d, shorter than a lease. The KV secret is re-read once, then retried
// with backoff from 250 ms (less 20% jitter) doubling, and the lease is
// renewed at most twice (once at two thirds of its life, then, with a 10 s
// backoff that the lease bounds, at its safety margin). A request that
// finds the connection closed may be sent again once by Go's HTTP client
// (idempotent reads on a reused connection), so each read counts twice.
func outageRequestBound(d time.Duration) int {
	const firstRetry = 200 * time.Millisecond
	kvReads := 1 + 1 + int(math.Log2(float64(d)/float64(firstRetry)+1))
	return 2*kvReads + 2
}

// ready is the /readyz body.
type ready struct {
	Ready   bool
	Secrets map[string]string
}

func readiness(t *testing.T, srv *running) ready {
	t.Helper()
	resp, err := http.Get("http://" + srv.Addr + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	var r ready
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode /readyz: %v", err)
	}
	return r
}

// checkServedDuringOutage calls health_check while Vault is down: the
// source's credentials are still valid, served and not expired.
func checkServedDuringOutage(t *testing.T, srv *running, seen *lockedBuffer) {
	t.Helper()
	cs := connectMCP(t, srv.URL, "", seen)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool.HealthCheckName})
	if err != nil {
		t.Fatalf("health_check: %v", err)
	}
	var rep tool.Report
	if err := remarshal(res.StructuredContent, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Ping != "ok" || len(rep.Sources[0].Secrets) != 1 {
		t.Fatalf("health_check during the outage: %s", toolText(res))
	}
	// The lease is still valid but cannot be renewed: degraded, renewal
	// failing, with its time to expiry.
	db := rep.Sources[0].Secrets[0]
	if db.Status != "degraded" || !db.RenewalFailing || db.ExpiresAt == nil || !db.ExpiresAt.After(time.Now()) {
		t.Errorf("health_check during the outage: DB %s, renewal failing %v, expires %v; want degraded, failing, not expired",
			db.Status, db.RenewalFailing, db.ExpiresAt)
	}
	_ = cs.Close()
}
