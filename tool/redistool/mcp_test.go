package redistool_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
)

// The redis kinds, registered beside the shipped ones, serve over MCP: the
// tools are listed with annotations that match their operations, and
// health_check pings the redis source by name.
func TestServedOverMCP(t *testing.T) {
	s := start(t, toolsYAML)
	list, err := s.cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]*mcp.Tool{}
	for _, tl := range list.Tools {
		tools[tl.Name] = tl
	}
	if a := tools["get_session"].Annotations; a == nil || !a.ReadOnlyHint {
		t.Errorf("get_session annotations %+v, want read-only", a)
	}
	if a := tools["put_session"].Annotations; a == nil || a.ReadOnlyHint || a.DestructiveHint == nil || !*a.DestructiveHint {
		t.Errorf("put_session annotations %+v, want a destructive write", a)
	}
	if a := tools["count_visit"].Annotations; a == nil || a.ReadOnlyHint || a.IdempotentHint {
		t.Errorf("count_visit annotations %+v, want a non-idempotent write", a)
	}
	health := s.call(t, "health_check", map[string]any{})
	if health.isError || !strings.Contains(health.text, "source cache: ping ok") ||
		!strings.Contains(health.text, "secret REDIS_URL (file): ok") {
		t.Errorf("health_check does not report the redis source: %s", health.text)
	}
}

// A rejected credential shows in health_check as a degraded source with an
// error class, while the tools keep working on the old client; the new
// password appears nowhere. Then a good one recovers it.
func TestRotationOverMCP(t *testing.T) {
	dir := t.TempDir()
	user, pw := "rot-mcp", "canary-redis-rot-mcp-1-NOT-REAL"
	if err := srv.SetUser(t.Context(), user, pw); err != nil {
		t.Fatal(err)
	}
	urlFile := filepath.Join(dir, "redis-url")
	write(t, urlFile, srv.URL(user, pw, 0))
	write(t, filepath.Join(dir, "hush.yaml"), toolsYAML)
	cfg, err := config.Load(filepath.Join(dir, "hush.yaml"), kinds())
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cs: serve(t, cfg), password: pw}
	wrong := "canary-redis-rot-mcp-wrong-NOT-REAL"
	write(t, urlFile, srv.URL(user, wrong, 0))
	health := waitHealth(t, s, "degraded", wrong)
	if !strings.Contains(health, "permission") {
		t.Errorf("health_check after a rejected credential does not name its class: %s", health)
	}
	s.ok(t, "put_session", map[string]any{"user_id": "r1", "data": "still served"})
	next := "canary-redis-rot-mcp-2-NOT-REAL"
	if err := srv.SetUser(t.Context(), user, next); err != nil {
		t.Fatal(err)
	}
	write(t, urlFile, srv.URL(user, next, 0))
	s.password = next
	waitHealth(t, s, "source cache: ping ok", wrong)
	if got := s.ok(t, "get_session", map[string]any{"user_id": "r1"}); got["value"] != "still served" {
		t.Errorf("get after recovery = %v", got)
	}
}

// waitHealth polls health_check until it contains want; no reply may hold
// hidden.
func waitHealth(t *testing.T, s *server, want, hidden string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h := s.call(t, "health_check", map[string]any{}).text
		if strings.Contains(h, hidden) {
			t.Fatal("health_check shows a credential")
		}
		if strings.Contains(h, want) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("health_check never said %q: %s", want, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
