package awssm

import (
	"context"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
)

// harness keeps each secret as a SecretString of the same name. A short
// TTL makes the drivers notice changes within milliseconds.
type harness struct{ e *testEnv }

func (h harness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return h.OpenRef(ctx, t, mustRef(t, h.Ref(name)))
}

func (h harness) Set(_ testing.TB, name string, value []byte) { h.e.srv.Put(name, value) }

func (h harness) Delete(_ testing.TB, name string) { h.e.srv.Delete(name) }

func (h harness) Mutable() bool { return true }

func (h harness) ForceError(_ testing.TB, name string) {
	h.e.srv.SetFault(awssmtest.Fault{Kind: awssmtest.Internal, Secrets: []string{name}})
}

func (h harness) Recover(testing.TB, string) { h.e.srv.SetFault(awssmtest.Fault{}) }

func (h harness) Ref(name string) string { return "awssm://" + name }

func (h harness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return h.e.opener.OpenSecret(ctx, ref)
}

func (h harness) BadRefs(m string) []string {
	return []string{
		"awssm://",
		"awssm:///arn:aws:secretsmanager:" + m,
		"awssm://x/" + m + "%20",
		"awssm://x?version=" + m,
		"awssm://x?region=" + m,
		"awssm://x?stage=a%20" + m,
		"awssm://x?stage=" + m + "&version=" + awssmtest.NewVersionID(),
		"awssm://x?stage=AWSCURRENT&stage=" + m,
	}
}

func TestConformance(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) {
		c.RefreshTTL, c.ForcedRefreshInterval = 20*time.Millisecond, time.Millisecond
	})
	drivertest.RunConformance(t, harness{e})
}

// pinnedHarness opens every secret at the version current when it was
// set: such a driver is static, and never sees later values.
type pinnedHarness struct{ harness }

func (h pinnedHarness) Ref(name string) string {
	return "awssm://" + name + "?version=" + h.e.srv.VersionOf(name, awssmtest.Current)
}

func (h pinnedHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	if h.e.srv.VersionOf(name, awssmtest.Current) == "" {
		return h.OpenRef(ctx, t, mustRef(t, "awssm://"+name+"?version="+awssmtest.NewVersionID()))
	}
	return h.OpenRef(ctx, t, mustRef(t, h.Ref(name)))
}

func (h pinnedHarness) Mutable() bool { return false }

func TestConformancePinnedVersion(t *testing.T) {
	setEnv(t)
	drivertest.RunConformance(t, pinnedHarness{harness{newEnv(t, false, nil)}})
}
