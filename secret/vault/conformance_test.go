package vault_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
	"github.com/hushmcp/hush/secret/vault"
)

// kvHarness keeps each secret as the field "value" of a KV v2 secret. It
// opens references without the data/ segment, which the driver inserts
// after the mount preflight.
type kvHarness struct{ e *testEnv }

func (h kvHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return h.OpenRef(ctx, t, mustRef(t, "vault://secret/"+name))
}

func (h kvHarness) Set(_ testing.TB, name string, value []byte) {
	h.e.srv.PutKV("secret", name, map[string]any{"value": string(value)})
}

func (h kvHarness) Delete(_ testing.TB, name string) { h.e.srv.DeleteKV("secret", name) }

func (h kvHarness) Mutable() bool { return true }

func (h kvHarness) ForceError(_ testing.TB, name string) {
	h.e.srv.SetFault(vaulttest.Fault{Status: http.StatusInternalServerError, Paths: []string{"secret/data/" + name}})
}

func (h kvHarness) Recover(testing.TB, string) { h.e.srv.SetFault(vaulttest.Fault{}) }

func (h kvHarness) Ref(name string) string { return "vault://secret/data/" + name }

func (h kvHarness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return openField(ctx, h.e, ref, "value")
}

func (h kvHarness) BadRefs(m string) []string { return badRefs(m) }

// credsHarness issues each secret as the password of a database role's
// credentials. A lease is held until it is replaced, so values do not
// change after Open.
type credsHarness struct{ e *testEnv }

const credsTTL = time.Hour

func (h credsHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return h.OpenRef(ctx, t, mustRef(t, h.Ref(name)))
}

func (h credsHarness) Set(_ testing.TB, name string, value []byte) {
	h.e.srv.SetRole("database", name, vaulttest.Role{TTL: credsTTL, Password: string(value)})
}

func (h credsHarness) Delete(_ testing.TB, name string) { h.e.srv.DeleteRole("database", name) }

func (h credsHarness) Mutable() bool { return false }

func (h credsHarness) LeaseTTL() time.Duration { return credsTTL }

func (h credsHarness) Ref(name string) string { return "vault://database/creds/" + name }

func (h credsHarness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return openField(ctx, h.e, ref, "password")
}

func (h credsHarness) BadRefs(m string) []string { return badRefs(m) }

func badRefs(m string) []string {
	return []string{
		"vault://" + m, "vault:///" + m, "vault://secret/a/../" + m, "vault://secret//" + m,
		"vault://secret/x?kv=" + m, "vault://secret/x?version=" + m, "vault://secret/x?kv=1&version=2",
	}
}

func openField(ctx context.Context, e *testEnv, ref secret.Ref, name string) (driver.Driver, error) {
	d, err := e.opener.OpenSecret(ctx, ref)
	if err != nil {
		return nil, err
	}
	return fieldDriver{Driver: d.(*vault.Driver), field: name}, nil
}

func mustRef(t testing.TB, s string) secret.Ref {
	t.Helper()
	r, err := secret.ParseRef(s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return r
}

func TestConformanceKV(t *testing.T) {
	e := newEnv(t, func(c *vault.Config) { c.KVRefresh = 10 * time.Millisecond })
	e.srv.MountKV("secret", 2)
	drivertest.RunConformance(t, kvHarness{e})
}

func TestConformanceDynamicCredentials(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.MountDatabase("database")
	drivertest.RunConformance(t, credsHarness{e})
}
