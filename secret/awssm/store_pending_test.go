package awssm

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
)

// pendingStore is a store over one Secrets Manager secret whose forced
// refreshes are never deferred, and a subscription to it.
func pendingStore(t *testing.T, e *testEnv, decls ...secret.Decl) (*secret.Store, <-chan secret.Event) {
	t.Helper()
	s := e.store(t, decls...)
	events, stop := s.Subscribe()
	t.Cleanup(stop)
	return s, events
}

func wantStored(t *testing.T, s *secret.Store, name string, want []byte) {
	t.Helper()
	v, _ := s.Get(name)
	checkValue(t, name, v.Reveal(), want)
}

func wantEvents(t *testing.T, events <-chan secret.Event, n int) {
	t.Helper()
	got := 0
	for {
		select {
		case <-events:
			got++
			continue
		default:
		}
		break
	}
	if got != n {
		t.Errorf("%d change events, want %d", got, n)
	}
}

// While a rotation is between createSecret and finishSecret, a rejected
// credential makes the store serve AWSPENDING; a plain refresh keeps it
// (AWSCURRENT has not moved), and finishSecret changes nothing more.
func TestRefreshRejectedServesPending(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) { c.ForcedRefreshInterval = time.Nanosecond })
	e.srv.Put("db", []byte(`{"password":"`+string(canary("old"))+`"}`))
	s, events := pendingStore(t, e, secret.Decl{Name: "DB", From: "awssm://db#password"})
	ctx := context.Background()
	if err := s.RefreshRejected(ctx, "DB"); err != nil {
		t.Fatalf("no rotation: %s", safe(err))
	}
	wantStored(t, s, "DB", canary("old"))
	wantEvents(t, events, 0)

	r := e.srv.StartRotation("db")
	if err := r.CreateSecret([]byte(`{"password":"` + string(canary("new")) + `"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshRejected(ctx, "DB"); err != nil {
		t.Fatalf("during the rotation: %s", safe(err))
	}
	wantStored(t, s, "DB", canary("new"))
	wantEvents(t, events, 1)
	if h := s.Health()[0]; h.Status != secret.StatusOK || h.Version != r.Token() {
		t.Errorf("health %s version %s, want ok %s", h.Status, h.Version, r.Token())
	}
	if err := s.Refresh(ctx, "DB"); err != nil {
		t.Fatal(safe(err))
	}
	wantStored(t, s, "DB", canary("new"))
	if err := r.FinishSecret(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.RefreshRejected(ctx, "DB"); err != nil {
			t.Fatal(safe(err))
		}
	}
	wantStored(t, s, "DB", canary("new"))
	wantEvents(t, events, 0)
	known := string(joinKnown(s))
	if !strings.Contains(known, string(canary("old"))) {
		t.Error("the replaced value is no longer known to the redactor")
	}
}

func joinKnown(s *secret.Store) []byte {
	var out []byte
	for _, k := range s.Known() {
		out = append(append(out, k...), '\n')
	}
	return out
}

// A rotation abandoned before finishSecret (AWSPENDING withdrawn,
// AWSCURRENT never moved) brings the current value back at the next
// refresh, which the driver's loop starts itself.
func TestPendingWithdrawn(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) {
		c.ForcedRefreshInterval, c.RefreshTTL = time.Nanosecond, 50*time.Millisecond
	})
	cur := e.srv.Put("db", canary("old"))
	s, _ := pendingStore(t, e, secret.Decl{Name: "DB", From: "awssm://db"})
	r := e.srv.StartRotation("db")
	if err := r.CreateSecret(canary("new")); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshRejected(context.Background(), "DB"); err != nil {
		t.Fatal(safe(err))
	}
	wantStored(t, s, "DB", canary("new"))
	if err := e.srv.MoveStage("db", "AWSPENDING", cur); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the current value back", func() bool {
		v, _ := s.Get("DB")
		return string(v.Reveal()) == string(canary("old"))
	})
}

// A pending value that fails the secret's rules is not served; a layered
// declaration serves the pending value of the layer that served, with its
// own field.
func TestRefreshRejectedRulesAndLayers(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) { c.ForcedRefreshInterval = time.Nanosecond })
	e.srv.Put("short", canary("old-and-long-enough"))
	e.srv.Put("app", []byte(`{"KEY":"`+string(canary("old"))+`"}`))
	s, _ := pendingStore(t, e,
		secret.Decl{Name: "SHORT", From: "awssm://short", Rules: secret.Rules{MinLength: 24}},
		secret.Decl{Name: "KEY", From: "awssm://app#KEY", Also: []string{"awssm://none"}})
	if err := e.srv.StartRotation("short").CreateSecret([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshRejected(context.Background(), "SHORT"); err == nil || !strings.Contains(err.Error(), "min_length") {
		t.Errorf("a pending value too short: %s, want a min_length problem", safe(err))
	}
	wantStored(t, s, "SHORT", canary("old-and-long-enough"))
	if h := s.Health()[0]; h.Status != secret.StatusOK {
		t.Errorf("health %s after a bad pending value, want ok", h.Status)
	}
	if err := e.srv.StartRotation("app").CreateSecret([]byte(`{"KEY":"` + string(canary("new")) + `"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshRejected(context.Background(), "KEY"); err != nil {
		t.Fatal(safe(err))
	}
	wantStored(t, s, "KEY", canary("new"))
	if h := s.Health()[1]; h.Served != "awssm://app#KEY" || !strings.HasPrefix(h.Version, "0:") {
		t.Errorf("served by %q version %q", h.Served, h.Version)
	}
}

// A rejection reported within the forced-refresh interval of another
// check cannot re-check the label at once; the check the driver carries
// out when the interval ends finds AWSPENDING, and the store serves it
// then, without another report.
func TestRefreshRejectedDeferred(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, func(c *Config) { c.ForcedRefreshInterval = time.Second })
		e.srv.Put("db", canary("old"))
		s, _ := pendingStore(t, e, secret.Decl{Name: "DB", From: "awssm://db"})
		ctx := context.Background()
		if err := s.Refresh(ctx, "DB"); err != nil { // a forced check: the interval starts
			t.Fatal(safe(err))
		}
		if err := e.srv.StartRotation("db").CreateSecret(canary("new")); err != nil {
			t.Fatal(err)
		}
		checked := e.srv.Count("DescribeSecret")
		if err := s.RefreshRejected(ctx, "DB"); err != nil {
			t.Fatal(safe(err))
		}
		if e.srv.Count("DescribeSecret") != checked {
			t.Fatal("a rejection inside the forced-refresh interval re-checked the label at once")
		}
		wantStored(t, s, "DB", canary("old"))
		eventually(t, "the pending value served", func() bool {
			v, _ := s.Get("DB")
			return string(v.Reveal()) == string(canary("new"))
		})
	})
}
