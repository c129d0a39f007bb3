package webclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/webclient"
)

func TestOriginOf(t *testing.T) {
	ok := map[string]string{
		"https://API.example.com/v1":                      "https://api.example.com:443",
		"http://127.0.0.1:8080/x?key=${secret:K}":         "http://127.0.0.1:8080",
		"https://u:${secret:P}@h.example.com/${secret:T}": "https://h.example.com:443",
		"http://[::1]:80/":                                "http://::1:80",
	}
	for in, want := range ok {
		if got, err := webclient.OriginOf(in); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${secret:URL}", "ftp://h/", "https://${secret:H}/", "https://h.${secret:H}.com/",
		"https://h:${secret:P}/", "https:///x", "https://h/#${secret:F}", "https://h/#"} {
		if _, err := webclient.OriginOf(in); err == nil {
			t.Errorf("%s: accepted", in)
		} else if strings.Contains(err.Error(), "secret:") {
			t.Errorf("%s: the error repeats the template", in)
		}
	}
}

// A caller that gives up stops the retries at once.
func TestRetriesStopWithTheCaller(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := webclient.Policy{Retries: 5}
	_, err := p.Do(ctx, webclient.NewClient("ignored", nil), http.MethodGet, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	})
	if n.Load() != 1 {
		t.Errorf("%d attempts after the caller gave up, want 1", n.Load())
	}
	_ = err // the first answer or a cancellation, depending on timing
}

func TestTransportErrorsReworded(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/x?api_key=canary-NOT-REAL"
	srv.Close()
	_, err := webclient.Policy{}.Do(t.Context(), webclient.NewClient("x", nil), http.MethodPost, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	})
	var e *webclient.Error
	if !errors.As(err, &e) || !errors.Is(err, driver.ErrUnavailable) || strings.Contains(err.Error(), "canary") {
		t.Fatalf("err = %v", err)
	}
}

func TestIdempotent(t *testing.T) {
	for m, want := range map[string]bool{"GET": true, "HEAD": true, "PUT": true, "DELETE": true, "OPTIONS": true, "POST": false, "PATCH": false} {
		if webclient.Idempotent(m) != want {
			t.Errorf("%s: %v", m, !want)
		}
	}
}
