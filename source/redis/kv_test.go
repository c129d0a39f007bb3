package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
)

// open opens a source as user u with the URL template tmpl (naming CRED).
func open(t *testing.T, tmpl, cred string) (*Source, error) {
	t.Helper()
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: cred})
	src, err := Open(t.Context(), Spec{Name: "cache", URL: tmpl, PoolSize: 2}, secrets, nil)
	if err == nil {
		t.Cleanup(func() { _ = src.Close() })
	}
	return src, err
}

func openAs(t *testing.T, u user) *Source {
	t.Helper()
	src, err := open(t, docURL(), credDoc(u.name, u.password))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return src
}

func TestOperations(t *testing.T) {
	src := openAs(t, newUser(t))
	ctx := t.Context()
	if _, found, err := src.Get(ctx, "ops:missing", 100); err != nil || found {
		t.Fatalf("get missing: found %v err %v", found, err)
	}
	if err := src.Set(ctx, "ops:s", "", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, found, err := src.Get(ctx, "ops:s", 100); err != nil || !found || v != "" {
		t.Errorf("get empty string: %q %v %v", v, found, err)
	}
	if err := src.Set(ctx, "ops:s", "hello world", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _, err := src.Get(ctx, "ops:s", 100); err != nil || v != "hello world" {
		t.Errorf("get = %q, %v", v, err)
	}
	var tooLarge *TooLargeError
	if _, _, err := src.Get(ctx, "ops:s", 5); !errors.As(err, &tooLarge) || tooLarge.Size != 11 {
		t.Errorf("get over the limit: %v", err)
	}
	if ttl := srv.Admin().PTTL(ctx, "ops:s").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("ttl after set = %v", ttl)
	}
	if err := src.Set(ctx, "ops:s", "x", 0); err == nil {
		t.Error("set without a ttl: no error")
	}
	checkCounters(t, src)
	checkHash(t, src)
}

func checkCounters(t *testing.T, src *Source) {
	ctx := t.Context()
	for want := int64(1); want <= 3; want++ {
		if n, err := src.Incr(ctx, "ops:n"); err != nil || n != want {
			t.Fatalf("incr = %d, %v; want %d", n, err, want)
		}
	}
	var serr *ServerError
	if _, err := src.Incr(ctx, "ops:s"); !errors.As(err, &serr) || !strings.Contains(serr.Msg, "not an integer") {
		t.Errorf("incr of a non-integer: %v", err)
	}
	if ok, err := src.Exists(ctx, "ops:n"); err != nil || !ok {
		t.Errorf("exists = %v, %v", ok, err)
	}
	if ok, err := src.Del(ctx, "ops:n"); err != nil || !ok {
		t.Errorf("del = %v, %v", ok, err)
	}
	if ok, err := src.Del(ctx, "ops:n"); err != nil || ok {
		t.Errorf("second del = %v, %v", ok, err)
	}
}

func checkHash(t *testing.T, src *Source) {
	ctx := t.Context()
	srv.Admin().HSet(ctx, "ops:h", "name", "Ada", "plan", "pro")
	if v, found, err := src.HGet(ctx, "ops:h", "plan", 100); err != nil || !found || v != "pro" {
		t.Errorf("hget = %q %v %v", v, found, err)
	}
	if _, found, err := src.HGet(ctx, "ops:h", "nope", 100); err != nil || found {
		t.Errorf("hget missing field: %v %v", found, err)
	}
	var tooLarge *TooLargeError
	if _, _, err := src.HGet(ctx, "ops:h", "name", 2); !errors.As(err, &tooLarge) {
		t.Errorf("hget over the limit: %v", err)
	}
	if m, err := src.HGetAll(ctx, "ops:h", 100); err != nil || len(m) != 2 || m["name"] != "Ada" {
		t.Errorf("hgetall = %v, %v", m, err)
	}
	if _, err := src.HGetAll(ctx, "ops:h", 5); !errors.As(err, &tooLarge) {
		t.Errorf("hgetall over the limit: %v", err)
	}
	if m, err := src.HGetAll(ctx, "ops:nohash", 100); err != nil || len(m) != 0 {
		t.Errorf("hgetall of a missing key = %v, %v", m, err)
	}
	var serr *ServerError
	if _, _, err := src.Get(ctx, "ops:h", 100); !errors.As(err, &serr) || !strings.Contains(serr.Msg, "WRONGTYPE") {
		t.Errorf("get of a hash: %v", err)
	}
}

// A refused login is a permission-class error that says so and holds no
// part of the credential or the URL.
func TestCredentialRejected(t *testing.T) {
	u := newUser(t)
	wrong := canary("wrong-redis-pw")
	_, err := open(t, docURL(), credDoc(u.name, wrong))
	if err == nil {
		t.Fatal("open with a wrong password: no error")
	}
	if !errors.Is(err, driver.ErrPermission) || !strings.Contains(err.Error(), "credential rejected") {
		t.Errorf("error %q does not report a rejected credential", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), u.name) {
		t.Errorf("error names the credential or user: %q", err)
	}
}

// Malformed URLs, including ones holding the secret where go-redis would
// quote it, are described without the URL.
func TestBadURLs(t *testing.T) {
	pw := canary("url-redis-pw")
	for tmpl, want := range map[string]string{
		"${secret:CRED}":                                     "scheme must be redis or rediss",
		"http://u:${secret:CRED}@127.0.0.1:1/0":              "scheme must be redis or rediss",
		"redis://u:p@127.0.0.1:1/${secret:CRED}":             "database number",
		"redis://u:p@127.0.0.1:1/0?${secret:CRED}=1":         "unknown query option",
		"redis://u:p@127.0.0.1:1/0?pool_size=${secret:CRED}": "invalid query option value",
	} {
		_, err := open(t, tmpl, pw)
		if err == nil || !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", tmpl, err, want)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("%s: the error holds the secret", tmpl)
		}
	}
}

func TestUnreachable(t *testing.T) {
	_, err := open(t, "redis://u:${secret:CRED}@127.0.0.1:1/0", canary("unreachable"))
	if err == nil || !errors.Is(err, driver.ErrUnavailable) || strings.Contains(err.Error(), "canary") {
		t.Errorf("error %v, want unavailable without the password", err)
	}
}

func TestDeadline(t *testing.T) {
	src := openAs(t, newUser(t))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := src.do(ctx, "BLPOP", func(c *client) error { return c.BLPop(ctx, 0, "ops:never").Err() })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("blocked call past its deadline: %v", err)
	}
	if _, err := src.Exists(t.Context(), "ops:x"); err != nil {
		t.Errorf("call after a deadline: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Exists(t.Context(), "ops:x"); !errors.Is(err, source.ErrClosed) {
		t.Errorf("call after Close: %v", err)
	}
}

// A user with only the commands docs/redis.md lists can run every
// operation; a command outside them is a permission error that does not
// name the user.
func TestLeastPrivilegeUser(t *testing.T) {
	name, pw := fmt.Sprintf("narrow%d", seq.Add(1)), canary("narrow-redis-pw")
	err := srv.ACL(t.Context(), name, "reset", "on", ">"+pw, "~acl:*", "resetchannels", "-@all",
		"+get", "+set", "+del", "+exists", "+hget", "+hgetall", "+strlen", "+getrange", "+hstrlen", "+hlen",
		"+ping", "+hello", "+auth")
	if err != nil {
		t.Fatal(err)
	}
	src := openAs(t, user{name: name, password: pw})
	ctx := t.Context()
	if err := src.Set(ctx, "acl:k", "v", time.Minute); err != nil {
		t.Fatalf("set: %v", err)
	}
	if v, _, err := src.Get(ctx, "acl:k", 10); err != nil || v != "v" {
		t.Fatalf("get: %q %v", v, err)
	}
	if _, err := src.HGetAll(ctx, "acl:h", 10); err != nil {
		t.Fatalf("hgetall: %v", err)
	}
	if _, _, err := src.HGet(ctx, "acl:h", "f", 10); err != nil {
		t.Fatalf("hget: %v", err)
	}
	_, err = src.Incr(ctx, "acl:n")
	if !errors.Is(err, driver.ErrPermission) || !strings.Contains(err.Error(), "NOPERM") || strings.Contains(err.Error(), name) {
		t.Errorf("incr without +incr: %v", err)
	}
	if _, err := src.Exists(ctx, "other:k"); !errors.Is(err, driver.ErrPermission) {
		t.Errorf("a key outside the user's patterns: %v", err)
	}
}

// A new client is complete before it serves, so that a rotation rarely
// needs a login with the old password (see the package doc).
func TestPoolIsFull(t *testing.T) {
	src := openAs(t, newUser(t))
	l, err := src.live.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if st := l.Value().PoolStats(); st.TotalConns != 2 || st.IdleConns != 2 {
		t.Errorf("pool of size 2 after open: %d connections, %d idle", st.TotalConns, st.IdleConns)
	}
}
