package tool

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/source"
)

// pinger is a source whose ping outcome the test chooses: a failing or hung
// database cannot be had on demand.
type pinger struct {
	err   error
	hang  bool
	state source.State
}

func (p *pinger) Ping(ctx context.Context) error {
	if p.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return p.err
}
func (p *pinger) State() source.State { return p.state }
func (p *pinger) Close() error        { return nil }

func envStore(t *testing.T, vars map[string]string, decls ...secret.Decl) *secret.Store {
	t.Helper()
	mux := secret.NewMux()
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	s, err := secret.Open(context.Background(), decls, secret.Options{Mux: mux})
	if s == nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestHealthCheckAllOK(t *testing.T) {
	store := envStore(t, map[string]string{"DB_PW": canary},
		secret.Decl{Name: "DB_PW", From: "env://DB_PW"})
	swap := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srcs := map[string]source.Source{
		"main": &pinger{state: source.State{Status: "ok", Secrets: []string{"DB_PW"}, LastSwap: swap}},
	}
	tl, h := HealthCheck(srcs, store, time.Second)
	if tl.Name != HealthCheckName || !tl.Annotations.ReadOnlyHint {
		t.Errorf("tool = %+v", tl)
	}
	res := call(t, h, `{}`)
	if res.IsError {
		t.Fatalf("health failing: %s", text(res))
	}
	rep := res.StructuredContent.(Report)
	if len(rep.Sources) != 1 || rep.Sources[0].Ping != "ok" || rep.Sources[0].LastSwap == nil {
		t.Fatalf("report = %+v", rep)
	}
	sec := rep.Sources[0].Secrets
	if len(sec) != 1 || sec[0].Name != "DB_PW" || sec[0].Source != "env" || sec[0].Status != "ok" {
		t.Errorf("secrets = %+v", sec)
	}
	for _, want := range []string{"health: ok", "source main: ping ok", "secret DB_PW (env): ok", "last swap 2026-01-02T03:04:05Z"} {
		if !strings.Contains(text(res), want) {
			t.Errorf("text %q lacks %q", text(res), want)
		}
	}
	b, _ := json.Marshal(rep)
	if strings.Contains(string(b)+text(res), canary) {
		t.Error("health output holds a secret value")
	}
}

func TestHealthCheckFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := envStore(t, map[string]string{},
			secret.Decl{Name: "GONE", From: "env://GONE", Rules: secret.Rules{Optional: true}})
		srcs := map[string]source.Source{
			"a_down": &pinger{err: errors.New("connection refused"), state: source.State{Status: "ok"}},
			"b_slow": &pinger{hang: true, state: source.State{Status: "degraded", LastError: "unavailable"}},
			"c_sec":  &pinger{state: source.State{Status: "ok", Secrets: []string{"GONE", "UNDECLARED"}}},
		}
		_, h := HealthCheck(srcs, store, 2*time.Second)
		res := call(t, h, `{}`)
		if !res.IsError {
			t.Fatal("failing sources reported as healthy")
		}
		rep := res.StructuredContent.(Report)
		got := []string{rep.Sources[0].Ping, rep.Sources[1].Ping, rep.Sources[2].Ping}
		if strings.Join(got, ",") != "failed,timeout,ok" {
			t.Errorf("pings = %v", got)
		}
		sec := rep.Sources[2].Secrets
		if len(sec) != 2 || sec[0].Status != "missing" || sec[1].Status != "unknown" {
			t.Errorf("secrets = %+v", sec)
		}
		if strings.Contains(text(res), "connection refused") {
			t.Error("ping error text leaked into the report")
		}
	})
}

func TestHealthCheckRejectsArguments(t *testing.T) {
	_, h := HealthCheck(nil, nil, time.Second)
	if res := call(t, h, `{"x":1}`); !res.IsError || !strings.Contains(text(res), `unknown argument "x"`) {
		t.Errorf("got %q", text(res))
	}
	if res := call(t, h, `{}`); res.IsError || !strings.Contains(text(res), "no sources") {
		t.Errorf("empty: got %q", text(res))
	}
}

func call(t *testing.T, h mcp.ToolHandler, args string) *mcp.CallToolResult {
	t.Helper()
	req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "x", Arguments: json.RawMessage(args)}}
	res, err := h(context.Background(), req)
	if err != nil {
		t.Fatalf("handler returned a protocol error: %v", err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// A secret with a from: list names the reference that served it: here the
// first variable is unset, so the fallback serves.
func TestHealthCheckNamesServingReference(t *testing.T) {
	store := envStore(t, map[string]string{"FALLBACK": canary},
		secret.Decl{Name: "KEY", From: "env://PRIMARY", Also: []string{"env://FALLBACK"}},
		secret.Decl{Name: "ONE", From: "env://FALLBACK"})
	srcs := map[string]source.Source{"main": &pinger{state: source.State{Status: "ok", Secrets: []string{"KEY", "ONE"}}}}
	_, h := HealthCheck(srcs, store, time.Second)
	res := call(t, h, `{}`)
	sec := res.StructuredContent.(Report).Sources[0].Secrets
	if len(sec) != 2 || sec[0].Served != "env://FALLBACK" || sec[0].Source != "env" || sec[0].Status != "ok" {
		t.Errorf("secrets = %+v", sec)
	}
	if len(sec) == 2 && sec[1].Served != "" {
		t.Errorf("a single reference is named as served: %+v", sec[1])
	}
	if want := ", served by env://FALLBACK\n"; !strings.Contains(text(res), want) {
		t.Errorf("text %q lacks %q", text(res), want)
	}
	if strings.Contains(text(res), canary) {
		t.Error("health output holds a secret value")
	}
}
