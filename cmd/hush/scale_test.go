package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

// scaleReplicas is how many `hush serve` processes TestScaleOut runs.
const scaleReplicas = 3

// Several replicas of the real binary in stateless mode over one
// PostgreSQL, behind a round-robin proxy that routes only to replicas whose
// /readyz answers 200, as a Kubernetes Service does. Eight workers call a
// SQL tool through the proxy, every request going to whichever replica is
// next. The database password is rotated under load and every replica
// swaps its own pool; then one replica gets SIGTERM. It answers 503 on /readyz while
// it drains, the proxy stops routing to it, it exits 0, and no call fails.
// Every replica answered calls, and the others kept answering after.
func TestScaleOut(t *testing.T) {
	pw, pw2 := "canary-scale-pw-1-NOT-REAL", "canary-scale-pw-2-NOT-REAL"
	app := newPGApp(t, "scale", pw, itemsSetup...)
	dir := t.TempDir()
	// One Secret mounted into every pod.
	mount := kubetest.NewMount(t, filepath.Join(dir, "db-credentials"), map[string]string{"password": pw})
	cfg := replicaConfig(t, dir, mount.Path("password"), app, "  drain_delay: 5s", "  shutdown_grace: 10s")
	bin := buildHush(t)
	reps := make([]*replica, scaleReplicas)
	for i := range reps {
		reps[i] = startReplica(t, bin, cfg)
	}
	lb := newBalancer(t, reps)
	waitUntil(t, "every replica ready", 20*time.Second, func() bool {
		for _, b := range lb.backends {
			if !b.ready.Load() {
				return false
			}
		}
		return true
	})

	seen := &lockedBuffer{}
	l := startCallers(t, lb.url+"/mcp", seen, []string{pw, pw2})
	l.waitCalls(t, 300)
	waitUntil(t, "every replica to answer calls", 20*time.Second, func() bool {
		if l.failed.Load() > 0 {
			return true
		}
		for _, b := range lb.backends {
			if b.served.Load() == 0 {
				return false
			}
		}
		return true
	})

	// A credential rotation under load: every replica swaps its own pool.
	if err := pg.AlterPassword(context.Background(), app.Role, pw2); err != nil {
		t.Fatal(err)
	}
	l.waitCalls(t, 60)
	mount.Update(map[string]string{"password": pw2})
	waitUntil(t, "every replica to swap its pool", 20*time.Second, func() bool {
		for _, r := range reps {
			if !r.logged("source credentials swapped") && l.failed.Load() == 0 {
				return false
			}
		}
		return true
	})
	l.waitCalls(t, 200)
	for i, r := range reps {
		t.Logf("replica %d: %s", i, poolConnections(t, r))
	}

	victim := lb.backends[0]
	victim.r.terminate()
	waitUntil(t, "the proxy to stop routing to the stopped replica", 20*time.Second, func() bool {
		return !victim.ready.Load()
	})
	before := lb.servedCounts()
	l.waitCalls(t, 300)
	if err := victim.r.wait(); err != nil {
		t.Errorf("replica 0 after SIGTERM: %v; stderr:\n%s", err, victim.r.logsWithout(pw, pw2))
	}
	l.waitCalls(t, 100) // with replica 0 gone
	l.halt()
	lb.stop()

	after := lb.servedCounts()
	t.Logf("%d calls by %d workers through %d replicas, a rotation, one replica stopped; requests answered per replica: %v (%v when it was taken out)",
		l.ok.Load(), workers, scaleReplicas, after, before)
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d of %d calls failed; first: %s", n, n+l.ok.Load(), *l.firstErr.Load())
	}
	if n := lb.errors.Load(); n > 0 {
		t.Errorf("the proxy failed to reach a replica %d times", n)
	}
	for i, n := range after {
		if n == 0 {
			t.Errorf("replica %d answered no request", i)
		}
		if i > 0 && n <= before[i] {
			t.Errorf("replica %d answered no request after replica 0 was stopped", i)
		}
	}
	if !victim.saw503.Load() {
		t.Errorf("replica 0's /readyz never answered 503 after SIGTERM; stderr:\n%s", victim.r.logsWithout(pw, pw2))
	}
	if !victim.r.logged("draining: /readyz answers 503, still serving") {
		t.Errorf("replica 0 did not drain; stderr:\n%s", victim.r.logsWithout(pw, pw2))
	}
	for i, r := range reps {
		assertNoCanary(t, fmt.Sprintf("replica %d stderr", i), r.stderr.String(), pw, pw2)
	}
	assertNoCanary(t, "client traffic", seen.String(), pw, pw2)
}

// balancer is a round-robin reverse proxy over replicas that routes only
// to those whose last /readyz answered 200.
type balancer struct {
	url      string
	backends []*backend
	next     atomic.Uint64
	errors   atomic.Int64 // requests the proxy could not deliver
	done     chan struct{}
	wg       sync.WaitGroup
}

type backend struct {
	r      *replica
	proxy  *httputil.ReverseProxy
	ready  atomic.Bool
	saw503 atomic.Bool  // /readyz answered 503 at least once
	served atomic.Int64 // MCP POSTs answered 200
}

// readyzEvery is how often the balancer asks each replica's /readyz.
const readyzEvery = 50 * time.Millisecond

func newBalancer(t testing.TB, reps []*replica) *balancer {
	t.Helper()
	lb := &balancer{done: make(chan struct{})}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	for _, r := range reps {
		u, err := url.Parse("http://" + r.addr)
		if err != nil {
			t.Fatal(err)
		}
		b := &backend{r: r, proxy: httputil.NewSingleHostReverseProxy(u)}
		b.proxy.Transport = tr
		b.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
			lb.errors.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		}
		lb.backends = append(lb.backends, b)
		lb.wg.Go(func() { lb.watch(b) })
	}
	srv := httptest.NewServer(lb)
	lb.url = srv.URL
	t.Cleanup(func() { lb.stop(); srv.Close() })
	return lb
}

// watch polls b's /readyz until the balancer stops.
func (lb *balancer) watch(b *backend) {
	probe := noKeepAlive()
	tick := time.NewTicker(readyzEvery)
	defer tick.Stop()
	for {
		code := b.r.readyz(probe)
		b.ready.Store(code == http.StatusOK)
		if code == http.StatusServiceUnavailable {
			b.saw503.Store(true)
		}
		select {
		case <-lb.done:
			return
		case <-tick.C:
		}
	}
}

func (lb *balancer) stop() {
	select {
	case <-lb.done:
	default:
		close(lb.done)
	}
	lb.wg.Wait()
}

func (lb *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b *backend
	for range lb.backends {
		c := lb.backends[lb.next.Add(1)%uint64(len(lb.backends))]
		if c.ready.Load() {
			b = c
			break
		}
	}
	if b == nil {
		lb.errors.Add(1)
		http.Error(w, "no ready replica", http.StatusServiceUnavailable)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	b.proxy.ServeHTTP(sw, r)
	if r.Method == http.MethodPost && sw.code == http.StatusOK {
		b.served.Add(1)
	}
}

func (lb *balancer) servedCounts() []int64 {
	out := make([]int64, len(lb.backends))
	for i, b := range lb.backends {
		out[i] = b.served.Load()
	}
	return out
}

// statusWriter records the status code of an answer.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// poolConnections reads a replica's database pool gauges from its
// /metrics (beside the MCP endpoint, without auth in this config).
func poolConnections(t *testing.T, r *replica) string {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "hush_source_pool_connections") || strings.HasPrefix(line, "hush_source_swaps_total") {
			out = append(out, line)
		}
	}
	return strings.Join(out, ", ")
}
