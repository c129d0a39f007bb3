package mcpserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"github.com/hushmcp/hush/metrics"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/source/sqlite"
)

// More obviously fake values, planted where a metric could pick them up:
// arguments, a tool name, a presented token, a source's DSN.
const (
	canaryArg      = "canary-arg-3c1d7e-NOT-REAL"
	canaryToolName = "canary-tool-8a2f90-NOT-REAL"
	canaryBadToken = "canary-badtok-47e0c2-NOT-REAL"
	canaryDSNDir   = "canary-dsn-b61a05-NOT-REAL"
)

// withMetrics gives the server metrics over its store and sources, and
// hands them back through m.
func withMetrics(m **metrics.Metrics) func(*config.Config, *Deps) {
	return func(_ *config.Config, d *Deps) {
		*m = metrics.New(metrics.Options{Store: d.Store, Sources: d.Sources, Version: "test"})
	}
}

// rotSource is a sqlite source named "rot" whose whole DSN is the file
// secret ROT_DSN, in a store of its own: rotating the file swaps the pool.
type rotSource struct {
	dir, secretPath string
	store           *secret.Store
	src             *sqlite.Source
}

func newRotSource(t *testing.T) *rotSource {
	t.Helper()
	r := &rotSource{dir: filepath.Join(t.TempDir(), canaryDSNDir)}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r.secretPath = filepath.Join(t.TempDir(), "rot_dsn")
	for _, db := range []string{"a.db", "b.db"} { // empty files are empty databases
		if err := os.WriteFile(filepath.Join(r.dir, db), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.write(t, filepath.Join(r.dir, "a.db"))
	mux := secret.NewMux()
	mux.Register("file", &file.Opener{})
	store, err := secret.Open(context.Background(), []secret.Decl{{Name: "ROT_DSN", From: "file://" + r.secretPath}},
		secret.Options{Mux: mux})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	r.store = store
	src, err := sqlite.Open(context.Background(), sqlite.Spec{Name: "rot", DSN: "${secret:ROT_DSN}"}, store, nil)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = src.Close() })
	r.src = src
	return r
}

func (r *rotSource) write(t *testing.T, dsn string) {
	t.Helper()
	tmp := r.secretPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.secretPath); err != nil {
		t.Fatal(err)
	}
}

// rotate points ROT_DSN at dsn and has the store read it at once.
func (r *rotSource) rotate(t *testing.T, dsn string) {
	t.Helper()
	r.write(t, dsn)
	if err := r.store.Refresh(context.Background(), "ROT_DSN"); err != nil {
		t.Fatalf("refresh: %v", err)
	}
}

// scrape GETs /metrics from base with token and returns the body.
func scrape(t *testing.T, h *harness, base, token string) (int, string) {
	t.Helper()
	resp, err := h.httpClient(token).Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample is the value of the series written exactly as series (name and
// labels in the exposition's order), and whether it is there.
func sample(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(rest, 64)
		return v, err == nil
	}
	return 0, false
}

func wantSample(t *testing.T, body, series string, want float64) {
	t.Helper()
	if got, ok := sample(body, series); !ok || got != want {
		t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
	}
}

func TestMetricsReflectCallsAndLeakNothing(t *testing.T) {
	var m *metrics.Metrics
	rot := newRotSource(t)
	g := newGate()
	h := newHarness(t, func(c *config.Config, d *Deps) {
		withFaults(c, d)
		withGate(g)(c, d)
		c.Tools[len(c.Tools)-1].Timeout = 20 * time.Millisecond // the gate never opens
		d.Sources["rot"] = rot.src
		withMetrics(&m)(c, d)
		d.Metrics = m
	})
	t.Cleanup(m.Close)
	hs := h.httpServer()
	cs, err := h.overHTTP(hs, canaryToken)
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"echo", map[string]any{"v": canaryArg}},                              // ok
		{"echo", map[string]any{"v": canaryArg, "x" + canaryArg: canaryArg}},  // invalid_arguments
		{"find_note", map[string]any{"title": canaryArg, "limit": canaryArg}}, // invalid_arguments
		{"add_note", map[string]any{"title": canaryArg}},                      // tool_error: a write in a read-only call
		{"note_path", map[string]any{"id": 3}},                                // tool_error quoting the canary in the row
		{"explode", map[string]any{}},                                         // panic
		{"wait", map[string]any{}},                                            // timeout
		{"health_check", map[string]any{}},                                    // tool_error: the store does not know ROT_DSN
	}
	for _, c := range calls {
		callTool(t, cs, c.tool, c.args)
	}
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: canaryToolName,
		Arguments: map[string]any{"v": canaryArg}}); err == nil {
		t.Error("an unknown tool was called")
	}
	for _, tok := range []string{"", canaryBadToken} {
		if code, _ := post(t, h, hs.URL+"/mcp", tok, initBody); code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", code)
		}
	}

	// A rotation of the bearer token, a pool swap, then a refused one.
	h.rotateToken(canaryToken2)
	rot.rotate(t, filepath.Join(rot.dir, "b.db"))
	// One change at a time: the source follows the latest value, so a
	// second change arriving first would skip the swap to b.db.
	wait.Until(t, "the swap", 10*time.Second, func() bool { ok, _ := rot.src.Swaps(); return ok > 0 })
	rot.rotate(t, filepath.Join(rot.dir, "missing", "c.db"))
	wait.Until(t, "the failed swap", 10*time.Second, func() bool { _, failed := rot.src.Swaps(); return failed > 0 })

	if code, _ := scrape(t, h, hs.URL, ""); code != http.StatusUnauthorized {
		t.Errorf("scrape without the token on the MCP listener: status %d, want 401", code)
	}
	var body string
	wait.Until(t, "the token's rotation counted", 10*time.Second, func() bool {
		var code int
		code, body = scrape(t, h, hs.URL, canaryToken2)
		v, _ := sample(body, `hush_secret_rotations_total{secret="MCP_TOKEN"}`)
		return code == http.StatusOK && v == 1
	})
	for _, c := range append(canaries, canaryArg, canaryToolName, canaryBadToken, canaryDSNDir) {
		leak.Check(t, "/metrics", body, c)
	}
	if strings.Contains(body, "10.0.0.7") || strings.Contains(body, "boom") {
		t.Error("an error message reached /metrics")
	}

	for series, want := range map[string]float64{
		`hush_tool_calls_total{outcome="ok",tool="echo"}`:                     1,
		`hush_tool_calls_total{outcome="invalid_arguments",tool="echo"}`:      1,
		`hush_tool_calls_total{outcome="invalid_arguments",tool="find_note"}`: 1,
		`hush_tool_calls_total{outcome="tool_error",tool="add_note"}`:         1,
		`hush_tool_calls_total{outcome="tool_error",tool="note_path"}`:        1,
		`hush_tool_calls_total{outcome="panic",tool="explode"}`:               1,
		`hush_tool_calls_total{outcome="timeout",tool="wait"}`:                1,
		`hush_tool_calls_total{outcome="tool_error",tool="health_check"}`:     1,
		`hush_tool_calls_total{outcome="refused",tool="(unknown)"}`:           1,
		`hush_tool_call_duration_seconds_count{tool="echo"}`:                  2,
		`hush_http_auth_failures_total{reason="missing"}`:                     2, // a POST and a scrape
		`hush_http_auth_failures_total{reason="invalid_token"}`:               1,
		`hush_http_requests_total{code="401",handler="mcp"}`:                  2,
		`hush_http_requests_total{code="401",handler="metrics"}`:              1,
		`hush_secret_state{secret="MCP_TOKEN",state="ok"}`:                    1,
		`hush_secret_state{secret="OPTIONAL_KEY",state="missing"}`:            1,
		`hush_secret_state{secret="DB_PW",state="degraded"}`:                  0,
		`hush_source_state{source="rot",state="degraded"}`:                    1,
		`hush_source_state{source="main",state="ok"}`:                         1,
		`hush_source_swaps_total{source="rot"}`:                               1,
		`hush_source_swaps_total{source="main"}`:                              0,
		`hush_source_ping_up{source="main"}`:                                  1,
		`hush_source_ping_up{source="rot"}`:                                   1,
	} {
		wantSample(t, body, series, want)
	}
	if v, ok := sample(body, `hush_source_swap_failures_total{source="rot"}`); !ok || v < 1 {
		t.Errorf("failed swaps = %v (present %v), want at least 1", v, ok)
	}
	if v, ok := sample(body, `hush_mcp_sessions_active`); !ok || v < 1 {
		t.Errorf("active sessions = %v (present %v), want at least the client's", v, ok)
	}
	if v, ok := sample(body, `hush_source_pool_connections{source="main"}`); !ok || v < 1 {
		t.Errorf("main pool size = %v (present %v), want at least 1", v, ok)
	}
	for _, series := range []string{`hush_source_ping_seconds{source="main"}`, `hush_secret_last_success_age_seconds{secret="MCP_TOKEN"}`} {
		if _, ok := sample(body, series); !ok {
			t.Errorf("%s is missing", series)
		}
	}
	if _, ok := sample(body, `hush_secret_expires_in_seconds{secret="MCP_TOKEN"}`); ok {
		t.Error("a secret without a lease reports an expiry")
	}
}

// A token secret whose new value fails its rules is counted by class; the
// secret shows degraded on its last good value, and the old token is
// refused (a token fails closed), which the auth failures count.
func TestMetricsCountARefusedCredential(t *testing.T) {
	var m *metrics.Metrics
	h := newHarness(t, func(c *config.Config, d *Deps) { withMetrics(&m)(c, d); d.Metrics = m })
	t.Cleanup(m.Close)
	hs := h.httpServer()
	h.writeToken("") // required: an empty value fails its rules
	if err := h.store.Refresh(context.Background(), "MCP_TOKEN"); err == nil {
		t.Fatal("an empty token was accepted")
	}
	if code, _ := post(t, h, hs.URL+"/mcp", canaryToken, initBody); code != http.StatusUnauthorized {
		t.Errorf("the old token after a refused value: status %d, want 401", code)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	wantSample(t, body, `hush_secret_state{secret="MCP_TOKEN",state="degraded"}`, 1)
	wantSample(t, body, `hush_secret_state{secret="MCP_TOKEN",state="ok"}`, 0)
	wantSample(t, body, `hush_secret_fetch_errors_total{class="invalid",secret="MCP_TOKEN"}`, 1)
	wantSample(t, body, `hush_secret_rotations_total{secret="MCP_TOKEN"}`, 0)
	wantSample(t, body, `hush_http_auth_failures_total{reason="invalid_token"}`, 1)
	for _, c := range canaries {
		leak.Check(t, "/metrics", body, c)
	}
}

// The request counter's writer keeps event streams working: a call over
// SSE answers and is counted, and the scrape shows the open session.
func TestMetricsWithEventStreams(t *testing.T) {
	var m *metrics.Metrics
	h := newHarness(t, func(c *config.Config, d *Deps) {
		c.Server.SSE = true
		withMetrics(&m)(c, d)
		d.Metrics = m
	})
	t.Cleanup(m.Close)
	hs := h.httpServer()
	cs, err := h.overHTTP(hs, canaryToken)
	if err != nil {
		t.Fatal(err)
	}
	if res := callTool(t, cs, "echo", map[string]any{"v": canaryArg}); res.IsError {
		t.Fatalf("echo over SSE: %q", resultText(res))
	}
	code, body := scrape(t, h, hs.URL, canaryToken)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d", code)
	}
	wantSample(t, body, `hush_tool_calls_total{outcome="ok",tool="echo"}`, 1)
	// At least the client's session; the SDK may still hold a second one
	// it is tearing down when the scrape runs, so an exact count would race.
	if v, ok := sample(body, `hush_mcp_sessions_active`); !ok || v < 1 {
		t.Errorf("active sessions = %v (present %v), want at least 1", v, ok)
	}
	if v, ok := sample(body, `hush_http_requests_total{code="200",handler="mcp"}`); !ok || v < 2 {
		t.Errorf("mcp 200s = %v (present %v), want at least 2 (initialize, the call)", v, ok)
	}
	leak.Check(t, "/metrics", body, canaryArg)
}

// A call the caller's JWT scopes do not allow never reaches the tool and
// is counted as refused; a token without the server's scope is an auth
// failure of class insufficient_scope. /metrics on the MCP listener takes
// the same JWT.
func TestMetricsCountScopeRefusals(t *testing.T) {
	j := newJWTHarness(t)
	m := metrics.New(metrics.Options{Store: j.deps.Store, Sources: j.deps.Sources})
	t.Cleanup(m.Close)
	deps := j.deps
	deps.Metrics = m
	srv, err := New(j.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	reader := j.token(j.key, j.claims("mcp notes:read"))
	cs, err := j.overHTTP(hs, reader)
	if err != nil {
		t.Fatal(err)
	}
	if res := callTool(t, cs, "add_note", map[string]any{"title": canaryArg}); !res.IsError {
		t.Error("add_note ran without its scope")
	}
	callTool(t, cs, "find_note", map[string]any{"title": "hello"})
	if code, _ := post(t, j.harness, hs.URL+"/mcp", j.token(j.key, j.claims("notes:read")), initBody); code != http.StatusForbidden {
		t.Errorf("a token without the server's scope: %d, want 403", code)
	}
	code, body := scrape(t, j.harness, hs.URL, reader)
	if code != http.StatusOK {
		t.Fatalf("scrape with a JWT: %d", code)
	}
	wantSample(t, body, `hush_tool_calls_total{outcome="refused",tool="add_note"}`, 1)
	wantSample(t, body, `hush_tool_calls_total{outcome="ok",tool="find_note"}`, 1)
	wantSample(t, body, `hush_http_auth_failures_total{reason="insufficient_scope"}`, 1)
	leak.Check(t, "/metrics", body, canaryArg)
	leak.Check(t, "/metrics", body, jwtCanary)
}
