// Package httpapitest is a local HTTP API for tests of the http source and
// tool kinds: it really checks an API key (as "Authorization: Bearer KEY"
// or the query parameter api_key), echoes requests, holds, stalls,
// redirects, fails and answers huge bodies on demand.
package httpapitest

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// API is a running test API. Routes (every one needs an accepted key):
//
//	/health          200 {"ok":true}
//	/echo...         200 JSON: method, path (escaped, as received), query, headers, body
//	/hold            waits until Release, then 200
//	/slow            waits until the client gives up
//	/status/CODE     answers CODE with a JSON error body
//	/big?n=N         answers N bytes of JSON string
//	/text            text/plain
//	/flaky?fail=N    503 for the first N requests to it, then 200
//	/redirect?to=URL 302 to URL
//
// Any other path answers 200 {"path": ...}.
type API struct {
	*httptest.Server

	mu       sync.Mutex
	keys     map[string]bool
	counts   map[string]int
	holding  int
	released chan struct{}
}

// New starts an API accepting keys; it stops at cleanup.
func New(t testing.TB, keys ...string) *API {
	return start(t, false, keys)
}

// NewTLS starts an API over HTTPS with a certificate of its own: see
// httptest.Server.Certificate.
func NewTLS(t testing.TB, keys ...string) *API {
	return start(t, true, keys)
}

func start(t testing.TB, useTLS bool, keys []string) *API {
	a := &API{counts: map[string]int{}, released: make(chan struct{})}
	a.SetKeys(keys...)
	a.Server = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	a.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	if useTLS {
		a.StartTLS()
	} else {
		a.Start()
	}
	t.Cleanup(func() {
		a.Release()
		a.Close()
	})
	return a
}

// SetKeys replaces the accepted keys.
func (a *API) SetKeys(keys ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = map[string]bool{}
	for _, k := range keys {
		a.keys[k] = true
	}
}

// Count is how many requests reached path (after the key check or not).
func (a *API) Count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[path]
}

// Total is how many requests reached the API.
func (a *API) Total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.counts {
		n += c
	}
	return n
}

// Holding is how many requests /hold is holding.
func (a *API) Holding() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.holding
}

// Release lets every held request, now and later, finish. Idempotent.
func (a *API) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.released:
	default:
		close(a.released)
	}
}

func (a *API) authorized(r *http.Request) bool {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if q := r.URL.Query().Get("api_key"); q != "" {
		key = q
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.keys[key]
}

func (a *API) count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counts[path]++
	return a.counts[path]
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	n := a.count(r.URL.Path)
	if !a.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid API key"})
		return
	}
	switch p := r.URL.Path; {
	case p == "/health":
		writeJSON(w, 200, map[string]any{"ok": true})
	case strings.HasPrefix(p, "/echo"):
		a.echo(w, r)
	case p == "/hold":
		a.hold(w, r)
	case p == "/slow":
		<-r.Context().Done()
	case strings.HasPrefix(p, "/status/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(p, "/status/"))
		writeJSON(w, code, map[string]any{"error": "status " + strconv.Itoa(code)})
	case p == "/big":
		size, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `"`+strings.Repeat("x", max(size-2, 0))+`"`)
	case p == "/text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "plain words")
	case p == "/flaky":
		fail, _ := strconv.Atoi(r.URL.Query().Get("fail"))
		if n <= fail {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "try later"})
			return
		}
		writeJSON(w, 200, map[string]any{"attempts": n})
	case p == "/redirect":
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	default:
		writeJSON(w, 200, map[string]any{"path": p})
	}
}

func (a *API) echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	writeJSON(w, 200, map[string]any{
		"method":  r.Method,
		"path":    r.URL.EscapedPath(),
		"query":   r.URL.RawQuery,
		"headers": r.Header,
		"body":    string(body),
	})
}

func (a *API) hold(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.holding++
	released := a.released
	a.mu.Unlock()
	select {
	case <-released:
	case <-r.Context().Done():
	}
	a.mu.Lock()
	a.holding--
	a.mu.Unlock()
	writeJSON(w, 200, map[string]any{"held": true})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
