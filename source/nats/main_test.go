package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"

	"github.com/hushmcp/hush/internal/testutil/natstest"
	"github.com/hushmcp/hush/source/sourcetest"
)

var srv *natstest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = natstest.Start(natstest.Config{JetStream: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

var (
	seq    atomic.Int64
	authMu sync.Mutex // SetAuth replaces every user: one change at a time
)

func canary(tag string) string { return "canary-" + tag + "-NOT-REAL" }

// user is one NATS user made for a test.
type user struct{ name, password string }

// newUser adds a user with a fresh canary password holding URL syntax, so
// userinfo escaping is exercised on every login.
func newUser(t *testing.T) user {
	t.Helper()
	n := seq.Add(1)
	u := user{name: fmt.Sprintf("app%d", n), password: canary(fmt.Sprintf("nats-%d p@ss/w:rd#?%%", n))}
	setPassword(t, u.name, u.password)
	return u
}

// setPassword sets (or, with "", removes) a user's password through the
// server's config reload.
func setPassword(t *testing.T, name, pw string) {
	t.Helper()
	authMu.Lock()
	defer authMu.Unlock()
	a := srv.Auth()
	a.Users = maps.Clone(a.Users)
	if a.Users == nil {
		a.Users = map[string]string{}
	}
	if pw == "" {
		delete(a.Users, name)
	} else {
		a.Users[name] = pw
	}
	if err := srv.SetAuth(a); err != nil {
		t.Fatal(err)
	}
}

func credDoc(name, password string) string {
	out, _ := json.Marshal(map[string]string{"user": name, "password": password})
	return string(out)
}

// docURL reads user and password from the JSON secret CRED.
func docURL() string {
	return fmt.Sprintf("nats://${secret:%[1]s#user}:${secret:%[1]s#password}@%s", sourcetest.CredSecret, srv.Addr())
}

func admin(t *testing.T) *natsio.Conn {
	t.Helper()
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func callCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 15*time.Second, cond)
}
