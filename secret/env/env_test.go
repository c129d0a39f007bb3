package env_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
	"github.com/hushmcp/hush/secret/env"
)

const canaryValue = "canary-env-7f3a9c-NOT-REAL"

// harness serves variables from a map, so tests never touch the process
// environment and can run in parallel.
type harness struct {
	mu   sync.Mutex
	vars map[string]string
}

func newHarness() *harness { return &harness{vars: map[string]string{}} }

func (h *harness) lookup(name string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.vars[name]
	return v, ok
}

func (h *harness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return openRef(ctx, t, h, "env://"+name)
}

func (h *harness) Set(_ testing.TB, name string, value []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vars[name] = string(value)
}

func (h *harness) Delete(_ testing.TB, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.vars, name)
}

func (h *harness) Mutable() bool { return false }

func (h *harness) Ref(name string) string { return "env://" + name }

func (h *harness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return (&env.Opener{Lookup: h.lookup}).OpenSecret(ctx, ref)
}

func (h *harness) BadRefs(marker string) []string {
	return []string{"env://", "env://" + marker, "env://NAME/" + marker, "env://NAME/x", "env://9" + marker}
}

func openRef(ctx context.Context, t testing.TB, h *harness, ref string) (driver.Driver, error) {
	t.Helper()
	r, err := secret.ParseRef(ref)
	if err != nil {
		t.Fatalf("parse reference: %v", err)
	}
	return (&env.Opener{Lookup: h.lookup}).OpenSecret(ctx, r)
}

func TestConformance(t *testing.T) {
	drivertest.RunConformance(t, newHarness())
}

func TestFetchReturnsVariable(t *testing.T) {
	h := newHarness()
	h.Set(t, "DB_PASSWORD", []byte(canaryValue))
	d := mustOpen(t, h, "env://DB_PASSWORD")
	snap, err := d.Fetch(context.Background())
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if string(snap.Data) != canaryValue || snap.Version != "" || !snap.ExpiresAt.IsZero() {
		t.Errorf("fetch returned %d bytes, version set %t, expiry set %t; want the variable, no version, no expiry",
			len(snap.Data), snap.Version != "", !snap.ExpiresAt.IsZero())
	}
}

func TestEmptyVariableIsPresent(t *testing.T) {
	h := newHarness()
	h.Set(t, "EMPTY", nil)
	snap, err := mustOpen(t, h, "env://EMPTY").Fetch(context.Background())
	if err != nil || snap.Data == nil || len(snap.Data) != 0 {
		t.Errorf("fetch of an empty variable: %d bytes, nil %t, err %v; want present and empty",
			len(snap.Data), snap.Data == nil, err)
	}
}

func TestValueReadOnceAtOpen(t *testing.T) {
	h := newHarness()
	h.Set(t, "ROTATED", []byte(canaryValue))
	d := mustOpen(t, h, "env://ROTATED")
	h.Set(t, "ROTATED", []byte("canary-env-changed-7f3a9c-NOT-REAL"))
	h.Delete(t, "ROTATED")
	snap, err := d.Fetch(context.Background())
	if err != nil || string(snap.Data) != canaryValue {
		t.Errorf("fetch after the variable changed: err %v, value unchanged %t; want the value read at open",
			err, string(snap.Data) == canaryValue)
	}
	if s, ok := d.(driver.Static); !ok || !s.Static() {
		t.Error("env driver must report Static so the store never polls it")
	}
}

func TestMissingVariableNamesIt(t *testing.T) {
	d := mustOpen(t, newHarness(), "env://NOT_SET_ANYWHERE")
	_, err := d.Fetch(context.Background())
	if !errors.Is(err, driver.ErrNotFound) || !strings.Contains(err.Error(), "NOT_SET_ANYWHERE") {
		t.Errorf("got %v; want not found naming the variable", err)
	}
}

func TestDefaultLookupReadsProcessEnvironment(t *testing.T) {
	t.Setenv("HUSH_ENV_TEST_VAR", canaryValue)
	r, _ := secret.ParseRef("env://HUSH_ENV_TEST_VAR")
	d, err := (&env.Opener{}).OpenSecret(context.Background(), r)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer d.Close()
	snap, err := d.Fetch(context.Background())
	if ok := string(snap.Data) == os.Getenv("HUSH_ENV_TEST_VAR"); err != nil || !ok {
		t.Errorf("fetch with default lookup: err %v, matches environment %t", err, ok)
	}
}

func TestInvalidReferences(t *testing.T) {
	cases := []struct{ name, ref, want string }{
		{"no name", "env://", "variable name"},
		{"misplaced value", "env://s3cr3t-pw", "[A-Za-z_]"},
		{"leading digit", "env://9LIVES", "[A-Za-z_]"},
		{"dot", "env://A.B", "[A-Za-z_]"},
		{"path", "env://NAME/extra", "path"},
		{"query", "env://NAME?x=1", "valid: none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := openRef(context.Background(), t, newHarness(), c.ref)
			// A malformed name is often a misplaced value: never echo it.
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Fatal("error echoes the malformed reference (withheld)")
			}
			if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v; want invalid mentioning %q", err, c.want)
			}
		})
	}
}

func mustOpen(t *testing.T, h *harness, ref string) driver.Driver {
	t.Helper()
	d, err := openRef(context.Background(), t, h, ref)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}
