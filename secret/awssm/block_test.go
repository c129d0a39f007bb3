package awssm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/awssm"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

func parse(t *testing.T, block string) (*awssm.Config, error) {
	t.Helper()
	mux := secret.NewMux()
	mux.Register("awssm", &awssm.Opener{})
	yaml := "secrets:\n  DB:\n    from: awssm://prod/db\n" + block
	cfg, err := config.Parse("hush.yaml", []byte(yaml), config.Kinds{
		Sources: source.NewRegistry(), Tools: tool.NewRegistry(), Providers: mux})
	if err != nil {
		return nil, err
	}
	c, _ := cfg.Providers["awssm"].(*awssm.Config)
	return c, nil
}

func TestBlock(t *testing.T) {
	c, err := parse(t, "awssm:\n  region: eu-west-1\n  endpoint: https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com\n  refresh_ttl: 15m\n  forced_refresh_interval: 5s\n")
	if err != nil {
		t.Fatal(err)
	}
	want := awssm.Config{Region: "eu-west-1", Endpoint: "https://vpce-1.secretsmanager.eu-west-1.vpce.amazonaws.com",
		RefreshTTL: 15 * time.Minute, ForcedRefreshInterval: 5 * time.Second}
	if c == nil || *c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if err := (&awssm.Opener{}).Configure(context.Background(), c); err != nil {
		t.Errorf("configure: %v", err)
	}
}

// TestBlockRefusesKeys checks that credentials cannot be written in the
// block, and that bad settings are reported without their values.
func TestBlockRefusesKeys(t *testing.T) {
	for block, want := range map[string]string{
		"awssm:\n  access_key_id: AKIAAWSSMTESTNOTREAL\n":  "access_key_id",
		"awssm:\n  secret_access_key: x-NOT-REAL-secret\n": "secret_access_key",
		"awssm:\n  region: Moon-1\n":                       "region",
		"awssm:\n  endpoint: https://u:p-NOT-REAL@host/\n": "endpoint",
		"awssm:\n  refresh_ttl: 10ms\n":                    "refresh_ttl",
	} {
		_, err := parse(t, block)
		switch {
		case err == nil:
			t.Errorf("%q accepted", want)
		case strings.Contains(err.Error(), "NOT-REAL"):
			t.Errorf("%q: error repeats the value", want)
		case !strings.Contains(err.Error(), want):
			t.Errorf("%q: error does not name the key: %v", want, err)
		}
	}
}
