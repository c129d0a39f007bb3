package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
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
// Each reports p50-µs and p99-µs per call besides ns/op.
// BenchmarkPGOverhead interleaves direct and HTTP calls, so both see the
// same machine load, and reports the difference of their medians.

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
	cfg, err := config.Load(env.config)
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
