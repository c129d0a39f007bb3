package awssm

import (
	"context"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
)

// layeredEnv is Secrets Manager and an environment with SEARCH_API_KEY.
func layeredEnv(t *testing.T) (*testEnv, *secret.Mux) {
	t.Helper()
	e := newEnv(t, true, func(c *Config) { c.RefreshTTL = 20 * time.Millisecond })
	vars := map[string]string{"SEARCH_API_KEY": string(canary("env"))}
	mux := secret.NewMux()
	mux.Register("awssm", e.opener)
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	return e, mux
}

func openLayered(t *testing.T, mux *secret.Mux, refs ...string) *secret.Layered {
	t.Helper()
	var rs []secret.Ref
	for _, r := range refs {
		rs = append(rs, mustRef(t, r))
	}
	l, err := secret.OpenLayered(context.Background(), mux, rs)
	if err != nil {
		t.Fatalf("open layered: %s", safe(err))
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestLayeredOrder(t *testing.T) {
	setEnv(t)
	e, mux := layeredEnv(t)
	e.srv.Put("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("sm"))+`"}`))
	e.srv.Put("prod/other", []byte(`{"OTHER":"`+string(canary("other"))+`"}`))
	cases := []struct {
		name   string
		refs   []string
		want   []byte
		served string
	}{
		{"secrets manager over env", []string{"awssm://prod/app#SEARCH_API_KEY", "env://SEARCH_API_KEY"}, canary("sm"), "awssm"},
		{"env over secrets manager", []string{"env://SEARCH_API_KEY", "awssm://prod/app#SEARCH_API_KEY"}, canary("env"), "env"},
		{"document lacks the field", []string{"awssm://prod/other#SEARCH_API_KEY", "env://SEARCH_API_KEY"}, canary("env"), "env"},
		{"no such secret", []string{"awssm://prod/none#SEARCH_API_KEY", "env://SEARCH_API_KEY"}, canary("env"), "env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := openLayered(t, mux, c.refs...)
			checkValue(t, "layered value", fetch(t, l).Data, c.want)
			if ref, ok := l.Served(); !ok || ref.Scheme != c.served {
				t.Errorf("served by %v (%v), want %s", ref, ok, c.served)
			}
		})
	}
}

// TestLayeredNoFallThrough checks that an outage or a refused permission
// is an error, never a switch to the next reference.
func TestLayeredNoFallThrough(t *testing.T) {
	setEnv(t)
	for kind, class := range map[string]string{
		awssmtest.AccessDenied: "permission", awssmtest.Down: "unavailable", awssmtest.Throttle: "unavailable",
	} {
		t.Run(kind, func(t *testing.T) {
			e, mux := layeredEnv(t)
			e.srv.Put("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("sm"))+`"}`))
			e.srv.SetFault(awssmtest.Fault{Kind: kind})
			l := openLayered(t, mux, "awssm://prod/app#SEARCH_API_KEY", "env://SEARCH_API_KEY")
			_, err := l.Fetch(context.Background())
			checkError(t, err, class)
			if _, ok := l.Served(); ok {
				t.Error("a reference is reported as serving")
			}
		})
	}
	t.Run("nothing found", func(t *testing.T) {
		_, mux := layeredEnv(t)
		l := openLayered(t, mux, "awssm://none", "env://NONE")
		_, err := l.Fetch(context.Background())
		checkError(t, err, "not_found")
	})
}

// TestLayeredFollowsChanges checks that a layer's change signal reaches
// the layered driver's channel, and that Close closes it.
func TestLayeredFollowsChanges(t *testing.T) {
	setEnv(t)
	e, mux := layeredEnv(t)
	e.srv.Put("prod/app", canary("v1"))
	l := openLayered(t, mux, "awssm://prod/app", "env://SEARCH_API_KEY")
	first := fetch(t, l)
	if l.Static() {
		t.Error("static although a layer changes")
	}
	e.srv.Put("prod/app", canary("v2"))
	eventually(t, "signal followed by the new value", func() bool {
		select {
		case <-l.Changes():
			return string(fetch(t, l).Data) == string(canary("v2"))
		default:
			return false
		}
	})
	if snap := fetch(t, l); snap.Version == first.Version || snap.Version[:2] != "0:" {
		t.Errorf("versions %q then %q", first.Version, snap.Version)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for range l.Changes() { // drains a pending signal; ends because Close closed it
	}
}
