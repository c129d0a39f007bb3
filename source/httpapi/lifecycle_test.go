package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/httpapi/httpapitest"
	"github.com/hushmcp/hush/source/sourcetest"
)

const (
	keyOne = "canary-api-key-one-NOT-REAL"
	keyTwo = "canary-api-key-two-NOT-REAL"
	keyBad = "canary-api-key-refused-NOT-REAL"
)

// The API accepts two keys in an Authorization header and refuses a third;
// Hold is a request the API keeps until released.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: httpapi.Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			api := httpapitest.New(t, keyOne, keyTwo)
			return sourcetest.Backend{
				Spec: spec(api, map[string]string{"Authorization": "Bearer ${secret:" + sourcetest.CredSecret + "}"}),
				Good: []string{keyOne, keyTwo},
				Bad:  keyBad,
				Call: func(ctx context.Context, src source.Source) error { return get(ctx, src, "/health") },
				Hold: func(t *testing.T, src source.Source) (func(), <-chan error) { return hold(t, api, src) },
			}
		},
	})
}

// The same, with the key in a query parameter.
func TestLifecycleQueryKey(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: httpapi.Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			api := httpapitest.New(t, keyOne, keyTwo)
			s := spec(api, nil)
			s.Query = map[string]string{"api_key": "${secret:" + sourcetest.CredSecret + "}"}
			return sourcetest.Backend{
				Spec: s, Good: []string{keyOne, keyTwo}, Bad: keyBad,
				Call: func(ctx context.Context, src source.Source) error { return get(ctx, src, "/health") },
				Hold: func(t *testing.T, src source.Source) (func(), <-chan error) { return hold(t, api, src) },
			}
		},
	})
}

func spec(api *httpapitest.API, headers map[string]string) httpapi.Spec {
	return httpapi.Spec{
		BaseURL: api.URL, Origin: origin(api), Headers: headers,
		Timeout: 5 * time.Second, Retries: 1, HealthPath: "/health",
	}
}

func origin(api *httpapitest.API) string {
	return "http://" + api.Listener.Addr().String()
}

func get(ctx context.Context, src source.Source, path string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	resp, err := src.(*httpapi.Source).Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func hold(t *testing.T, api *httpapitest.API, src source.Source) (func(), <-chan error) {
	done := make(chan error, 1)
	go func() { done <- get(context.Background(), src, "/hold") }()
	deadline := time.Now().Add(10 * time.Second)
	for api.Holding() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the API never saw the held request")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return api.Release, done
}
