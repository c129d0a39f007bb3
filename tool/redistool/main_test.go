package redistool_test

import (
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/mcptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/internal/testutil/redistest"
	"github.com/hushmcp/hush/source/redis"
	"github.com/hushmcp/hush/tool/redistool"
)

var (
	srv     *redistest.Server
	userSeq atomic.Int64
)

func TestMain(m *testing.M) {
	var err error
	srv, err = redistest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// kinds are the parts the binary ships plus the redis kinds, registered the
// way internal/assembly registers them.
func kinds() config.Kinds {
	k := boot.Kinds(nil)
	if _, ok := k.Sources.Lookup(redis.KindName); !ok {
		k.Sources.Register(redis.Kind)
	}
	if _, ok := k.Tools.Lookup(redistool.KindName); !ok {
		k.Tools.Register(redistool.Kind)
	}
	return k
}

// server is a booted Hush serving hushYAML over an in-memory MCP session,
// with the source's credential a canary password of a fresh ACL user.
type server struct {
	cs       *mcp.ClientSession
	password string
}

func start(t *testing.T, hushYAML string) *server {
	t.Helper()
	user := fmt.Sprintf("tool%d", userSeq.Add(1))
	pw := "canary-redis-tool-" + user + "-NOT-REAL"
	if err := srv.SetUser(t.Context(), user, pw); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "redis-url"), srv.URL(user, pw, 0))
	write(t, filepath.Join(dir, "hush.yaml"), hushYAML)
	cfg, err := config.Load(filepath.Join(dir, "hush.yaml"), kinds())
	if err != nil {
		t.Fatal(err)
	}
	return &server{cs: serve(t, cfg), password: pw}
}

func serve(t *testing.T, cfg *config.Config) *mcp.ClientSession {
	t.Helper()
	return mcptest.Serve(t, cfg, nil, nil)
}

// reply is one tool call's outcome as the client saw it.
type reply struct {
	isError    bool
	text       string
	structured map[string]any
}

func (s *server) call(t *testing.T, name string, args any) reply {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(raw)})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	r := reply{isError: res.IsError, text: b.String()}
	if m, ok := res.StructuredContent.(map[string]any); ok {
		r.structured = m
	}
	if strings.Contains(r.text, s.password) || strings.Contains(fmt.Sprint(r.structured), s.password) {
		t.Fatalf("call %s: the source's password reached the client", name)
	}
	return r
}

// ok calls a tool that must succeed and returns its structured content.
func (s *server) ok(t *testing.T, name string, args any) map[string]any {
	t.Helper()
	r := s.call(t, name, args)
	if r.isError {
		t.Fatalf("call %s: tool error %q", name, r.text)
	}
	return r.structured
}

// refused calls a tool that must fail with a message containing want and
// not containing any of hidden.
func (s *server) refused(t *testing.T, name string, args any, want string, hidden ...string) {
	t.Helper()
	r := s.call(t, name, args)
	if !r.isError || !strings.Contains(r.text, want) {
		t.Errorf("call %s: error %v, text %q; want an error containing %q", name, r.isError, r.text, want)
	}
	for _, h := range hidden {
		if h != "" && strings.Contains(r.text, h) {
			t.Errorf("call %s: the error repeats a supplied value", name)
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
