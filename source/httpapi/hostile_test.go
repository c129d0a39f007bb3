package httpapi_test

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/httpapi/httpapitest"
	"github.com/hushmcp/hush/source/sourcetest"
)

// open opens a source over api with the key in a query parameter, the
// hardest place to keep it out of error texts.
func open(t *testing.T, api *httpapitest.API, key string, edit func(*httpapi.Spec)) (*httpapi.Source, error) {
	t.Helper()
	s := spec(api, nil)
	s.Name = "search"
	s.Query = map[string]string{"api_key": "${secret:" + sourcetest.CredSecret + "}"}
	if edit != nil {
		edit(&s)
	}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: key})
	src, err := httpapi.Open(t.Context(), s, source.Env{Name: "search", Secrets: secrets})
	if src != nil {
		t.Cleanup(func() { _ = src.Close() })
	}
	return src, err
}

func mustOpen(t *testing.T, api *httpapitest.API, edit func(*httpapi.Spec)) *httpapi.Source {
	t.Helper()
	src, err := open(t, api, keyOne, edit)
	if err != nil {
		t.Fatalf("open: %s", clean(err))
	}
	return src
}

func clean(err error) string {
	return strings.NewReplacer(keyOne, "[KEY]", keyTwo, "[KEY]", keyBad, "[KEY]").Replace(err.Error())
}

func assertNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "canary") {
		t.Errorf("an error holds the key: %s", clean(err))
	}
}

func do(t *testing.T, src *httpapi.Source, method, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := src.Do(req)
	assertNoKey(t, err)
	return resp, err
}

func TestRefusedKeyAtOpen(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	_, err := open(t, api, keyBad, nil)
	if !errors.Is(err, driver.ErrPermission) {
		t.Fatalf("open with a refused key: %v, want driver.ErrPermission", err)
	}
	assertNoKey(t, err)
}

// Without a health path, Ping sends HEAD to the base URL and takes any
// answer but 401, 403 and 5xx as healthy.
func TestPingHeadOnBaseURL(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.HealthPath = ""; s.BaseURL += "/status/404" })
	if err := src.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %s", clean(err))
	}
	if api.Count("/status/404") < 2 { // the verification at open, then the ping
		t.Errorf("HEAD on the base URL was not sent")
	}
}

// A redirect to another origin is refused before anything reaches it; a
// redirect within the origin is followed.
func TestRedirectToAnotherOriginRefused(t *testing.T) {
	var reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer other.Close()
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, nil)
	for _, to := range []string{other.URL + "/steal", "http://localhost:" + strconv.Itoa(api.Listener.Addr().(*net.TCPAddr).Port) + "/health"} {
		_, err := do(t, src, http.MethodGet, "/redirect?to="+to)
		if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), "redirect to another origin refused") {
			t.Errorf("redirect: %v, want a refusal", err)
		}
	}
	if reached.Load() != 0 {
		t.Error("a request reached the other origin")
	}
	// Go repeats headers on a same-origin redirect, not the query.
	src = mustOpen(t, api, func(s *httpapi.Spec) {
		s.Query = nil
		s.Headers = map[string]string{"Authorization": "Bearer ${secret:" + sourcetest.CredSecret + "}"}
	})
	resp, err := do(t, src, http.MethodGet, "/redirect?to=/health")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("same-origin redirect: status %d, %v", status(resp), err)
	}
}

func TestHugeResponseCapped(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.MaxBytes = 1000 })
	if resp, err := do(t, src, http.MethodGet, "/big?n=1000"); err != nil || resp.ContentLength != 1000 {
		t.Fatalf("a body at the cap: %v", err)
	}
	_, err := do(t, src, http.MethodGet, "/big?n=50000000")
	if !errors.Is(err, driver.ErrTooLarge) {
		t.Fatalf("huge body: %v, want driver.ErrTooLarge", err)
	}
}

func TestSlowAPITimesOut(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.Timeout = 100 * time.Millisecond; s.Retries = 0 })
	_, err := do(t, src, http.MethodGet, "/slow")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow API: %v, want context.DeadlineExceeded", err)
	}
	if err := src.Ping(t.Context()); err != nil {
		t.Fatalf("ping after a timeout: %s", clean(err))
	}
}

// Idempotent methods are retried after a 503; POST is sent once.
func TestRetriesOnlyIdempotent(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.Retries = 2 })
	resp, err := do(t, src, http.MethodGet, "/flaky?fail=2")
	if err != nil || resp.StatusCode != 200 || api.Count("/flaky") != 3 {
		t.Fatalf("GET: status %v err %v after %d requests, want 200 after 3", status(resp), err, api.Count("/flaky"))
	}
	api2 := httpapitest.New(t, keyOne)
	src2 := mustOpen(t, api2, func(s *httpapi.Spec) { s.Retries = 2 })
	resp, err = do(t, src2, http.MethodPost, "/flaky?fail=1")
	if err != nil || resp.StatusCode != 503 || api2.Count("/flaky") != 1 {
		t.Fatalf("POST: status %v err %v after %d requests, want one 503", status(resp), err, api2.Count("/flaky"))
	}
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// A closed port gives a transport error whose Go text would quote the URL,
// key and all; the source's does not.
func TestTransportErrorHidesURL(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.Retries = 0 })
	api.Close()
	_, err := do(t, src, http.MethodGet, "/health")
	if !errors.Is(err, driver.ErrUnavailable) || strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("closed API: %v", err)
	}
}

func TestRequestChecks(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.Methods = []string{http.MethodGet} })
	if _, err := do(t, src, http.MethodDelete, "/x"); !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("a method the source does not allow: %v", err)
	}
	if _, err := do(t, src, http.MethodGet, "http://elsewhere.example/x"); !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("an absolute URL: %v", err)
	}
	if api.Count("/x") != 0 {
		t.Error("a refused request was sent")
	}
}

// Headers and query parameters of the source win over the caller's.
func TestSourceCredentialsWin(t *testing.T) {
	api := httpapitest.New(t, keyOne)
	src := mustOpen(t, api, nil)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "/echo/a%2Fb?api_key=other&q=1", nil)
	resp, err := src.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("echo: %v", err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, `"path":"/echo/a%2Fb"`) || !strings.Contains(body, "q=1") {
		t.Errorf("path or query not passed as escaped: %s", clean(errors.New(body)))
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A secret in the base URL's path or userinfo is escaped for its place, so
// a value holding URL syntax cannot change the origin or the path's shape.
func TestSecretInBaseURLEscaped(t *testing.T) {
	const key = "canary/../k?x=1#@evil.example:1-NOT-REAL"
	api := httpapitest.New(t, keyOne)
	s := spec(api, map[string]string{"Authorization": "Bearer " + keyOne})
	s.BaseURL = "http://u:${secret:" + sourcetest.CredSecret + "}@" + api.Listener.Addr().String() + "/echo/${secret:" + sourcetest.CredSecret + "}"
	s.HealthPath = ""
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: key})
	src, err := httpapi.Open(t.Context(), s, source.Env{Name: "search", Secrets: secrets})
	if err != nil {
		t.Fatalf("open: %s", strings.ReplaceAll(err.Error(), key, "[KEY]"))
	}
	defer src.Close()
	resp, err := do(t, src, http.MethodGet, "/tail")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, `"path":"/echo/canary%2F..%2Fk%3Fx=1%23@evil.example:1-NOT-REAL/tail"`) {
		t.Errorf("path not escaped as one segment: %s", body)
	}
}

// A TLS certificate the client does not trust fails the open, described
// without the URL.
func TestUntrustedTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	s := httpapi.Spec{Name: "search", BaseURL: srv.URL + "?api_key=${secret:" + sourcetest.CredSecret + "}",
		Origin: "https://" + srv.Listener.Addr().String(), Timeout: 5 * time.Second}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: keyOne})
	_, err := httpapi.Open(t.Context(), s, source.Env{Name: "search", Secrets: secrets})
	if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), "TLS certificate not accepted") {
		t.Fatalf("open: %v", err)
	}
	assertNoKey(t, err)
}

// ca_file makes the source trust a private CA, for internal APIs.
func TestCAFile(t *testing.T) {
	api := httpapitest.NewTLS(t, keyOne)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	if err := os.WriteFile(ca, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	src := mustOpen(t, api, func(s *httpapi.Spec) { s.CAFile = ca; s.Origin = "https://" + api.Listener.Addr().String() })
	if err := src.Ping(t.Context()); err != nil {
		t.Fatalf("ping over TLS with ca_file: %s", clean(err))
	}
	_, err := open(t, api, keyOne, func(s *httpapi.Spec) { s.CAFile = filepath.Join(t.TempDir(), "missing.pem") })
	if !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("a missing ca_file: %v", err)
	}
}
