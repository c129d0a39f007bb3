package httpapi_test

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/tool"
)

func parse(src string) (*config.Config, error) {
	kinds := config.Kinds{Sources: source.NewRegistry(httpapi.Kind), Tools: tool.NewRegistry(), Providers: assembly.Providers(nil)}
	return config.Parse("t.yaml", []byte("secrets:\n  KEY: { from: env://KEY }\nsources:\n"+src), kinds)
}

func TestDecode(t *testing.T) {
	cfg, err := parse(`  search:
    kind: http
    base_url: https://api.example.com/v1
    headers: { Authorization: "Bearer ${secret:KEY}", accept: application/json }
    query: { lang: en }
    timeout: 3s
    max_response_bytes: 4096
    retries: 0
    health_path: /status?deep=1
    methods: [GET, POST]
`)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0].Spec.(httpapi.Spec)
	if s.Origin != "https://api.example.com:443" || s.Headers["Accept"] != "application/json" || s.Retries != 0 ||
		s.MaxBytes != 4096 || s.HealthPath != "/status?deep=1" || !s.AllowsMethod("POST") || s.AllowsMethod("DELETE") {
		t.Errorf("spec = %+v", s)
	}
}

// Each mistake is reported at its place, and no message repeats the value.
func TestDecodeRefuses(t *testing.T) {
	const literal = "canary-literal-key-NOT-REAL"
	cases := []struct{ yaml, want string }{
		{`{kind: http, base_url: "https://${secret:KEY}.example.com"}`, "not in its host"},
		{`{kind: http, base_url: "ftp://example.com"}`, "must be an http:// or https:// URL"},
		{`{kind: http, base_url: "https://example.com/#x"}`, "#fragment"},
		{`{kind: http, base_url: "https://u:` + literal + `@example.com"}`, "literal password"},
		{`{kind: http, base_url: "https://example.com", headers: {Authorization: "Bearer ` + literal + `"}}`, "looks like a credential"},
		{`{kind: http, base_url: "https://example.com", query: {api_key: "` + literal + `"}}`, "looks like a credential"},
		{`{kind: http, base_url: "https://example.com", headers: {"Bad Name": "x"}}`, "not a valid header name"},
		{`{kind: http, base_url: "https://example.com", headers: {Host: "x"}}`, "set by the client"},
		{`{kind: http, base_url: "https://example.com", methods: [GET, CONNECT]}`, "unknown method"},
		{`{kind: http, base_url: "https://example.com", health_path: "health"}`, "must be a path starting with /"},
		{`{kind: http, base_url: "https://example.com", retries: 9}`, "retries"},
	}
	for _, c := range cases {
		_, err := parse("  api: " + c.yaml + "\n")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), literal) {
			t.Errorf("%s: the message repeats the value", c.yaml)
		}
	}
}
