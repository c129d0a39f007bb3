package redistest_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hushmcp/hush/internal/testutil/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = redistest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestUserPasswordChange(t *testing.T) {
	c := ctx(t)
	const oldPW, newPW = "canary-redis-1-NOT-REAL", "canary-redis-2 @/:?%-NOT-REAL"
	if err := srv.SetUser(c, "app", oldPW); err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(srv.URL("app", oldPW, 2))
	if err != nil || opts.Password != oldPW || opts.DB != 2 {
		t.Fatalf("URL does not parse back (err %v)", err)
	}
	old := redis.NewClient(srv.Options("app", oldPW))
	defer old.Close()
	if err := old.Set(c, "k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("set as app: %v", err)
	}
	if err := srv.SetUser(c, "app", newPW); err != nil {
		t.Fatal(err)
	}
	if err := old.Get(c, "k").Err(); err != nil {
		t.Errorf("a connection logged in before the change stopped working: %v", err)
	}
	fresh := redis.NewClient(srv.Options("app", oldPW))
	defer fresh.Close()
	if err := fresh.Ping(c).Err(); !redis.IsAuthError(err) {
		t.Errorf("login with the old password: %v, want an auth error", err)
	}
	renewed := redis.NewClient(srv.Options("app", newPW))
	defer renewed.Close()
	if err := renewed.Ping(c).Err(); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

func TestAdminOnly(t *testing.T) {
	anon := redis.NewClient(srv.Options("", ""))
	defer anon.Close()
	if err := anon.Get(ctx(t), "k").Err(); err == nil || !redis.IsAuthError(err) {
		t.Errorf("unauthenticated GET: %v, want NOAUTH", err)
	}
}
