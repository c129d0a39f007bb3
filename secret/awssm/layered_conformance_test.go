package awssm

import (
	"context"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
	"github.com/hushmcp/hush/secret/env"
)

// layeredHarness opens every secret as the list [awssm://NAME,
// env://NAME] over an empty environment: the layered driver must behave
// like any provider, and an error of Secrets Manager must never fall
// through to the environment.
type layeredHarness struct {
	harness
	mux *secret.Mux
}

func (h layeredHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return h.OpenRef(ctx, t, mustRef(t, h.Ref(name)))
}

func (h layeredHarness) OpenRef(ctx context.Context, t testing.TB, ref secret.Ref) (driver.Driver, error) {
	return secret.OpenLayered(ctx, h.mux, []secret.Ref{ref, mustRef(t, "env://UNSET_"+ref.Host)})
}

func TestConformanceLayered(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) {
		c.RefreshTTL, c.ForcedRefreshInterval = 20*time.Millisecond, time.Millisecond
	})
	mux := secret.NewMux()
	mux.Register("awssm", e.opener)
	mux.Register("env", &env.Opener{Lookup: func(string) (string, bool) { return "", false }})
	drivertest.RunConformance(t, layeredHarness{harness{e}, mux})
}
