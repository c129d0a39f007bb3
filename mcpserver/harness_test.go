package mcpserver

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/sqltool"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sqlite"
)

// Obviously fake values; the tests assert they never reach a client or a log.
const (
	canaryDB     = "canary-pw-7f3a9c&<NOT-REAL>"
	canaryToken  = "canary-tok-91b2e4-NOT-REAL"
	canaryToken2 = "canary-tok2-5d6e1f-NOT-REAL"
)

var canaries = []string{canaryDB, canaryToken, canaryToken2}

// syncBuffer collects output from several goroutines.
type syncBuffer = leak.Buffer

// harness is one server over a real sqlite file and a real secret store.
type harness struct {
	t         testing.TB
	srv       *Server
	cfg       *config.Config
	deps      Deps
	store     *secret.Store
	red       *redact.Redactor
	db        *sqlite.Source
	logs      *syncBuffer // everything the server logged
	seen      *syncBuffer // every byte clients received
	tokenPath string
}

func baseConfig(dir string) *config.Config {
	return &config.Config{
		Server: config.Server{
			Name: "hush-test", Transport: "http", Path: "/mcp", CallTimeout: 5 * time.Second,
			ShutdownGrace: 5 * time.Second, MaxBodyBytes: 1 << 20, AuthToken: "${secret:MCP_TOKEN}",
		},
		Secrets: []secret.Decl{
			{Name: "DB_PW", From: "env://DB_PW"},
			{Name: "MCP_TOKEN", From: "file://" + filepath.Join(dir, "token")},
			{Name: "OPTIONAL_KEY", From: "env://OPTIONAL_KEY", Rules: secret.Rules{Optional: true}},
		},
		Sources: []config.Source{{Name: "main", Kind: "sqlite", Spec: sqlite.Spec{DSN: filepath.Join(dir, "data.db")}}},
		Tools:   testTools(),
		Kinds:   boot.Kinds(nil),
	}
}

func testTools() []tool.Spec {
	str := func(name string, req bool) tool.Param {
		return tool.Param{Name: name, Type: "string", Description: name, Required: req}
	}
	limit := 50.0
	return []tool.Spec{
		{Name: "find_note", Kind: "sql", Source: "main", Description: "Find notes by title.",
			Params: []tool.Param{str("title", true), {Name: "limit", Type: "integer", Default: int64(10), Max: &limit}},
			Config: sqltool.Config{Statement: "SELECT id, title, body FROM notes WHERE title = ? ORDER BY id LIMIT ?",
				ReadOnly: true, MaxRows: 10}},
		{Name: "echo", Kind: "sql", Source: "main", Description: "Echo a value.",
			Params: []tool.Param{str("v", true)}, Config: sqltool.Config{Statement: "SELECT ? AS v", ReadOnly: true}},
		{Name: "note_path", Kind: "sql", Source: "main", Description: "Use a note as a JSON path.",
			Params: []tool.Param{{Name: "id", Type: "integer", Required: true}},
			Config: sqltool.Config{Statement: "SELECT json_extract('{}', body) FROM notes WHERE id = ?", ReadOnly: true}},
		{Name: "add_note", Kind: "sql", Source: "main", Description: "Try to write.",
			Params: []tool.Param{str("title", true)},
			Config: sqltool.Config{Statement: "INSERT INTO notes(title, body) VALUES (?, 'x')", ReadOnly: true}},
	}
}

func seed(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		"CREATE TABLE notes(id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)",
		"INSERT INTO notes(id, title, body) VALUES (1, 'hello', 'world'), (2, 'hello', 'again')",
		"INSERT INTO notes(id, title, body) VALUES (3, 'leak', '" + canaryDB + "')",
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// newHarness builds the server; adjust may change the config and deps before
// New runs. Cleanup asserts that no canary reached a client or the logs.
func newHarness(t testing.TB, adjust func(*config.Config, *Deps)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{t: t, logs: &syncBuffer{}, seen: &syncBuffer{}, tokenPath: filepath.Join(dir, "token")}
	h.cfg = baseConfig(dir)
	dbPath := h.cfg.Sources[0].Spec.(sqlite.Spec).DSN
	seed(t, dbPath)
	h.writeToken(canaryToken)
	h.openStore()
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := sqlite.Open(context.Background(), sqlite.Spec{Name: "main", DSN: dbPath}, h.store, logger)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	h.db = db
	t.Cleanup(func() { _ = db.Close() })
	h.deps = Deps{Store: h.store, Sources: map[string]source.Source{"main": db}, Redactor: h.red, Logger: logger}
	if adjust != nil {
		adjust(h.cfg, &h.deps)
	}
	h.srv, err = New(h.cfg, h.deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(h.assertNoLeaks)
	return h
}

func (h *harness) openStore() {
	mux := secret.NewMux()
	vars := map[string]string{"DB_PW": canaryDB}
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	mux.Register("file", &file.Opener{})
	store, err := secret.Open(context.Background(), h.cfg.Secrets, secret.Options{Mux: mux})
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	h.t.Cleanup(func() { _ = store.Close() })
	h.store = store
	h.red = redact.New(redact.Options{})
	h.red.Update(store.Known())
}

// writeToken replaces the token file atomically, as an operator would.
func (h *harness) writeToken(v string) {
	tmp := h.tokenPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(v), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.tokenPath); err != nil {
		h.t.Fatal(err)
	}
}

// rotateToken installs a new token and refreshes the store and redactor.
func (h *harness) rotateToken(v string) {
	h.writeToken(v)
	if err := h.store.Refresh(context.Background(), "MCP_TOKEN"); err != nil {
		h.t.Fatalf("refresh: %v", err)
	}
	h.red.Update(h.store.Known())
}

func (h *harness) assertNoLeaks() {
	for name, data := range map[string]string{"client": h.seen.String(), "log": h.logs.String()} {
		for _, c := range canaries {
			if form := leak.Find(data, c); form != "" {
				h.t.Errorf("a canary reached the %s output (%s form)", name, form)
			}
		}
	}
}

// readOnlyLog keeps the lines a LoggingTransport wrote for received messages.
type readOnlyLog struct{ w io.Writer }

func (r readOnlyLog) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("write: ")) {
		return len(p), nil
	}
	return r.w.Write(p)
}

// inMemory connects a client to the server over in-memory transports.
func (h *harness) inMemory() *mcp.ClientSession {
	h.t.Helper()
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := h.srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		h.t.Fatalf("server connect: %v", err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil)
	cs, err := client.Connect(ctx, &mcp.LoggingTransport{Transport: ct, Writer: readOnlyLog{h.seen}}, nil)
	if err != nil {
		h.t.Fatalf("client connect: %v", err)
	}
	h.t.Cleanup(func() { _ = cs.Close(); _ = ss.Wait() })
	return cs
}

// httpServer starts the server's handler on loopback.
func (h *harness) httpServer() *httptest.Server {
	hs := httptest.NewServer(h.srv.Handler())
	h.t.Cleanup(hs.Close)
	return hs
}

// httpClient returns an HTTP client that sends token (when not empty) and
// records what it receives.
func (h *harness) httpClient(token string) *http.Client {
	return &http.Client{Transport: leak.Transport{Token: token, Seen: h.seen}}
}

// overHTTP connects an MCP client to hs with token.
func (h *harness) overHTTP(hs *httptest.Server, token string) (*mcp.ClientSession, error) {
	tr := &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", HTTPClient: h.httpClient(token), MaxRetries: -1}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), tr, nil)
	if err == nil {
		h.t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func structured(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
