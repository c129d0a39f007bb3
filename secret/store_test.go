package secret_test

import (
	"context"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/env"
)

const (
	canaryDB  = "postgres://app:canary-pw-7f3a9c-NOT-REAL@db:5432/app"
	canaryKey = "canary-key-91be-NOT-REAL-0123456789"
)

// syncBuffer collects output from several goroutines.
type syncBuffer = leak.Buffer

func envMux(vars map[string]string) *secret.Mux {
	m := secret.NewMux()
	m.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	return m
}

func openStore(t *testing.T, mux *secret.Mux, decls ...secret.Decl) (*secret.Store, *syncBuffer, error) {
	t.Helper()
	logs := &syncBuffer{}
	s, err := secret.Open(context.Background(), decls, secret.Options{Mux: mux, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if s == nil {
		t.Fatalf("Open returned no store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logs, err
}

func assertNoCanary(t *testing.T, where, text string) {
	t.Helper()
	for _, c := range []string{"canary-pw-7f3a9c", "canary-key-91be"} {
		if strings.Contains(text, c) {
			t.Errorf("%s contains a canary secret", where)
		}
	}
}

func TestOpenResolvesAndLogsPresenceOnly(t *testing.T) {
	mux := envMux(map[string]string{"DATABASE_URL": canaryDB, "API_KEY": canaryKey})
	s, logs, err := openStore(t, mux,
		secret.Decl{Name: "DATABASE_URL", From: "env://DATABASE_URL", Rules: secret.Rules{Format: "url", Schemes: []string{"postgres"}}},
		secret.Decl{Name: "API_KEY", From: "env://API_KEY", Rules: secret.Rules{MinLength: 16}},
	)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	v, ok := s.Get("DATABASE_URL")
	if !ok || v.RevealString() != canaryDB {
		t.Fatalf("Get(DATABASE_URL) ok=%v, wrong value", ok)
	}
	if v.Meta().Source != "env" || v.Meta().Version == "" {
		t.Errorf("meta = %+v, want source env and a version", v.Meta())
	}
	out := logs.String()
	if !strings.Contains(out, "secret=DATABASE_URL source=env status=\"set(52 chars)\"") {
		t.Errorf("summary line missing, logs:\n%s", out)
	}
	assertNoCanary(t, "logs", out)
	for _, h := range s.Health() {
		if h.Status != secret.StatusOK {
			t.Errorf("%s status %s, want ok", h.Name, h.Status)
		}
	}
}

func TestOpenReportsEveryProblemAtOnce(t *testing.T) {
	mux := envMux(map[string]string{"SHORT": canaryKey[:10], "NOTURL": canaryKey, "BADJSON": "{" + canaryKey})
	_, logs, err := openStore(t, mux,
		secret.Decl{Name: "MISSING", From: "env://MISSING", Pos: "hush.yaml:3:3"},
		secret.Decl{Name: "SHORT", From: "env://SHORT", Rules: secret.Rules{MinLength: 32}},
		secret.Decl{Name: "NOTURL", From: "env://NOTURL", Rules: secret.Rules{Format: "url"}},
		secret.Decl{Name: "BADJSON", From: "env://BADJSON", Rules: secret.Rules{Format: "json"}},
		secret.Decl{Name: "SCHEME", From: "nope://x"},
		secret.Decl{Name: "OPTIONAL", From: "env://ABSENT", Rules: secret.Rules{Optional: true}},
	)
	if err == nil {
		t.Fatal("Open succeeded, want problems")
	}
	msg := err.Error()
	for _, want := range []string{
		`hush.yaml:3:3: secret "MISSING": required: not found`,
		`secret "SHORT": min_length: too short (min 32)`,
		`secret "NOTURL": format`,
		`secret "BADJSON": format`,
		`secret "SCHEME": from: open nope: unknown scheme "nope" (valid: env)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q; got:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "OPTIONAL") {
		t.Errorf("an absent optional secret was reported: %s", msg)
	}
	assertNoCanary(t, "error", msg)
	assertNoCanary(t, "logs", logs.String())
}

func TestJSONFieldSelection(t *testing.T) {
	mux := envMux(map[string]string{"DB": `{"username":"app","password":"` + canaryKey + `","port":5432}`})
	s, _, err := openStore(t, mux,
		secret.Decl{Name: "PW", From: "env://DB#password"},
		secret.Decl{Name: "PORT", From: "env://DB#port"},
		secret.Decl{Name: "NOPE", From: "env://DB#host"},
	)
	if err == nil || !strings.Contains(err.Error(), `secret "NOPE": required: not found`) {
		t.Errorf("missing field error = %v", err)
	}
	if v, _ := s.Get("PW"); v.RevealString() != canaryKey {
		t.Error("field password not selected")
	}
	if v, _ := s.Get("PORT"); v.RevealString() != "5432" {
		t.Error("numeric field not rendered as its literal")
	}
}

func TestExpandAndKnown(t *testing.T) {
	mux := envMux(map[string]string{"PW": canaryKey})
	s, _, err := openStore(t, mux, secret.Decl{Name: "PW", From: "env://PW"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Expand("postgres://app:${secret:PW}@db/app")
	if err != nil || got != "postgres://app:"+canaryKey+"@db/app" {
		t.Errorf("Expand wrong (err %v)", err)
	}
	if _, err := s.Expand("${secret:UNDECLARED}"); err == nil {
		t.Error("Expand of an undeclared secret succeeded")
	}
	known := s.Known()
	if len(known) != 1 || string(known[0]) != canaryKey {
		t.Errorf("Known has %d values, want the one secret", len(known))
	}
}

func TestCloseIsIdempotentAndEndsSubscriptions(t *testing.T) {
	s, _, _ := openStore(t, envMux(map[string]string{"A": canaryKey}), secret.Decl{Name: "A", From: "env://A"})
	ch, cancel := s.Subscribe("A")
	defer cancel()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-ch; ok {
		t.Error("subscription channel still open after Close")
	}
	cancel() // after Close: must not panic
}

// polled is a changeable driver without a watcher, standing in for the
// remote providers (Vault, AWS) whose values the store polls, and able to
// fail on demand.
type polled struct {
	mu      sync.Mutex
	data    string
	err     error
	expires time.Time
	closed  bool
}

func (p *polled) set(data string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.data, p.err = data, err
}

func (p *polled) Fetch(context.Context) (driver.Snapshot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return driver.Snapshot{}, driver.ErrClosed
	}
	if p.err != nil {
		return driver.Snapshot{}, p.err
	}
	return driver.Snapshot{Data: []byte(p.data), ExpiresAt: p.expires}, nil
}

func (p *polled) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

func polledMux(p *polled) *secret.Mux {
	m := secret.NewMux()
	m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return p, nil }))
	return m
}

func TestPollRotationDegradedAndRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &polled{data: canaryKey}
		logs := &syncBuffer{}
		s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k", Rules: secret.Rules{MinLength: 16}}},
			secret.Options{Mux: polledMux(p), Logger: slog.New(slog.NewTextHandler(logs, nil)), PollInterval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		events, cancel := s.Subscribe("K")
		defer cancel()

		rotated := canaryKey + "-v2"
		p.set(rotated, nil)
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		ev := <-events
		if ev.Name != "K" || ev.Old.Version == ev.New.Version {
			t.Errorf("event = %v", ev)
		}
		if v, _ := s.Get("K"); v.RevealString() != rotated {
			t.Error("rotated value not served")
		}
		if known := s.Known(); len(known) != 2 {
			t.Errorf("Known keeps %d values, want current and previous", len(known))
		}

		p.set("", driver.ErrUnavailable)
		time.Sleep(time.Minute)
		synctest.Wait()
		h := s.Health()[0]
		if h.Status != secret.StatusDegraded || h.LastError != "unavailable" {
			t.Errorf("health after provider failure = %s/%s, want degraded/unavailable", h.Status, h.LastError)
		}
		if v, _ := s.Get("K"); v.RevealString() != rotated {
			t.Error("last good value not served while degraded")
		}

		p.set("short", nil) // fails min_length: keep serving the good value
		time.Sleep(time.Minute)
		synctest.Wait()
		if h := s.Health()[0]; h.Status != secret.StatusDegraded || h.LastError != "invalid" {
			t.Errorf("health after invalid value = %s/%s, want degraded/invalid", h.Status, h.LastError)
		}
		if v, _ := s.Get("K"); v.RevealString() != rotated {
			t.Error("invalid value replaced the last good one")
		}

		p.set(rotated, nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if h := s.Health()[0]; h.Status != secret.StatusOK {
			t.Errorf("status after recovery = %s", h.Status)
		}
		assertNoCanary(t, "logs", logs.String())
		if !strings.Contains(logs.String(), "secret rotated") {
			t.Error("rotation not logged")
		}
	})
}

func TestExpiredLease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &polled{data: canaryKey, expires: time.Now().Add(time.Hour)}
		s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k"}},
			secret.Options{Mux: polledMux(p), PollInterval: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if h := s.Health()[0]; h.Status != secret.StatusOK || !h.ExpiresAt.Equal(p.expires) {
			t.Errorf("health = %+v", h)
		}
		time.Sleep(2 * time.Hour)
		if h := s.Health()[0]; h.Status != secret.StatusExpired {
			t.Errorf("status after expiry = %s, want expired", h.Status)
		}
	})
}

func TestRefreshOnDemand(t *testing.T) {
	p := &polled{data: canaryKey}
	s, _, err := openStore(t, polledMux(p), secret.Decl{Name: "K", From: "mem://k"})
	if err != nil {
		t.Fatal(err)
	}
	p.set(canaryKey+"-new", nil)
	if err := s.Refresh(context.Background(), "K"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("K"); v.RevealString() != canaryKey+"-new" {
		t.Error("Refresh did not install the new value")
	}
	p.set("", driver.ErrPermission)
	if err := s.Refresh(context.Background(), "K"); err == nil {
		t.Error("Refresh hid a provider failure")
	}
	if err := s.Refresh(context.Background(), "NOPE"); err == nil {
		t.Error("Refresh of an undeclared secret succeeded")
	}
}

func TestOpenRequiresMux(t *testing.T) {
	if s, err := secret.Open(context.Background(), nil, secret.Options{}); s != nil || err == nil {
		t.Error("Open without a mux succeeded")
	}
}
