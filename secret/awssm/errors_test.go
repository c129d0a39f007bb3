package awssm

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret/driver"
)

// TestErrorClasses checks that every failure maps to its driver code and
// that no error text holds a value, the test credentials' secret key, or
// the service's own message.
func TestErrorClasses(t *testing.T) {
	setEnv(t)
	cases := []struct {
		name  string
		ref   string
		setup func(srv *awssmtest.Server)
		class string
	}{
		{"unknown secret", "awssm://nope", nil, "not_found"},
		{"no version with the stage", "awssm://s?stage=AWSPENDING", nil, "not_found"},
		{"unknown version", "awssm://s?version=" + awssmtest.NewVersionID(), nil, "not_found"},
		{"scheduled for deletion", "awssm://s", func(srv *awssmtest.Server) { srv.ScheduleDeletion("s") }, "not_found"},
		{"access denied", "awssm://s", fault(awssmtest.AccessDenied), "permission"},
		{"throttled", "awssm://s", fault(awssmtest.Throttle), "unavailable"},
		{"internal error", "awssm://s", fault(awssmtest.Internal), "unavailable"},
		{"endpoint down", "awssm://s", fault(awssmtest.Down), "unavailable"},
		{"kms decrypt failure", "awssm://s", func(srv *awssmtest.Server) { srv.SetDecryptFailure("s", true) }, "invalid"},
		{"too large", "awssm://big", nil, "too_large"},
		{"slow", "awssm://s", func(srv *awssmtest.Server) { srv.SetFault(awssmtest.Fault{Delay: time.Hour}) }, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, true, nil)
			e.srv.Put("s", canary("s"))
			e.srv.Put("big", append(canary("big"), make([]byte, MaxSize)...))
			if c.setup != nil {
				c.setup(e.srv)
			}
			d := e.open(t, c.ref)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err := d.Fetch(ctx)
			checkError(t, err, c.class)
		})
	}
}

func fault(kind string) func(*awssmtest.Server) {
	return func(srv *awssmtest.Server) { srv.SetFault(awssmtest.Fault{Kind: kind}) }
}

func checkError(t *testing.T, err error, class string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want class %s", class)
	case leaks(err.Error()):
		t.Errorf("error text holds a value or the secret key (%d chars, withheld)", len(err.Error()))
	case strings.Contains(err.Error(), "injected") || strings.Contains(err.Error(), "can't"):
		t.Errorf("error repeats the service's message: %s", err)
	case driver.Class(err) != class:
		t.Errorf("error %s: class %s, want %s", err, driver.Class(err), class)
	}
}

// TestNoCredentials checks that an empty default chain is a permission
// problem that says so, before any request is sent.
func TestNoCredentials(t *testing.T) {
	setEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	e := newEnv(t, true, nil)
	e.srv.Put("s", canary("s"))
	d := e.open(t, "awssm://s")
	_, err := d.Fetch(context.Background())
	checkError(t, err, "permission")
	if err != nil && !strings.Contains(err.Error(), "credentials") {
		t.Errorf("error does not mention credentials: %s", err)
	}
	if n := e.srv.Count(awssmtest.Requests); n != 0 {
		t.Errorf("%d requests sent without credentials", n)
	}
}

// TestWrongRegionScope checks that a request signed for another region
// than the endpoint's is refused as a permission problem.
func TestWrongRegionScope(t *testing.T) {
	setEnv(t)
	e := newEnv(t, true, nil)
	e.srv.Put("s", canary("s"))
	d := e.open(t, "awssm://s?region=us-east-1")
	_, err := d.Fetch(context.Background())
	checkError(t, err, "permission")
}

// TestThrottlingRetried checks that the SDK's default retryer, which the
// provider keeps, retries throttling with backoff before a fetch fails.
// In a bubble, its jittered sleeps take no time.
func TestThrottlingRetried(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.opener.ClientOptions = nil // the SDK's default: three attempts
		e.srv.Put("s", canary("s"))
		d := e.open(t, "awssm://s")
		e.srv.SetFault(awssmtest.Fault{Kind: awssmtest.Throttle, Times: 2})
		checkValue(t, "after two throttled attempts", fetch(t, d).Data, canary("s"))
		if n := e.srv.Count(awssmtest.Requests); n != 4 {
			t.Errorf("%d requests, want 4 (two failed attempts, then describe and get)", n)
		}
	})
}
