package awssm

import (
	"context"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

const testRegion = "eu-west-1"

// marker is in every value the tests store, so a leak check needs one
// substring test.
const marker = "-NOT-REAL"

func canary(tag string) []byte { return []byte("canary-" + tag + marker) }

type testEnv struct {
	srv    *awssmtest.Server
	opener *Opener
}

// newEnv starts a test server and an opener that reaches it through the
// official client with the default credential chain, which finds the test
// credentials in the environment. Over loopback unless inMemory (needed in
// a synctest bubble, where newEnv must then be called). The SDK's own
// retries are off, so counts are exact.
func newEnv(t testing.TB, inMemory bool, set func(*Config)) *testEnv {
	t.Helper()
	srv := awssmtest.New(testRegion)
	e := &testEnv{srv: srv, opener: &Opener{ClientOptions: []func(*secretsmanager.Options){
		func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 }}}}
	cfg := DefaultConfig()
	if inMemory {
		cfg.Endpoint, e.opener.HTTPClient = awssmtest.Addr, srv.Client()
	} else {
		cfg.Endpoint = srv.Listen(t)
	}
	if set != nil {
		set(&cfg)
	}
	if err := e.opener.Configure(context.Background(), &cfg); err != nil {
		t.Fatalf("configure: %v", err)
	}
	t.Cleanup(func() { _ = e.opener.Close() })
	return e
}

// setEnv puts the test credentials in the environment; call it outside a
// synctest bubble.
func setEnv(t *testing.T) { awssmtest.New(testRegion).SetEnv(t) }

func mustRef(t testing.TB, s string) secret.Ref {
	t.Helper()
	r, err := secret.ParseRef(s)
	if err != nil {
		t.Fatalf("parse reference: %v", err)
	}
	return r
}

// open opens ref and closes the driver when the test ends.
func (e *testEnv) open(t testing.TB, ref string) *Driver {
	t.Helper()
	d, err := e.opener.OpenSecret(context.Background(), mustRef(t, ref))
	if err != nil {
		t.Fatalf("open: %s", safe(err))
	}
	t.Cleanup(func() { _ = d.Close() })
	return d.(*Driver)
}

// store opens a secret store with one declaration over the opener.
func (e *testEnv) store(t testing.TB, decls ...secret.Decl) *secret.Store {
	t.Helper()
	mux := secret.NewMux()
	mux.Register("awssm", e.opener)
	s, err := secret.Open(context.Background(), decls, secret.Options{Mux: mux, PollInterval: time.Minute})
	if err != nil {
		t.Fatalf("open store: %s", safe(err))
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fetch(t testing.TB, d driver.Driver) driver.Snapshot {
	t.Helper()
	snap, err := d.Fetch(context.Background())
	if err != nil {
		t.Fatalf("fetch: %s", safe(err))
	}
	return snap
}

// safe renders err for a test message, withholding text that holds a value
// or the test credentials' secret key.
func safe(err error) string {
	if err == nil {
		return "<nil>"
	}
	if leaks(err.Error()) {
		return "[error text withheld: it contains a secret value]"
	}
	return err.Error()
}

func leaks(s string) bool {
	return strings.Contains(s, marker) || strings.Contains(s, awssmtest.SecretAccessKey)
}

// checkValue compares without printing either side.
func checkValue(t testing.TB, what string, got []byte, want []byte) {
	t.Helper()
	if string(got) != string(want) {
		t.Errorf("%s: got %d bytes that differ from the %d expected (values withheld)", what, len(got), len(want))
	}
}

// eventually polls cond every few milliseconds for up to ten seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 10*time.Second, cond)
}
