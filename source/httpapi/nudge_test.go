package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/httpapi/httpapitest"
)

// quiet is a secret provider that never signals a change: the store sees
// a new value only when it polls (once a minute) or is asked to refresh.
type quiet struct {
	mu  sync.Mutex
	val string
}

func (q *quiet) OpenSecret(context.Context, secret.Ref) (driver.Driver, error) { return q, nil }
func (q *quiet) Close() error                                                  { return nil }
func (q *quiet) set(v string)                                                  { q.mu.Lock(); q.val = v; q.mu.Unlock() }
func (q *quiet) Fetch(context.Context) (driver.Snapshot, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return driver.Snapshot{Data: []byte(q.val)}, nil
}

// revoked opens a source whose key the provider replaces and the API
// revokes behind the store's back: the store has not polled yet.
func revoked(t *testing.T) (*httpapi.Source, *httpapitest.API) {
	prov := &quiet{val: keyOne}
	m := secret.NewMux()
	m.Register("quiet", prov)
	store, err := secret.Open(t.Context(), []secret.Decl{{Name: "KEY", From: "quiet://KEY"}}, secret.Options{Mux: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	api := httpapitest.New(t, keyOne)
	s := spec(api, map[string]string{"Authorization": "Bearer ${secret:KEY}"})
	src, err := httpapi.Open(t.Context(), s, source.Env{Name: "search", Secrets: store})
	if err != nil {
		t.Fatalf("open: %s", clean(err))
	}
	t.Cleanup(func() { _ = src.Close() })
	prov.set(keyTwo)
	api.SetKeys(keyTwo)
	return src, api
}

// A 401 makes the source re-read its secret, and a GET is sent once more
// on the new client.
func TestRevokedKeyGETRetried(t *testing.T) {
	src, api := revoked(t)
	resp, err := do(t, src, http.MethodGet, "/health")
	if err != nil || resp.StatusCode != http.StatusOK || api.Count("/health") < 2 {
		t.Fatalf("GET after the revocation: status %d, %v; want 200 after one re-read", status(resp), err)
	}
	if src.State().LastSwap.IsZero() {
		t.Error("no swap")
	}
}

// A POST is not sent again, but its 401 still brings the new key for the
// next call.
func TestRevokedKeyPOSTNotRepeated(t *testing.T) {
	src, api := revoked(t)
	resp, err := do(t, src, http.MethodPost, "/echo")
	if err != nil || resp.StatusCode != http.StatusUnauthorized || api.Count("/echo") != 1 {
		t.Fatalf("POST: status %d, %v, sent %d times; want one 401", status(resp), err, api.Count("/echo"))
	}
	waitSwap(t, src)
	if resp, err := do(t, src, http.MethodPost, "/echo"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the next POST: status %d, %v", status(resp), err)
	}
}

func waitSwap(t *testing.T, src *httpapi.Source) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for src.State().LastSwap.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("no swap")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
