package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// An obviously fake value; it must never appear in a scrape.
const canaryLease = "canary-lease-0e9d4b-NOT-REAL"

// value is a counter's current value.
func value(c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		panic(err)
	}
	return d.GetCounter().GetValue()
}

// count is the number of series c holds.
func count(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric)
	go func() { c.Collect(ch); close(ch) }()
	n := 0
	for range ch {
		n++
	}
	return n
}

func toolResult(err error) *mcp.CallToolResult {
	res := &mcp.CallToolResult{IsError: true}
	res.SetError(err)
	return res
}

func TestOutcome(t *testing.T) {
	live := context.Background()
	past, cancel := context.WithDeadline(live, time.Unix(0, 0)) // a deadline that has passed
	defer cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		res  mcp.Result
		err  error
		want string
	}{
		{"ok", live, &mcp.CallToolResult{}, nil, OutcomeOK},
		{"ok past the deadline", past, &mcp.CallToolResult{}, nil, OutcomeOK},
		{"user error", live, toolResult(tool.Userf("query: syntax error")), nil, OutcomeToolError},
		{"internal error", live, toolResult(errors.New("dial 10.0.0.7")), nil, OutcomeToolError},
		{"error text without an error", live, &mcp.CallToolResult{IsError: true}, nil, OutcomeToolError},
		{"bad arguments", live, toolResult(tool.Userf("invalid arguments: v: required")), nil, OutcomeInvalidArgs},
		{"a non-user error that says invalid arguments", live, toolResult(errors.New("invalid arguments")), nil, OutcomeToolError},
		{"error after the deadline", past, toolResult(tool.Userf("query timed out after 1s")), nil, OutcomeTimeout},
		{"unknown tool", live, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "unknown tool"}, OutcomeRefused},
		{"plain error return", live, nil, errors.New("pool exhausted"), OutcomeToolError},
	} {
		if got := Outcome(c.ctx, c.res, c.err); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func callReq(name string) *mcp.CallToolRequest {
	return &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: name, Arguments: []byte(`{}`)}}
}

func TestMiddlewareLabelsOnlyConfiguredTools(t *testing.T) {
	m := New(Options{})
	defer m.Close()
	ok := chain(m, []string{"echo"}, func(context.Context, string, mcp.Request) (mcp.Result, error) { return &mcp.CallToolResult{}, nil })
	for _, name := range []string{"echo", canaryLease, "echo"} {
		if _, err := ok(context.Background(), "tools/call", callReq(name)); err != nil {
			t.Fatal(err)
		}
	}
	if got := value(m.calls.WithLabelValues("echo", OutcomeOK)); got != 2 {
		t.Errorf("echo ok = %v, want 2", got)
	}
	if got := value(m.calls.WithLabelValues(UnknownTool, OutcomeOK)); got != 1 {
		t.Errorf("unknown ok = %v, want 1", got)
	}
	if got := count(m.latency); got != 2 {
		t.Errorf("latency series = %d, want 2 (echo and %s)", got, UnknownTool)
	}
	if _, err := ok(context.Background(), "tools/list", &mcp.ListToolsRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := count(m.calls); got != len(outcomes)+1 {
		t.Errorf("call series = %d, want %d: other methods are not counted", got, len(outcomes)+1)
	}
}

func TestMiddlewareCountsAPanicAndLetsItThrough(t *testing.T) {
	m := New(Options{})
	defer m.Close()
	outer, inner := m.Middleware([]string{"explode"})
	recovered := false
	recoverer := func(next mcp.MethodHandler) mcp.MethodHandler { // as the server's recoverPanics does
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				if recover() != nil {
					recovered = true
					res = &mcp.CallToolResult{IsError: true}
				}
			}()
			return next(ctx, method, req)
		}
	}
	h := outer(recoverer(inner(func(context.Context, string, mcp.Request) (mcp.Result, error) {
		panic("boom")
	})))
	if _, err := h(context.Background(), "tools/call", callReq("explode")); err != nil {
		t.Fatal(err)
	}
	if !recovered {
		t.Error("the panic did not reach the recovering middleware")
	}
	if got := value(m.calls.WithLabelValues("explode", OutcomePanic)); got != 1 {
		t.Errorf("panics = %v, want 1", got)
	}
}

// chain puts handler behind m's middleware, with nothing between.
func chain(m *Metrics, tools []string, handler mcp.MethodHandler) mcp.MethodHandler {
	outer, inner := m.Middleware(tools)
	return outer(inner(handler))
}

// A middleware between the halves that answers itself, as a scope check
// does, makes the call refused.
func TestMiddlewareCountsARefusalBeforeTheHandler(t *testing.T) {
	m := New(Options{})
	defer m.Close()
	outer, inner := m.Middleware([]string{"admin"})
	refuse := func(mcp.MethodHandler) mcp.MethodHandler {
		return func(context.Context, string, mcp.Request) (mcp.Result, error) {
			return &mcp.CallToolResult{IsError: true}, nil
		}
	}
	h := outer(refuse(inner(func(context.Context, string, mcp.Request) (mcp.Result, error) {
		t.Error("the handler ran")
		return nil, nil
	})))
	if _, err := h(context.Background(), "tools/call", callReq("admin")); err != nil {
		t.Fatal(err)
	}
	if got := value(m.calls.WithLabelValues("admin", OutcomeRefused)); got != 1 {
		t.Errorf("refused = %v, want 1", got)
	}
}

func TestAuthReason(t *testing.T) {
	for challenge, want := range map[string]string{
		`Bearer realm="hush"`:                                "missing",
		`Bearer realm="hush", error="invalid_token"`:         "invalid_token",
		`Bearer realm="hush", error="invalid_request"`:       "invalid_request",
		`Bearer error="insufficient_scope", scope="db:read"`: "insufficient_scope",
		`Bearer realm="hush", error="` + canaryLease + `"`:   "other",
		``:                            "missing",
		`Bearer error="invalid_token`: "invalid_token",
		`Bearer realm="hush", error_description="x" error="x"`: "other",
	} {
		if got := authReason(challenge); got != want {
			t.Errorf("%q: %s, want %s", challenge, got, want)
		}
	}
}

func TestWrapHTTPCountsByRouteAndStatus(t *testing.T) {
	m := New(Options{})
	defer m.Close()
	h := m.WrapHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mcp":
			w.Header().Set("WWW-Authenticate", `Bearer realm="hush", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		case "/healthz":
			_, _ = io.WriteString(w, "ok") // an implicit 200
		}
		// anything else writes nothing: also 200
	}), func(r *http.Request) string {
		if r.URL.Path == "/mcp" || r.URL.Path == "/healthz" {
			return r.URL.Path[1:]
		}
		return "other"
	})
	for _, p := range []string{"/mcp", "/healthz", "/" + canaryLease} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	for _, c := range []struct {
		route, code string
	}{{"mcp", "401"}, {"healthz", "200"}, {"other", "200"}} {
		if got := value(m.requests.WithLabelValues(c.route, c.code)); got != 1 {
			t.Errorf("%s %s = %v, want 1", c.route, c.code, got)
		}
	}
	if got := value(m.authFails.WithLabelValues("invalid_token")); got != 1 {
		t.Errorf("auth failures = %v, want 1", got)
	}
}

// flaky is a secret driver serving a leased canary, then failing while
// fail is set.
type flaky struct{ fail atomic.Bool }

func (f *flaky) Fetch(context.Context) (driver.Snapshot, error) {
	if f.fail.Load() {
		return driver.Snapshot{}, fmt.Errorf("backend down: %w", driver.ErrUnavailable)
	}
	return driver.Snapshot{Data: []byte(canaryLease), ExpiresAt: time.Now().Add(time.Hour)}, nil
}
func (f *flaky) Close() error { return nil }

// pooled is a source with a pool and swap counters.
type pooled struct{}

func (pooled) Ping(context.Context) error   { return nil }
func (pooled) State() source.State          { return source.State{Status: "degraded", LastError: "permission"} }
func (pooled) Close() error                 { return nil }
func (pooled) PoolStats() (size, inUse int) { return 4, 1 }
func (pooled) Swaps() (ok, failed uint64)   { return 2, 3 }

// down is a source whose ping fails.
type down struct{ pooled }

func (down) Ping(context.Context) error { return errors.New("dial tcp: " + canaryLease) }

func TestStateCollector(t *testing.T) {
	drv := &flaky{}
	mux := secret.NewMux()
	mux.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return drv, nil }))
	store, err := secret.Open(context.Background(), []secret.Decl{{Name: "LEASED", From: "mem://x"}}, secret.Options{Mux: mux})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	drv.fail.Store(true)
	_ = store.Refresh(context.Background(), "LEASED")
	_ = store.Refresh(context.Background(), "LEASED")

	sources := map[string]source.Source{"db": pooled{}, "api": down{}}
	m := New(Options{Store: store, Sources: sources})
	defer m.Close()
	for _, src := range m.TimePings(sources) {
		_ = src.Ping(context.Background())
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	leak.Check(t, "/metrics", body, canaryLease)
	for _, want := range []string{
		`hush_secret_state{secret="LEASED",state="degraded"} 1`,
		`hush_secret_state{secret="LEASED",state="ok"} 0`,
		`hush_secret_fetch_errors_total{class="unavailable",secret="LEASED"} 2`,
		`hush_secret_rotations_total{secret="LEASED"} 0`,
		`hush_source_state{source="db",state="degraded"} 1`,
		`hush_source_pool_connections{source="db"} 4`,
		`hush_source_pool_connections_in_use{source="db"} 1`,
		`hush_source_swaps_total{source="db"} 2`,
		`hush_source_swap_failures_total{source="db"} 3`,
		`hush_source_ping_up{source="db"} 1`,
		`hush_source_ping_up{source="api"} 0`,
		`hush_build_info{version="dev"} 1`,
		`hush_mcp_sessions_active 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
	for _, prefix := range []string{`hush_secret_expires_in_seconds{secret="LEASED"} `,
		`hush_secret_last_success_age_seconds{secret="LEASED"} `, `hush_source_ping_seconds{source="api"} `} {
		if !strings.Contains(body, prefix) {
			t.Errorf("missing %s", prefix)
		}
	}
}

func TestServeOwnListenerWithoutAuth(t *testing.T) {
	m := New(Options{})
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "hush_build_info") {
		t.Errorf("GET /metrics: %d", resp.StatusCode)
	}
	for method, path := range map[string]string{http.MethodPost: "/metrics", http.MethodGet: "/mcp"} {
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("%s %s: 200; the listener serves only GET /metrics", method, path)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestCloseStopsFollowingTheStore(t *testing.T) {
	drv := &flaky{}
	mux := secret.NewMux()
	mux.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return drv, nil }))
	store, err := secret.Open(context.Background(), []secret.Decl{{Name: "S", From: "mem://x"}}, secret.Options{Mux: mux})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := New(Options{Store: store})
	m.Close()
	m.Close() // idempotent
}
