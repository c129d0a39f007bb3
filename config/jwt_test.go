package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const jwtCanary = "canary-jwtcfg-NOT-REAL"

func TestJWTConfig(t *testing.T) {
	cfg := mustParse(t, y(
		"server:",
		"  transport: http",
		"  listen: 0.0.0.0:8080",
		"  jwt:",
		"    public_key: ${secret:JWT_PUBLIC_KEY}",
		"    issuer: https://id.example/realms/acme",
		"    scopes: [mcp]",
		"    key_overlap: 10m",
		"    clock_skew: 1m",
		"    resource: https://hush.example/mcp",
		"secrets:",
		"  JWT_PUBLIC_KEY: {from: env://JWT_PUBLIC_KEY}",
		"sources:",
		"  main: {kind: sqlite, dsn: /tmp/x.db}",
		"tools:",
		"  q:",
		"    source: main",
		"    description: d",
		"    statement: SELECT 1",
		"    scopes: [db:read, db:read, admin]",
	))
	j := cfg.Server.JWT
	if j == nil || j.PublicKey != "${secret:JWT_PUBLIC_KEY}" || j.Issuer != "https://id.example/realms/acme" ||
		!slices.Equal(j.Scopes, []string{"mcp"}) || j.KeyOverlap != 10*time.Minute || j.ClockSkew != time.Minute {
		t.Fatalf("jwt = %+v", j)
	}
	if got := cfg.Server.ResourceURL(); got != "https://hush.example/mcp" {
		t.Errorf("resource = %q", got)
	}
	if !slices.Equal(cfg.Tools[0].Scopes, []string{"db:read", "admin"}) {
		t.Errorf("tool scopes = %v", cfg.Tools[0].Scopes)
	}
	for _, w := range cfg.Warnings {
		if strings.Contains(w, "lets anyone") || strings.Contains(w, "resource") {
			t.Errorf("warning with jwt and its resource set: %s", w)
		}
	}
	cfg = mustParse(t, y(
		"server:",
		"  transport: http",
		"  listen: 0.0.0.0:8080",
		"  jwt: {jwks_url: https://id.example/certs, issuer: https://id.example}",
	))
	want := "t.yaml:4:3: server.jwt.resource is not set: the metadata and the default audience say http://0.0.0.0:8080/mcp; set it to the URL clients use"
	if !slices.Contains(cfg.Warnings, want) {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
}

func TestJWTConfigErrors(t *testing.T) {
	got := errList(t, y(
		"server:",
		"  transport: http",
		"  auth_token: ${secret:MCP_TOKEN}",
		"  jwt:",
		"    public_key: "+jwtCanary,
		"    jwks_url: https://"+jwtCanary+"@id.example/certs",
		"    clock_skew: 1h",
		"    resource: "+jwtCanary,
		"    scopes: [\"a b\"]",
		"    colour: blue",
		"secrets:",
		"  MCP_TOKEN: {from: env://MCP_TOKEN}",
		"tools:",
		"  q:",
		"    kind: sql",
		"    source: main",
		"    description: d",
		"    statement: SELECT 1",
		"    scopes: [\"bad\\\\scope\"]",
		"sources:",
		"  main: {kind: sqlite, dsn: /tmp/x.db}",
	))
	want := []string{
		"t.yaml:4:3: server.jwt.issuer is required",
		"t.yaml:4:3: server: auth_token and jwt are mutually exclusive; keep one",
		"t.yaml:6:5: server.jwt: public_key and jwks_url are mutually exclusive; keep one",
		"t.yaml:7:17: server.jwt.clock_skew: at most 5m0s",
		"t.yaml:8:15: server.jwt.resource: want an absolute http(s) URL without user info",
		"t.yaml:9:14: server.jwt.scopes: invalid scope name (RFC 6749 scope-token: no spaces, quotes or backslashes)",
		"t.yaml:10:5: server.jwt: unknown key \"colour\" (valid: public_key, jwks_url, issuer, audience, resource, authorization_servers, scopes, key_overlap, clock_skew)",
		"t.yaml:19:14: tools.q.scopes: invalid scope name (RFC 6749 scope-token: no spaces, quotes or backslashes)",
	}
	diffLists(t, "errors", got, want)
	for _, e := range got {
		if strings.Contains(e, jwtCanary) {
			t.Errorf("error repeats a value: %s", e)
		}
	}
	got = errList(t, y(
		"server:",
		"  transport: http",
		"  jwt:",
		"    public_key: ${secret:NOPE}",
		"    issuer: https://id.example",
		"    jwks_url: http://[::1",
	))
	if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "mutually exclusive") {
		t.Errorf("errors = %v", got)
	}
	got = errList(t, y(
		"server:",
		"  transport: http",
		"  jwt: {issuer: https://id.example}",
	))
	diffLists(t, "errors", got, []string{"t.yaml:3:3: server.jwt: set public_key (${secret:NAME} of PEM public keys) or jwks_url"})
}
