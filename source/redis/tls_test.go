package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/redistest"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/sourcetest"
)

// rediss:// connects with TLS, trusting the system roots or ca_file.
func TestTLS(t *testing.T) {
	tlsSrv, err := redistest.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	defer tlsSrv.Stop()
	pw := canary("tls-redis-pw")
	if err := tlsSrv.SetUser(t.Context(), "tlsapp", pw); err != nil {
		t.Fatal(err)
	}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: tlsSrv.URL("tlsapp", pw, 0)})
	open := func(caFile string) (*Source, error) {
		return Open(t.Context(), Spec{Name: "tls", URL: "${secret:CRED}", CAFile: caFile}, secrets, nil)
	}
	if _, err := open(""); !errors.Is(err, driver.ErrUnavailable) || err.Error() != `redis source "tls": TLS certificate not trusted` {
		t.Errorf("a server certificate from an unknown CA: %v", err)
	}
	src, err := open(tlsSrv.CAFile())
	if err != nil {
		t.Fatalf("open with ca_file: %v", err)
	}
	defer src.Close()
	if err := src.Set(t.Context(), "tls:k", "over tls", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _, err := src.Get(t.Context(), "tls:k", 100); err != nil || v != "over tls" {
		t.Errorf("get over tls: %q %v", v, err)
	}
	plain := Spec{Name: "plain", URL: "redis://u:${secret:CRED}@127.0.0.1:1/0", CAFile: tlsSrv.CAFile()}
	if _, err := Open(t.Context(), plain, secrets, nil); !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("ca_file with redis://: %v", err)
	}
}
