package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/pgtest"
)

// Canary secrets of the leak tests: unique, obviously fake, and one with
// characters that JSON escapes, so escaped forms are checked too.
const (
	leakDB    = "canary-leak-db-7c1e95-NOT-REAL"
	leakToken = "canary-leak-token-3f9a2b-NOT-REAL"
	leakFlaky = "canary-leak-flaky-a41c07-NOT-REAL"
	leakKey   = `canary-leak-key-5e2d"&<NOT-REAL>`
	// leakNasty holds every character an escaping changes.
	leakNasty = `canary-leak-nasty-"q"\b/s/é✓-NOT-REAL`
	// leakApp is placed where PostgreSQL truncates it (application_name
	// keeps 63 bytes) and then hands the truncated copy back.
	leakApp = "canary-leak-app-5d71c0-" + "0123456789abcdefghijklmnopqrstuvwxyz-0123456789-abcdefghij-NOT-REAL"
)

var leakCanaries = []string{leakDB, leakToken, leakFlaky, leakKey, leakNasty, leakApp}

const leakYAML = `server:
  name: hush-leak
  transport: http
  auth_token: ${secret:MCP_TOKEN}
  call_timeout: 5s
secrets:
  DB_PASSWORD: { from: "file://%[1]s/db-password", min_length: 16 }
  MCP_TOKEN: { from: "file://%[1]s/mcp-token", min_length: 24 }
  FLAKY_PASSWORD: { from: "file://%[1]s/flaky-password", min_length: 16 }
  PARTNER_KEY: { from: "file://%[1]s/partner-key", min_length: 16 }
  NASTY_KEY: { from: "file://%[1]s/nasty-key", min_length: 16 }
  APP_TAG: { from: "file://%[1]s/app-tag", min_length: 16 }
sources:
  main:
    kind: postgres
    dsn: postgres://%[2]s:${secret:DB_PASSWORD}@127.0.0.1:%[3]d/%[4]s?sslmode=disable&application_name=${secret:APP_TAG}
    max_conns: 2
  flaky:
    kind: postgres
    dsn: postgres://%[5]s:${secret:FLAKY_PASSWORD}@127.0.0.1:%[6]d/%[7]s?sslmode=disable
    max_conns: 1
tools:
  as_int: { source: main, description: Cast to an integer., statement: "SELECT $1::int AS n",
            parameters: [{ name: v, type: string, required: true }] }
  note: { source: main, description: Read a note., statement: "SELECT id, body FROM notes WHERE id = $1",
          parameters: [{ name: id, type: integer, required: true }] }
  note_encoded:
    source: main
    description: Read a note in base64 and inside a JSON object.
    statement: >-
      SELECT encode(convert_to(body, 'UTF8'), 'base64') AS b64,
      json_build_object('body', body) AS obj FROM notes WHERE id = $1
    parameters: [{ name: id, type: integer, required: true }]
  app_name: { source: main, description: Name the session., statement: "SELECT current_setting('application_name') AS app" }
  note_as_int: { source: main, description: Read a note as a number., statement: "SELECT body::int FROM notes WHERE id = $1",
                 parameters: [{ name: id, type: integer, required: true }] }
  slow: { source: main, description: Sleep., statement: "SELECT pg_sleep($1)::text AS slept", timeout: 300ms,
          parameters: [{ name: seconds, type: number, required: true }] }
  flaky_now: { source: flaky, description: Ask the flaky database for the time., statement: "SELECT now()::text AS now" }
`

// leakEnv is a server holding the canaries, a client session, and every
// byte that left the server for a client or a caller.
type leakEnv struct {
	srv   *running
	cs    *mcp.ClientSession
	seen  *lockedBuffer // client traffic, raw HTTP bodies, error texts, command output
	flaky *pgtest.Server
	dir   string
}

// newLeakEnv starts a second PostgreSQL for the flaky source (so it can be
// stopped while serving) and a server at debug log level, which logs the
// most.
// answerModes are the two ways the server answers a POST: one JSON body
// (the default) or an event stream (server.sse). Every promise holds in
// both.
var answerModes = []struct{ name, yaml string }{{"json", ""}, {"sse", "  sse: true\n"}}

// withMode adds a server: key line for the answer mode after the
// transport line of a config.
func withMode(yaml, line string) string {
	return strings.Replace(yaml, "  transport: http\n", "  transport: http\n"+line, 1)
}

func newLeakEnv(t *testing.T, mode string) *leakEnv {
	t.Helper()
	flaky, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(flaky.Stop)
	e := &leakEnv{seen: &lockedBuffer{}, flaky: flaky, dir: t.TempDir()}
	main := newPGApp(t, "leak", leakDB,
		"CREATE TABLE notes(id int PRIMARY KEY, body text NOT NULL)",
		fmt.Sprintf("INSERT INTO notes VALUES (1, '%s'), (2, '%s'), (3, '%s'), (4, '%s'), (5, '%s'), (6, '%s')",
			leakDB, leakToken, leakFlaky, strings.ReplaceAll(leakKey, "'", "''"), leakNasty, leakApp))
	ctx := context.Background()
	if err := flaky.CreateRole(ctx, "flaky", leakFlaky); err != nil {
		t.Fatal(err)
	}
	if err := flaky.CreateDatabase(ctx, "flaky", "flaky"); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"db-password": leakDB, "mcp-token": leakToken, "flaky-password": leakFlaky,
		"partner-key": leakKey, "nasty-key": leakNasty, "app-tag": leakApp} {
		secretFile(t, e.dir, name, v)
	}
	cfg := hushYAML(t, e.dir, withMode(fmt.Sprintf(leakYAML, e.dir, main.Role, pg.Port(), main.DB, "flaky", flaky.Port(), "flaky"), mode))
	e.srv = startServe(t, "--config", cfg, "--log-level", "debug")
	e.cs = connectMCP(t, e.srv.URL, leakToken, e.seen)
	t.Cleanup(func() { e.assertClean(t) })
	return e
}

// assertClean checks everything the server emitted, at the end of a test.
func (e *leakEnv) assertClean(t *testing.T) {
	t.Helper()
	assertNoLeak(t, "server stderr (logs)", e.srv.Stderr.String())
	assertNoLeak(t, "server stdout", e.srv.Stdout.String())
	assertNoLeak(t, "client-visible output", e.seen.String())
}

// leakMarker starts every leak canary and appears nowhere else, so finding
// it means part of a secret got out (e.g. a decoder's error quoting the
// first bytes of its input).
const leakMarker = "canary-leak-"

// assertNoLeak checks text for the leak canaries in the forms
// assertNoCanary knows, in two more (Go-quoted %q, and JSON without HTML
// escaping; both differ from the JSON form for leakKey), and for a
// truncated copy.
func assertNoLeak(t *testing.T, where, text string) {
	t.Helper()
	assertNoCanary(t, where, text, leakCanaries...)
	if strings.Contains(text, leakMarker) {
		t.Errorf("%s contains part of a canary secret", where)
	}
	for _, c := range leakCanaries {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(c)
		for _, form := range []string{strconv.Quote(c), strings.TrimSpace(b.String())} {
			if strings.Contains(text, strings.Trim(form, `"`)) {
				t.Errorf("%s contains a canary secret (quoted)", where)
				return
			}
		}
	}
}

// call runs a tool and records the whole result and any error as the
// client sees them. It fails the test on a canary in either.
func (e *leakEnv) call(t *testing.T, name string, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	b, _ := json.Marshal(res)
	text := string(b)
	if err != nil {
		text += "\n" + err.Error()
	}
	e.record(t, "call "+name, text)
	return res, err
}

// record adds text to what the clients saw and checks it at once, so a
// failure names the step.
func (e *leakEnv) record(t *testing.T, where, text string) {
	t.Helper()
	_, _ = io.WriteString(e.seen, text+"\n")
	assertNoLeak(t, where, text)
}

// wantToolError wants a tool error result whose text holds every want.
func wantToolError(t *testing.T, res *mcp.CallToolResult, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("protocol error %s, want a tool error result", scrub(err.Error(), leakCanaries...))
	}
	text := toolText(res)
	if !res.IsError {
		t.Errorf("result is not an error: %s", scrub(text, leakCanaries...))
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("error text %q lacks %q", scrub(text, leakCanaries...), w)
		}
	}
}

// Every path that could echo a secret, on a live server: driver errors
// quoting input and stored data, results holding secret values in several
// encodings, bad arguments, unknown tools, timeouts, a source going down,
// protocol errors, auth failures and the health endpoints.
func TestLeakCanaryWhileServing(t *testing.T) {
	for _, m := range answerModes {
		t.Run(m.name, func(t *testing.T) {
			e := newLeakEnv(t, m.yaml)
			t.Run("driver error echoing an argument", e.driverEchoesArgument)
			t.Run("driver error echoing stored data", e.driverEchoesData)
			t.Run("results holding secrets", e.resultsHoldSecrets)
			t.Run("invalid arguments", e.invalidArguments)
			t.Run("unknown tool", e.unknownTool)
			t.Run("timeout", e.timeout)
			t.Run("raw HTTP", e.rawHTTP)
			t.Run("health while up", e.healthUp)
			t.Run("source down", e.sourceDown)
			t.Run("hush check", e.check)
		})
	}
}

// PostgreSQL quotes the input it cannot cast: the caller still learns
// what was wrong, with the secret replaced, the source's own password
// included.
func (e *leakEnv) driverEchoesArgument(t *testing.T) {
	for _, c := range leakCanaries {
		res, err := e.call(t, "as_int", map[string]any{"v": c})
		wantToolError(t, res, err, "invalid input syntax for type integer", `"[REDACTED]"`)
	}
}

func (e *leakEnv) driverEchoesData(t *testing.T) {
	for id := range leakCanaries {
		res, err := e.call(t, "note_as_int", map[string]any{"id": id + 1})
		wantToolError(t, res, err, "invalid input syntax for type integer", `"[REDACTED]"`)
	}
}

func (e *leakEnv) resultsHoldSecrets(t *testing.T) {
	// PostgreSQL returns the first 63 bytes of a secret it was given: a
	// truncated copy is a secret too.
	res, err := e.call(t, "app_name", nil)
	if err != nil || res.IsError || !strings.Contains(toolText(res), "[REDACTED]") {
		t.Errorf("app_name: %v %s", err, scrub(toolText(res), leakCanaries...))
	}
	for id := 1; id <= len(leakCanaries); id++ {
		for _, name := range []string{"note", "note_encoded"} {
			res, err := e.call(t, name, map[string]any{"id": id})
			if err != nil || res.IsError {
				t.Fatalf("%s %d: %v %s", name, id, err, scrub(toolText(res), leakCanaries...))
			}
			if !strings.Contains(toolText(res), "[REDACTED]") {
				t.Errorf("%s %d: text has no [REDACTED]", name, id)
			}
			b, _ := json.Marshal(res.StructuredContent)
			if !strings.Contains(string(b), "[REDACTED]") {
				t.Errorf("%s %d: structured content has no [REDACTED]", name, id)
			}
		}
	}
}

// Argument names and wrongly typed values may be secrets too (a model
// pasting one); messages name parameters and must not echo them.
func (e *leakEnv) invalidArguments(t *testing.T) {
	res, err := e.call(t, "note", map[string]any{})
	wantToolError(t, res, err, `"id"`)
	res, err = e.call(t, "note", map[string]any{"id": leakDB})
	wantToolError(t, res, err, `"id"`)
	res, err = e.call(t, "note", map[string]any{"id": 1, leakKey: 1, leakDB: leakFlaky})
	wantToolError(t, res, err, "unknown argument", "valid: id")
}

func (e *leakEnv) unknownTool(t *testing.T) {
	for _, name := range []string{"no_such_tool", leakDB} {
		_, err := e.call(t, name, nil)
		if err == nil || !strings.Contains(err.Error(), "unknown tool") {
			t.Errorf("calling an unknown tool: got %v, want an \"unknown tool\" protocol error", scrub(fmt.Sprint(err), leakCanaries...))
		}
	}
}

// A statement running past the tool's timeout is stopped and reported
// as a timeout; the server keeps serving.
func (e *leakEnv) timeout(t *testing.T) {
	res, err := e.call(t, "slow", map[string]any{"seconds": 3})
	wantToolError(t, res, err, "timed out after 300ms")
	res, err = e.call(t, "slow", map[string]any{"seconds": 0})
	if err != nil || res.IsError {
		t.Errorf("a quick call after a timeout failed: %v %s", err, scrub(toolText(res), leakCanaries...))
	}
}

func (e *leakEnv) healthUp(t *testing.T) {
	for _, path := range []string{"/healthz", "/readyz"} {
		code, body := e.get(t, path, "")
		if code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200: %s", path, code, body)
		}
	}
	e.wantHealth(t, map[string]string{"flaky": "ok", "main": "ok"})
}

// wantHealth calls health_check and compares each source's ping.
func (e *leakEnv) wantHealth(t *testing.T, want map[string]string) {
	t.Helper()
	res, err := e.call(t, "health_check", nil)
	if err != nil {
		t.Fatalf("health_check: %s", scrub(err.Error(), leakCanaries...))
	}
	var rep struct {
		OK      bool
		Sources []struct{ Name, Ping string }
	}
	if err := remarshal(res.StructuredContent, &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range rep.Sources {
		got[s.Name] = s.Ping
	}
	healthy := !slices.Contains(slices.Collect(maps.Values(want)), "failed")
	if !maps.Equal(got, want) || rep.OK != healthy {
		t.Errorf("health_check: ok=%v pings %v, want ok=%v pings %v", rep.OK, got, healthy, want)
	}
}

// The flaky database stops: its tool fails with a connection error that
// names no credential, health_check and /readyz report it, and the other
// source keeps serving.
func (e *leakEnv) sourceDown(t *testing.T) {
	if res, err := e.call(t, "flaky_now", nil); err != nil || res.IsError {
		t.Fatalf("flaky_now before the stop: %v %s", err, scrub(toolText(res), leakCanaries...))
	}
	e.flaky.Stop()
	// The first call may meet the connection the server closed on its way
	// down; later ones find nobody listening.
	res, err := e.call(t, "flaky_now", nil)
	wantToolError(t, res, err, `query failed: `)
	for range 2 {
		res, err = e.call(t, "flaky_now", nil)
		wantToolError(t, res, err, `query failed: connect source "flaky": connection refused`)
	}
	e.wantHealth(t, map[string]string{"flaky": "failed", "main": "ok"})
	code, body := e.get(t, "/readyz", "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"flaky":"failed"`) {
		t.Errorf("GET /readyz = %d %s, want 503 naming flaky as failed", code, body)
	}
	if res, err := e.call(t, "note", map[string]any{"id": 1}); err != nil || res.IsError {
		t.Errorf("the healthy source stopped serving: %v %s", err, scrub(toolText(res), leakCanaries...))
	}
}

// hush check against the same config while the flaky source is down:
// a report by name and state, exit 5, and no value.
func (e *leakEnv) check(t *testing.T) {
	code, out, errs := runHush(t, "check", "--config", filepath.Join(e.dir, "hush.yaml"), "--log-level", "debug")
	e.record(t, "hush check stdout", out)
	e.record(t, "hush check stderr", errs)
	if code != exitSources {
		t.Errorf("hush check exited %d, want %d", code, exitSources)
	}
	for _, want := range []string{"DB_PASSWORD", "MCP_TOKEN", "PARTNER_KEY", "flaky", "failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("hush check report lacks %q:\n%s", want, scrub(out, leakCanaries...))
		}
	}
}

// do sends r and records the status line, headers and body.
func (e *leakEnv) do(t *testing.T, r rawRequest) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, "http://"+e.srv.Addr+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var head strings.Builder
	_ = resp.Header.Write(&head)
	e.record(t, fmt.Sprintf("%s %s response", r.method, r.path), resp.Status+"\n"+head.String()+string(b))
	return resp.StatusCode, resp.Header, string(b)
}

func (e *leakEnv) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	code, _, body := e.do(t, rawRequest{method: http.MethodGet, path: path, token: token})
	return code, body
}

// rawHTTP sends requests no well-behaved client sends: no token, a wrong
// token (itself a secret of the server), a truncated body, a call of an
// unknown tool and an unknown session, each holding a secret.
func (e *leakEnv) rawHTTP(t *testing.T) {
	sid := e.rawSession(t)
	session := map[string]string{"Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18"}
	for _, c := range []struct {
		name   string
		req    rawRequest
		code   int
		inBody string
	}{
		{"no token", post("", rawInitialize, nil), 401, "no bearer token"},
		{"another secret as token", post(leakDB, rawInitialize, nil), 401, "invalid token"},
		{"the token with a suffix", post(leakToken+"x", rawInitialize, nil), 401, "invalid token"},
		{"truncated JSON", post(leakToken, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+leakDB, nil), 400, "malformed payload"},
		{"unknown tool", post(leakToken, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"`+leakDB+`"}}`, session), 200, `unknown tool \"[REDACTED]\"`},
		{"unknown session", post(leakToken, rawInitialize, map[string]string{"Mcp-Session-Id": leakKey}), 404, "session not found"},
	} {
		code, _, body := e.do(t, c.req)
		if code != c.code || !strings.Contains(body, c.inBody) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, scrub(body, leakCanaries...), c.code, c.inBody)
		}
	}
}

// rawSession initialises a session by hand and returns its id.
func (e *leakEnv) rawSession(t *testing.T) string {
	t.Helper()
	code, hdr, body := e.do(t, post(leakToken, rawInitialize, nil))
	sid := hdr.Get("Mcp-Session-Id")
	if code != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d, session %q: %s", code, sid, scrub(body, leakCanaries...))
	}
	return sid
}

// The streamable HTTP transport answers some malformed requests itself,
// before any server middleware runs, quoting what the client sent. A
// secret a client sends (a model pasting one) must not come back.
func TestLeakCanaryTransportEchoes(t *testing.T) {
	for _, m := range answerModes {
		t.Run(m.name, func(t *testing.T) { transportEchoes(t, newLeakEnv(t, m.yaml)) })
	}
}

func transportEchoes(t *testing.T, e *leakEnv) {
	sid := e.rawSession(t)
	session := map[string]string{"Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18"}
	for _, c := range []struct {
		name string
		req  rawRequest
	}{
		{"host header", post(leakToken, rawInitialize, map[string]string{"Host": leakFlaky + ".example"})},
		{"body not an object", post(leakToken, `"`+leakDB+`"`, nil)},
		{"params of the wrong type", post(leakToken, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":"`+leakDB+`"}`, nil)},
		{"unknown method", post(leakToken, `{"jsonrpc":"2.0","id":2,"method":`+jsonString(leakKey)+`}`, session)},
		{"params that do not decode", post(leakToken, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":1,"arguments":"`+leakDB+`"}}`, session)},
		{"last event id", rawRequest{method: http.MethodGet, path: "/mcp", token: leakToken, header: map[string]string{
			"Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18", "Last-Event-ID": leakFlaky}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, _ := e.do(t, c.req)
			if code != http.StatusOK && code < 400 {
				t.Errorf("status %d, want an error status or a JSON-RPC error", code)
			}
		})
	}
}

const wrongPasswordYAML = `server: { transport: http, listen: "127.0.0.1:0", auth_token: "${secret:MCP_TOKEN}" }
secrets:
  DB_PASSWORD: { from: "file://%[1]s/db-password" }
  MCP_TOKEN: { from: "file://%[1]s/mcp-token" }
sources:
  main: { kind: postgres, dsn: "postgres://%[2]s:${secret:DB_PASSWORD}@127.0.0.1:%[3]d/%[4]s?sslmode=disable" }
`

// A wrong database password stops start-up with exit 5 before anything
// listens, and hush check reports the same; both name the source and the
// failure, never a value.
func TestLeakCanaryWrongCredentials(t *testing.T) {
	app := newPGApp(t, "wrongpw", leakFlaky)
	dir := t.TempDir()
	secretFile(t, dir, "db-password", leakDB)
	secretFile(t, dir, "mcp-token", leakToken)
	cfg := hushYAML(t, dir, fmt.Sprintf(wrongPasswordYAML, dir, app.Role, pg.Port(), app.DB))
	for _, cmd := range []string{"serve", "check"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var out, errs lockedBuffer
		code := run(ctx, []string{cmd, "--config", cfg, "--log-level", "debug"}, strings.NewReader(""), &out, &errs)
		cancel()
		assertNoLeak(t, "hush "+cmd+" stdout", out.String())
		assertNoLeak(t, "hush "+cmd+" stderr", errs.String())
		if code != exitSources {
			t.Errorf("hush %s exited %d, want %d", cmd, code, exitSources)
		}
		if want := `hush.yaml:6:3: connect source "main": authentication failed (SQLSTATE 28P01)`; !strings.Contains(errs.String(), want) {
			t.Errorf("hush %s stderr lacks %q:\n%s", cmd, want, scrub(errs.String(), leakCanaries...))
		}
		if cmd == "check" && !strings.Contains(out.String(), "DB_PASSWORD  file    ok") {
			t.Errorf("hush check report does not show the secret as resolved:\n%s", scrub(out.String(), leakCanaries...))
		}
		if len(logEntries(errs.String(), "serving")) > 0 {
			t.Errorf("hush %s listened despite the wrong password", cmd)
		}
	}
}

// The call log describes arguments by key and clips long keys and tool
// names. A clipped secret is no longer an exact match for the redactor, so
// clipping must not cut a secret short: the log may hold no part of one.
func TestLeakCanaryClippedLogFields(t *testing.T) {
	e := newLeakEnv(t, "")
	res, err := e.call(t, "note", map[string]any{"id": 1, leakToken: 1}) // key longer than 32 bytes
	wantToolError(t, res, err, "unknown argument")
	if _, err := e.call(t, leakToken+leakToken, nil); err == nil { // name longer than 64 bytes
		t.Error("calling an unknown tool succeeded")
	}
}
