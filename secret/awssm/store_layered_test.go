package awssm

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
)

// syncBuffer is a log sink for the store's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func slogJSON(w *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// layeredStore opens a store over Secrets Manager and an environment that
// holds SEARCH_API_KEY, with one declaration listing refs, and returns it
// with its log.
func layeredStore(t *testing.T, e *testEnv, refs ...string) (*secret.Store, *syncBuffer, error) {
	t.Helper()
	vars := map[string]string{"SEARCH_API_KEY": string(canary("env"))}
	mux := secret.NewMux()
	mux.Register("awssm", e.opener)
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	logs := &syncBuffer{}
	decl := secret.Decl{Name: "SEARCH_KEY", From: refs[0], Also: refs[1:]}
	s, err := secret.Open(context.Background(), []secret.Decl{decl},
		secret.Options{Mux: mux, Logger: slogJSON(logs), Timeout: 5 * time.Second})
	if s == nil {
		t.Fatalf("open store: %s", safe(err))
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, logs, err
}

// presence returns the store's presence log line for SEARCH_KEY.
func presence(t *testing.T, logs string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "secret" && m["secret"] == "SEARCH_KEY" {
			return m
		}
	}
	t.Fatalf("no presence line in the log")
	return nil
}

// The store serves the first reference of a from: list that has the
// value, and its health and presence line name that reference.
func TestStoreLayering(t *testing.T) {
	setEnv(t)
	cases := []struct {
		name   string
		refs   []string
		want   []byte
		served string
	}{
		{"secrets manager over env", []string{"awssm://prod/app#SEARCH_API_KEY", "env://SEARCH_API_KEY"}, canary("sm"), "awssm://prod/app#SEARCH_API_KEY"},
		{"env over secrets manager", []string{"env://SEARCH_API_KEY", "awssm://prod/app#SEARCH_API_KEY"}, canary("env"), "env://SEARCH_API_KEY"},
		{"document lacks the field", []string{"awssm://prod/other#SEARCH_API_KEY", "env://SEARCH_API_KEY"}, canary("env"), "env://SEARCH_API_KEY"},
		{"binary value over env", []string{"awssm://prod/bin", "env://SEARCH_API_KEY"}, canary("bin"), "awssm://prod/bin"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, false, nil)
			e.srv.Put("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("sm"))+`"}`))
			e.srv.Put("prod/other", []byte(`{"OTHER":"`+string(canary("other"))+`"}`))
			e.srv.PutBinary("prod/bin", canary("bin"))
			s, logs, err := layeredStore(t, e, c.refs...)
			if err != nil {
				t.Fatalf("open store: %s", safe(err))
			}
			v, _ := s.Get("SEARCH_KEY")
			checkValue(t, "value", v.Reveal(), c.want)
			h := s.Health()[0]
			scheme, _, _ := strings.Cut(c.served, ":")
			if h.Status != secret.StatusOK || h.Served != c.served || h.Source != scheme {
				t.Errorf("health: status %s, source %s, served %q; want ok, %s, %q", h.Status, h.Source, h.Served, scheme, c.served)
			}
			if p := presence(t, logs.String()); p["served"] != c.served || p["source"] != scheme {
				t.Errorf("presence line names source %v served %v, want %s %s", p["source"], p["served"], scheme, c.served)
			}
			if leaks(logs.String()) {
				t.Error("the log holds a value")
			}
		})
	}
}

// An outage or a refused permission of the first reference stops the
// store from opening cleanly: the fallback is not used, and the secret
// has no value.
func TestStoreLayeringNoFallThrough(t *testing.T) {
	setEnv(t)
	for kind, class := range map[string]string{awssmtest.AccessDenied: "permission", awssmtest.Down: "unavailable"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, false, nil)
			e.srv.Put("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("sm"))+`"}`))
			e.srv.SetFault(awssmtest.Fault{Kind: kind})
			s, logs, err := layeredStore(t, e, "awssm://prod/app#SEARCH_API_KEY", "env://SEARCH_API_KEY")
			if err == nil || !strings.Contains(err.Error(), "SEARCH_KEY") {
				t.Fatalf("open: %s, want a problem naming SEARCH_KEY", safe(err))
			}
			if v, ok := s.Get("SEARCH_KEY"); ok || !v.IsZero() {
				t.Error("a value is served")
			}
			if h := s.Health()[0]; h.Status != secret.StatusMissing || h.LastError != class || h.Served != "" {
				t.Errorf("health: %s %s served %q, want missing %s and nothing served", h.Status, h.LastError, h.Served, class)
			}
			if leaks(logs.String() + safe(err)) {
				t.Error("the log or the error holds a value")
			}
		})
	}
}

// A rotation in Secrets Manager reaches the store through the layered
// driver, which keeps serving from Secrets Manager.
func TestStoreLayeringFollowsRotation(t *testing.T) {
	setEnv(t)
	e := newEnv(t, false, func(c *Config) { c.RefreshTTL = 20 * time.Millisecond })
	e.srv.Put("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("v1"))+`"}`))
	s, _, err := layeredStore(t, e, "awssm://prod/app#SEARCH_API_KEY", "env://SEARCH_API_KEY")
	if err != nil {
		t.Fatalf("open store: %s", safe(err))
	}
	events, stop := s.Subscribe("SEARCH_KEY")
	defer stop()
	if err := e.srv.Rotate("prod/app", []byte(`{"SEARCH_API_KEY":"`+string(canary("v2"))+`"}`), nil, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("no change event after the rotation")
	}
	v, _ := s.Get("SEARCH_KEY")
	checkValue(t, "rotated value", v.Reveal(), canary("v2"))
	if h := s.Health()[0]; h.Served != "awssm://prod/app#SEARCH_API_KEY" {
		t.Errorf("served by %q after the rotation", h.Served)
	}
}
