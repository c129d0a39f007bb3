package config

import (
	"errors"
	"fmt"
	"github.com/hushmcp/hush/source/postgres"
	"github.com/hushmcp/hush/source/sqlite"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/sqltool"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
)

func f64(v float64) *float64 { return &v }

func TestLoadFullExample(t *testing.T) {
	const file = "testdata/full.yaml"
	got, err := Load(file, testKinds)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Path: file,
		Server: Server{Name: "acme-data", Transport: "http", Listen: "127.0.0.1:9090", Path: "/v1/mcp",
			Stateless: true, AuthToken: "${secret:MCP_TOKEN}", CallTimeout: 45 * time.Second,
			ShutdownGrace: 5 * time.Second, MaxBodyBytes: 2097152},
		Secrets: []secret.Decl{
			{Name: "DATABASE_URL", From: "env://DATABASE_URL", Pos: file + ":15:3",
				Rules: secret.Rules{MinLength: 10, Format: "url", Schemes: []string{"postgres", "postgresql"}}},
			{Name: "MCP_TOKEN", From: "file:///run/secrets/mcp/token", Pos: file + ":20:3",
				Rules: secret.Rules{MinLength: 32, MaxLength: 128}},
			{Name: "REPORTS_CREDS", From: "vault://secret/data/reports?version=3#password", Pos: file + ":24:3",
				Rules: secret.Rules{Optional: true, Format: "json", Fields: []string{"username", "password"}, Strict: true}},
			{Name: "REPORTS_PASSWORD", From: "env://REPORTS_PASSWORD", Pos: file + ":30:3",
				Rules: secret.Rules{Prefix: "rp_"}},
		},
		Sources: []Source{
			{Name: "main", Pos: file + ":35:3", Kind: "postgres", Spec: postgres.Spec{DSN: "${secret:DATABASE_URL}", MaxConns: 8}},
			{Name: "reports", Pos: file + ":39:3", Kind: "postgres", Spec: postgres.Spec{
				DSN: "postgres://reporter:${secret:REPORTS_PASSWORD}@db.internal:5432/reports?sslmode=require"}},
			{Name: "local", Pos: file + ":42:3", Kind: "sqlite", Spec: sqlite.Spec{DSN: "file:/var/lib/hush/cache.db?mode=ro"}},
		},
		Tools: []tool.Spec{
			{Name: "find_customer", Pos: file + ":47:3", Kind: "sql", Source: "main",
				Description: "Look up a customer by e-mail.",
				Params: []tool.Param{{Name: "email", Type: "string", Description: "Customer e-mail", Required: true,
					Min: f64(3), Max: f64(254)}},
				Timeout: 5 * time.Second,
				Config: sqltool.Config{Statement: "SELECT id, name, plan FROM customers WHERE email = $1",
					ReadOnly: true, MaxRows: 1, MaxBytes: sqltool.DefaultMaxBytes}},
			{Name: "top_orders", Pos: file + ":57:3", Kind: "sql", Source: "reports",
				Description: "Largest orders in a period.",
				Params: []tool.Param{
					{Name: "days", Type: "integer", Description: "How many days back to look.", Default: int64(30), Min: f64(1), Max: f64(365)},
					{Name: "status", Type: "string", Default: "shipped", Enum: []any{"open", "shipped", "cancelled"}},
					{Name: "min_total", Type: "number", Default: 9.5, Min: f64(0)},
					{Name: "limit", Type: "integer", Default: int64(10), Enum: []any{int64(10), int64(50), int64(100)}},
				},
				Config: sqltool.Config{Statement: "SELECT id, total, placed_at\nFROM orders\nWHERE placed_at >= now() - make_interval(days => $1)\n" +
					"  AND status = $2 AND total >= $3\nORDER BY total DESC\nLIMIT $4\n", ReadOnly: true, MaxRows: 100, MaxBytes: sqltool.DefaultMaxBytes}},
			{Name: "cache_lookup", Pos: file + ":86:3", Kind: "sql", Source: "local",
				Description: "Read a cached entry.",
				Params: []tool.Param{{Name: "key", Type: "string", Required: true},
					{Name: "fresh", Type: "boolean", Default: true}},
				Config: sqltool.Config{Statement: "SELECT value FROM cache WHERE key = ? AND fresh = ?", MaxRows: 10000, MaxBytes: sqltool.DefaultMaxBytes}},
		},
		Warnings: []string{file + `:24:3: secret "REPORTS_CREDS" is declared but not used`},
	}
	compareConfig(t, got, want)
}

func compareConfig(t *testing.T, got, want *Config) {
	t.Helper()
	if !reflect.DeepEqual(got.Server, want.Server) {
		t.Errorf("Server:\ngot  %+v\nwant %+v", got.Server, want.Server)
	}
	if !reflect.DeepEqual(got.Secrets, want.Secrets) {
		t.Errorf("Secrets:\ngot  %+v\nwant %+v", got.Secrets, want.Secrets)
	}
	if !reflect.DeepEqual(got.Sources, want.Sources) {
		t.Errorf("Sources:\ngot  %+v\nwant %+v", got.Sources, want.Sources)
	}
	for i := range max(len(got.Tools), len(want.Tools)) {
		if i >= len(got.Tools) || i >= len(want.Tools) || !reflect.DeepEqual(got.Tools[i], want.Tools[i]) {
			t.Errorf("Tools[%d] differs:\ngot  %s\nwant %s", i, toolString(got.Tools, i), toolString(want.Tools, i))
		}
	}
	if got.Path != want.Path {
		t.Errorf("Path = %q, want %q", got.Path, want.Path)
	}
	diffLists(t, "warnings", got.Warnings, want.Warnings)
}

// toolString prints a tool with its bounds dereferenced, for diffs.
func toolString(tools []tool.Spec, i int) string {
	if i >= len(tools) {
		return "(none)"
	}
	t := tools[i]
	params := t.Params
	t.Params = nil
	out := fmt.Sprintf("%+v", t)
	for _, p := range params {
		out += fmt.Sprintf("\n    %s %s %q req=%v default=%#v enum=%#v min=%s max=%s",
			p.Name, p.Type, p.Description, p.Required, p.Default, p.Enum, bound(p.Min), bound(p.Max))
	}
	return out
}

func bound(f *float64) string {
	if f == nil {
		return "nil"
	}
	return fmt.Sprint(*f)
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	for _, data := range []string{"", "# nothing yet\n", "server:\nsecrets:\nsources:\ntools:\n"} {
		cfg := mustParse(t, []byte(data))
		want := Server{Name: "hush", Transport: "stdio", Listen: "127.0.0.1:8080", Path: "/mcp",
			CallTimeout: 30 * time.Second, ShutdownGrace: 10 * time.Second, MaxBodyBytes: 1 << 20}
		if !reflect.DeepEqual(cfg.Server, want) {
			t.Errorf("%q: Server = %+v, want %+v", data, cfg.Server, want)
		}
		if len(cfg.Secrets)+len(cfg.Sources)+len(cfg.Tools)+len(cfg.Warnings) != 0 {
			t.Errorf("%q: want empty lists, got %+v", data, cfg)
		}
		if cfg.Path != "t.yaml" {
			t.Errorf("Path = %q", cfg.Path)
		}
	}
}

func TestToolDefaults(t *testing.T) {
	cfg := mustParse(t, withSources("tools:", "  t: {source: db, description: d, statement: \"SELECT $1\", parameters: [{name: a, type: string}]}"))
	tl := cfg.Tools[0]
	sc := tl.Config.(sqltool.Config)
	if tl.Kind != "sql" || !sc.ReadOnly || sc.MaxRows != 100 || tl.Timeout != 0 {
		t.Errorf("defaults: kind=%q read_only=%v max_rows=%d timeout=%v; want sql, true, 100, 0",
			tl.Kind, sc.ReadOnly, sc.MaxRows, tl.Timeout)
	}
	if p := tl.Params[0]; p.Required || p.Default != nil || p.Enum != nil || p.Min != nil || p.Max != nil {
		t.Errorf("parameter defaults: %+v", p)
	}
}

func TestOrderIsPreserved(t *testing.T) {
	cfg := mustParse(t, y(
		"tools:",
		"  zeta: {source: b, description: d, statement: SELECT 1}",
		"  alpha: {source: c, description: d, statement: SELECT 1}",
		"  mid: {source: a, description: d, statement: SELECT 1}",
		"sources:",
		"  c: {kind: postgres, dsn: \"${secret:Z}\"}",
		"  a: {kind: postgres, dsn: \"${secret:A}\"}",
		"  b: {kind: postgres, dsn: \"postgres://u:${secret:M}@h/db\"}",
		"secrets:",
		"  Z: {from: env://Z}",
		"  A: {from: env://A}",
		"  M: {from: env://M}",
	))
	var secrets, sources, tools []string
	for _, s := range cfg.Secrets {
		secrets = append(secrets, s.Name)
	}
	for _, s := range cfg.Sources {
		sources = append(sources, s.Name)
	}
	for _, tl := range cfg.Tools {
		tools = append(tools, tl.Name)
	}
	diffLists(t, "secrets", secrets, []string{"Z", "A", "M"})
	diffLists(t, "sources", sources, []string{"c", "a", "b"})
	diffLists(t, "tools", tools, []string{"zeta", "alpha", "mid"})
}

func TestWarnings(t *testing.T) {
	cfg := mustParse(t, y(
		"server:",
		"  listen: 0.0.0.0:9000",
		"  auth_token: ${secret:TOKEN}",
		"secrets:",
		"  TOKEN: {from: env://TOKEN}",
		"  SPARE: {from: env://SPARE}",
		"sources:",
		"  db: {kind: sqlite, dsn: app.db}",
		"tools:",
		"  t:",
		"    source: db",
		"    description: d",
		"    statement: SELECT ?",
		"    parameters:",
		"      - {name: a, type: integer, required: true, default: 3}",
	))
	diffLists(t, "warnings", cfg.Warnings, []string{
		"t.yaml:2:3: server.listen is ignored with transport stdio",
		"t.yaml:3:3: server.auth_token is ignored with transport stdio",
		`t.yaml:6:3: secret "SPARE" is declared but not used`,
		"t.yaml:15:50: tools.t.parameters[0]: default has no effect on a required parameter",
	})
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), testKinds)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config: ") {
		t.Fatalf("Load of a missing file: %v; want a wrapped fs.ErrNotExist", err)
	}
}

func TestAcceptedDSNs(t *testing.T) {
	for _, dsn := range []string{
		"${secret:DB}",
		"postgres://app:${secret:DB}@localhost:5432/app",
		"postgres://${secret:DB}@localhost/app",
		"postgresql://localhost/app?sslmode=disable&application_name=a@b",
		"host=localhost user=app password=${secret:DB} dbname=app",
		"host=localhost user=app password='${secret:DB}'",
		"postgres://app:@localhost/app",
		"app.db",
		"file:/tmp/a@b.db?mode=ro",
		"file:///var/lib/x@y/app.db",
	} {
		data := y("secrets: {DB: {from: env://DB}}", "sources:", "  db: {kind: postgres, dsn: \""+dsn+"\"}",
			"  keep: {kind: postgres, dsn: \"${secret:DB}\"}")
		if _, err := Parse("t.yaml", data, testKinds); err != nil {
			t.Errorf("dsn %q rejected: %v", dsn, err)
		}
	}
}

func TestLiteralPassword(t *testing.T) {
	cases := map[string]bool{
		"postgres://u:pw@h/db":                             true,
		"postgres://u:pw@h1,h2:5433/db":                    true,
		"postgres://u:p#w@h/db":                            true,
		"postgres://u:p?w@h/db":                            true,
		"mysql://u:pre${secret:X}@h/db":                    true,
		"postgres://u@h/db?password=pw":                    true,
		"postgres://u@h/db?sslmode=require&sslpassword=pw": true,
		"host=h password=pw":                               true,
		"host=h PASSWORD = pw":                             true,
		"host=h password='p w'":                            true,
		"user=u;pwd=pw":                                    true,
		"postgres://u:${secret:X}@h/db":                    false,
		"postgres://u:${secret:X}${secret:Y}@h/db":         false,
		"postgres://h:5432/db":                             false,
		"postgres://u@h/db":                                false,
		"host=h password=${secret:X}":                      false,
		"host=h password=":                                 false,
		"/var/lib/app.db":                                  false,
		"file:test.db?cache=shared&mode=memory":            false,
	}
	for dsn, want := range cases {
		if got := literalPassword(dsn); got != want {
			t.Errorf("literalPassword(%q) = %v, want %v", dsn, got, want)
		}
	}
}

func TestOpenListenerWithoutAuthWarns(t *testing.T) {
	cases := map[string][]string{
		"127.0.0.1:8080": nil,
		"[::1]:8080":     nil,
		"localhost:8080": nil,
		"0.0.0.0:8080":   {"t.yaml:1:1: server: listening on 0.0.0.0:8080 without auth_token lets anyone on the network call tools"},
		":8080":          {"t.yaml:1:1: server: listening on :8080 without auth_token lets anyone on the network call tools"},
	}
	for listen, want := range cases {
		cfg := mustParse(t, y("server:", "  transport: http", "  listen: \""+listen+"\""))
		diffLists(t, listen, cfg.Warnings, want)
	}
	cfg := mustParse(t, y("secrets: {T: {from: env://T}}",
		"server: {transport: http, listen: \"0.0.0.0:80\", auth_token: \"${secret:T}\"}"))
	diffLists(t, "with auth_token", cfg.Warnings, nil)
}

func BenchmarkParseFull(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data, testKinds); err != nil {
			b.Fatal(err)
		}
	}
}
