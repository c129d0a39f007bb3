package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/mcpserver"
	"github.com/hushmcp/hush/redact"
)

// The benchmarks compare one small PostgreSQL query made through the whole
// server with the same query made with pgx directly:
//
//	go test -run '^$' -bench . -benchtime 3s ./cmd/hush/
//
// Each reports p50-µs and p99-µs per call besides ns/op. The SDK client
// runs in the test process, so BenchmarkPGToolHTTP and BenchmarkPGOverhead
// include its cost; BenchmarkPGToolRawHTTP leaves it out (a client on
// another machine), and BenchmarkMCPFloor is the go-sdk with no Hush and no
// database. BenchmarkPGOverhead interleaves direct and HTTP calls, so both
// see the same machine load, and reports the difference of their medians.

const benchPassword = "canary-bench-pw-62f1-NOT-REAL"

const benchQuery = "SELECT name, $2::int8 + 1 AS next FROM items WHERE id = $1"

const benchYAML = `server: { name: hush-bench, transport: http }
secrets:
  DB_PASSWORD: { from: "file://%s" }
sources:
  main: { kind: postgres, dsn: "postgres://%s:${secret:DB_PASSWORD}@127.0.0.1:%d/%s?sslmode=disable" }
tools:
  item:
    source: main
    description: Name an item and add one to n.
    statement: "` + benchQuery + `"
    parameters:
      - { name: id, type: integer, required: true }
      - { name: n, type: integer, required: true }
    read_only: false
  item_ro:
    source: main
    description: The same, in a read-only transaction.
    statement: "` + benchQuery + `"
    parameters:
      - { name: id, type: integer, required: true }
      - { name: n, type: integer, required: true }
    read_only: true
`

// benchEnv is a database and a config for it.
type benchEnv struct {
	app    pgApp
	config string
}

func newBenchEnv(b *testing.B) benchEnv {
	b.Helper()
	app := newPGApp(b, "bench", benchPassword,
		"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g")
	dir := b.TempDir()
	pw := secretFile(b, dir, "db-password", benchPassword)
	return benchEnv{app: app, config: hushYAML(b, dir, fmt.Sprintf(benchYAML, pw, app.Role, pg.Port(), app.DB))}
}

// latencies records per-call durations and reports their percentiles.
type latencies []time.Duration

func (l *latencies) time(f func()) {
	t0 := time.Now()
	f()
	*l = append(*l, time.Since(t0))
}

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func (l latencies) report(b *testing.B, prefix string) {
	b.ReportMetric(float64(l.percentile(0.50).Nanoseconds())/1e3, prefix+"p50-µs")
	b.ReportMetric(float64(l.percentile(0.99).Nanoseconds())/1e3, prefix+"p99-µs")
}

// directCall runs the benchmark query with pgx.
func directCall(b *testing.B, pool *pgxpool.Pool, readOnly bool, i int64) {
	ctx := context.Background()
	var name string
	var next int64
	var err error
	if readOnly {
		err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, benchQuery, i%16+1, i).Scan(&name, &next)
		})
	} else {
		err = pool.QueryRow(ctx, benchQuery, i%16+1, i).Scan(&name, &next)
	}
	if err != nil || next != i+1 {
		b.Fatalf("direct query: %d, %v", next, err)
	}
}

// toolCall runs the tool once through an MCP session.
func toolCall(b *testing.B, cs *mcp.ClientSession, tool string, i int64) {
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{
		Name: tool, Arguments: map[string]any{"id": i%16 + 1, "n": i},
	})
	if err != nil || res.IsError {
		b.Fatalf("call %s: %v", tool, err)
	}
}

func openDirect(b *testing.B, env benchEnv) *pgxpool.Pool {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(pg.DSN(env.app.Role, benchPassword, env.app.DB))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = 4, 4 // as the server's postgres source
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// inMemorySession builds the server as hush serve does (config, boot,
// mcpserver, an info-level JSON log through the redactor) and connects a
// client over in-memory transports.
func inMemorySession(b *testing.B, env benchEnv) *mcp.ClientSession {
	b.Helper()
	ctx := context.Background()
	cfg, err := config.Load(env.config, boot.Kinds(nil))
	if err != nil {
		b.Fatal(err)
	}
	red := redact.New(redact.Options{})
	logw := redact.NewWriter(io.Discard, red)
	b.Cleanup(func() { _ = logw.Close() })
	logger := slog.New(slog.NewJSONHandler(logw, nil))
	rt, err := boot.Start(ctx, cfg, boot.Options{Logger: logger, Redactor: red})
	b.Cleanup(func() { _ = rt.Close() })
	if err != nil {
		b.Fatal(err)
	}
	srv, err := mcpserver.New(rt.Config, mcpserver.Deps{Store: rt.Store, Sources: rt.Sources, Redactor: red, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cs.Close(); _ = ss.Wait() })
	return cs
}

// httpSession starts hush serve in-process and connects over streamable
// HTTP (stateful) on loopback.
func httpSession(b *testing.B, env benchEnv) *mcp.ClientSession {
	b.Helper()
	srv := startServe(b, "--config", env.config)
	return connectMCP(b, srv.URL, "", nil)
}

func BenchmarkPGDirect(b *testing.B) {
	pool := openDirect(b, newBenchEnv(b))
	for _, ro := range []bool{false, true} {
		b.Run(fmt.Sprintf("read_only=%v", ro), func(b *testing.B) {
			var lat latencies
			b.ReportAllocs()
			for i := int64(0); b.Loop(); i++ {
				lat.time(func() { directCall(b, pool, ro, i) })
			}
			lat.report(b, "")
		})
	}
}

func BenchmarkPGToolInMemory(b *testing.B) { benchTool(b, inMemorySession) }

func BenchmarkPGToolHTTP(b *testing.B) { benchTool(b, httpSession) }

func benchTool(b *testing.B, connect func(*testing.B, benchEnv) *mcp.ClientSession) {
	cs := connect(b, newBenchEnv(b))
	for _, tool := range []string{"item", "item_ro"} {
		b.Run(fmt.Sprintf("read_only=%v", tool == "item_ro"), func(b *testing.B) {
			var lat latencies
			b.ReportAllocs()
			for i := int64(0); b.Loop(); i++ {
				lat.time(func() { toolCall(b, cs, tool, i) })
			}
			lat.report(b, "")
		})
	}
}

// BenchmarkPGOverhead alternates a direct pgx query and the same query as
// an HTTP MCP tool call; one op is one of each. overhead-p50-µs is the
// difference of the two medians: what the server adds to a call.
func BenchmarkPGOverhead(b *testing.B) {
	env := newBenchEnv(b)
	pool := openDirect(b, env)
	cs := httpSession(b, env)
	for _, ro := range []bool{false, true} {
		tool := map[bool]string{false: "item", true: "item_ro"}[ro]
		b.Run(fmt.Sprintf("read_only=%v", ro), func(b *testing.B) {
			var direct, viaHTTP latencies
			for i := int64(0); b.Loop(); i++ {
				direct.time(func() { directCall(b, pool, ro, i) })
				viaHTTP.time(func() { toolCall(b, cs, tool, i) })
			}
			direct.report(b, "direct-")
			viaHTTP.report(b, "http-")
			b.ReportMetric(float64((viaHTTP.percentile(0.5)-direct.percentile(0.5)).Nanoseconds())/1e3, "overhead-p50-µs")
		})
	}
}

// BenchmarkMCPFloor is the go-sdk alone: a bare server with one tool that
// returns a constant row, no middleware, no database. Its latency is the
// floor under any tool call; the PG benchmarks minus this floor minus the
// direct query is what Hush itself adds.
func BenchmarkMCPFloor(b *testing.B) {
	server := mcp.NewServer(&mcp.Implementation{Name: "floor", Version: "v0"}, nil)
	server.AddTool(&mcp.Tool{Name: "item", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{
				Content:           []mcp.Content{&mcp.TextContent{Text: "name | next\nitem-1 | 2"}},
				StructuredContent: map[string]any{"columns": []string{"name", "next"}, "rows": [][]any{{"item-1", 2}}},
			}, nil
		})
	b.Run("inmemory", func(b *testing.B) {
		ct, st := mcp.NewInMemoryTransports()
		ss, err := server.Connect(context.Background(), st, nil)
		if err != nil {
			b.Fatal(err)
		}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).Connect(context.Background(), ct, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = cs.Close(); _ = ss.Wait() }()
		floorLoop(b, cs)
	})
	b.Run("http", func(b *testing.B) {
		hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
		b.Cleanup(hs.Close) // after the session's cleanup closes its event stream
		floorLoop(b, connectMCP(b, hs.URL, "", nil))
	})
}

func floorLoop(b *testing.B, cs *mcp.ClientSession) {
	var lat latencies
	b.ReportAllocs()
	for i := int64(0); b.Loop(); i++ {
		lat.time(func() { toolCall(b, cs, "item", i) })
	}
	lat.report(b, "")
}

// BenchmarkPGToolRawHTTP is BenchmarkPGToolHTTP without the SDK client: a
// plain HTTP client posts a prepared tools/call and reads the event
// stream, so the latency is the server's (and the wire's) alone, as when
// the client runs on another machine.
func BenchmarkPGToolRawHTTP(b *testing.B) {
	srv := startServe(b, "--config", newBenchEnv(b).config)
	rc := &rawClient{url: srv.URL, http: httpClientFor("", nil)}
	rc.initialize(b)
	for _, tool := range []string{"item", "item_ro"} {
		b.Run(fmt.Sprintf("read_only=%v", tool == "item_ro"), func(b *testing.B) {
			var lat latencies
			b.ReportAllocs()
			for i := int64(0); b.Loop(); i++ {
				body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{"id":%d,"n":%d}}}`,
					i+10, tool, i%16+1, i)
				lat.time(func() { rc.callOK(b, body, fmt.Sprintf(`"rows":[["item-%d",%d]]`, i%16+1, i+1)) })
			}
			lat.report(b, "")
		})
	}
}

// rawClient speaks just enough streamable HTTP for the benchmark.
type rawClient struct {
	url, session string
	http         *http.Client
}

func (c *rawClient) initialize(b *testing.B) {
	b.Helper()
	resp := c.post(b, rawInitialize)
	c.session = resp.Header.Get("Mcp-Session-Id")
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp = c.post(b, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	resp.Body.Close()
}

func (c *rawClient) post(b *testing.B, body string) *http.Response {
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp
}

// callOK posts body and wants a 200 whose stream holds want.
func (c *rawClient) callOK(b *testing.B, body, want string) {
	resp := c.post(b, body)
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(data), want) {
		b.Fatalf("call: %d %v %s", resp.StatusCode, err, data)
	}
}
