package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/webhook"
	"github.com/hushmcp/hush/tool"
)

func parse(entry string) (*config.Config, error) {
	kinds := config.Kinds{Sources: source.NewRegistry(webhook.Kind), Tools: tool.NewRegistry(), Providers: assembly.Providers(nil)}
	return config.Parse("t.yaml", []byte("secrets:\n  SIG: { from: env://SIG }\n  TOK: { from: env://TOK }\nsources:\n  hook: "+entry+"\n"), kinds)
}

func TestDecode(t *testing.T) {
	cfg, err := parse(`{kind: webhook, url: "https://hooks.example.com/services/${secret:TOK}", secret: "${secret:SIG}", overlap: 10m, ping: false, headers: {X-Team: ops}}`)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0].Spec.(webhook.Spec)
	if s.Origin != "https://hooks.example.com:443" || s.Overlap != 10*time.Minute || !s.NoPing || s.Headers["X-Team"] != "ops" {
		t.Errorf("spec = %+v", s)
	}
}

func TestDecodeRefuses(t *testing.T) {
	const literal = "canary-literal-signing-key-NOT-REAL"
	cases := []struct{ entry, want string }{
		{`{kind: webhook, url: "https://x.example.com"}`, "secret is required"},
		{`{kind: webhook, url: "https://x.example.com", secret: "` + literal + `"}`, "must be one secret reference"},
		{`{kind: webhook, url: "https://x.example.com", secret: "v1-${secret:SIG}"}`, "must be one secret reference"},
		{`{kind: webhook, url: "https://${secret:TOK}.example.com", secret: "${secret:SIG}"}`, "not in its host"},
		{`{kind: webhook, url: "https://x.example.com", secret: "${secret:SIG}", headers: {X-Hush-Event: a}}`, "set by the source"},
		{`{kind: webhook, url: "https://x.example.com", secret: "${secret:SIG}", overlap: 48h}`, "at most"},
	}
	for _, c := range cases {
		_, err := parse(c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.entry, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), literal) {
			t.Errorf("%s: the message repeats the value", c.entry)
		}
	}
}
