package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
)

// Canaries held in Secrets Manager: a database password inside an
// RDS-style JSON document, a bearer token stored as SecretBinary, and a
// key (with characters JSON escapes) as a field of another document, with
// an environment fallback listed. The password is rotated once, to
// smLeakDB2, so both versions are checked.
const (
	smLeakDB     = "canary-smleak-db-41d9c2-NOT-REAL"
	smLeakDB2    = "canary-smleak-db2-7a03e5-NOT-REAL"
	smLeakToken  = "canary-smleak-token-9b3e71-NOT-REAL"
	smLeakKey    = `canary-smleak-key-"&<e6f1>-NOT-REAL`
	smLeakMarker = "canary-smleak-"
	smLeakEnvVar = "HUSH_TEST_SM_PARTNER_KEY"
)

// smLeakSecrets are every value that must never be emitted: the canaries
// and the secret access key of the test credentials.
var smLeakSecrets = []string{smLeakDB, smLeakDB2, smLeakToken, smLeakKey, awssmtest.SecretAccessKey}

const smLeakYAML = `server:
  name: hush-awssm-leak
  transport: http
  auth_token: ${secret:MCP_TOKEN}
  call_timeout: 5s
%[1]ssecrets:
  DB: { from: "awssm://prod/leak/db", format: json, fields: [username, password] }
  MCP_TOKEN: { from: "awssm://prod/leak/token", min_length: 24 }
  PARTNER_KEY: { from: ["awssm://prod/leak/app#PARTNER_KEY", "env://` + smLeakEnvVar + `"], min_length: 16 }
sources:
  main:
    kind: postgres
    dsn: postgres://${secret:DB#username}:${secret:DB#password}@127.0.0.1:%[2]d/%[3]s?sslmode=disable
    max_conns: 2
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
  note_as_int: { source: main, description: Read a note as a number., statement: "SELECT body::int FROM notes WHERE id = $1",
                 parameters: [{ name: id, type: integer, required: true }] }
`

// smLeak is a server whose secrets all come from Secrets Manager, and
// everything it sent to clients.
type smLeak struct {
	sm   *smEnv
	app  pgApp
	srv  *running
	cs   *mcp.ClientSession
	seen *lockedBuffer
	cfg  string
}

// Every path that could echo a Secrets Manager value, on a live server at
// debug level: results and driver errors holding the values (the JSON
// document whole, its fields, the binary token), a rotation, an outage of
// Secrets Manager while serving, refused requests, and hush check. No
// value, and not the AWS secret access key, reaches any output.
func TestAWSSMLeakCanary(t *testing.T) {
	e := newSMLeak(t)
	t.Run("results holding secrets", e.results)
	t.Run("driver errors echoing secrets", e.driverErrors)
	t.Run("raw HTTP", e.rawHTTP)
	t.Run("rotation", e.rotation)
	t.Run("secrets manager outage", e.outage)
	t.Run("hush check during the outage", e.check)
	t.Run("rotated value", e.rotatedValue)
	e.assertClean(t, "server stderr (logs)", e.srv.Stderr.String())
	e.assertClean(t, "server stdout", e.srv.Stdout.String())
	e.assertClean(t, "client-visible output", e.seen.String())
}

// smLeakNotes are the rows of the notes table: every value, the whole
// document the password comes from, and the password it is rotated to.
func smLeakNotes(role string) []string {
	return []string{smLeakDB, smLeakToken, smLeakKey, string(smLeakDoc(role, smLeakDB)), smLeakDB2}
}

func smLeakDoc(role, password string) []byte {
	b, _ := json.Marshal(map[string]any{"engine": "postgres", "username": role, "password": password})
	return b
}

func newSMLeak(t *testing.T) *smLeak {
	t.Helper()
	e := &smLeak{sm: newSMEnv(t), seen: &lockedBuffer{}}
	e.app = newPGApp(t, "smleak", smLeakDB, "CREATE TABLE notes(id int PRIMARY KEY, body text NOT NULL)")
	for i, note := range smLeakNotes(e.app.Role) {
		stmt := fmt.Sprintf("INSERT INTO notes VALUES (%d, '%s')", i+1, strings.ReplaceAll(note, "'", "''"))
		if err := pg.Exec(context.Background(), e.app.DB, stmt); err != nil {
			t.Fatal(err)
		}
	}
	e.sm.srv.Put("prod/leak/db", smLeakDoc(e.app.Role, smLeakDB))
	e.sm.srv.PutBinary("prod/leak/token", []byte(smLeakToken))
	doc, _ := json.Marshal(map[string]string{"PARTNER_KEY": smLeakKey})
	e.sm.srv.Put("prod/leak/app", doc)
	t.Setenv(smLeakEnvVar, "canary-smleak-env-unused-NOT-REAL")
	e.cfg = hushYAML(t, e.sm.dir, fmt.Sprintf(smLeakYAML, e.sm.block("1s", "500ms"), pg.Port(), e.app.DB))
	e.srv = startServe(t, "--config", e.cfg, "--log-level", "debug")
	e.cs = connectMCP(t, e.srv.URL, smLeakToken, e.seen)
	return e
}

// assertClean checks text for every secret in every form, and for the
// canaries' common prefix (part of a value).
func (e *smLeak) assertClean(t *testing.T, where, text string) {
	t.Helper()
	assertNoCanary(t, where, text, smLeakSecrets...)
	if strings.Contains(text, smLeakMarker) {
		t.Errorf("%s contains part of a canary secret", where)
	}
}

// call runs a tool, records what the client saw and checks it at once.
func (e *smLeak) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	b, _ := json.Marshal(res)
	text := string(b)
	if err != nil {
		t.Fatalf("call %s: %s", name, scrub(err.Error(), smLeakSecrets...))
	}
	_, _ = io.WriteString(e.seen, text+"\n")
	e.assertClean(t, "call "+name, text)
	return res
}

func (e *smLeak) results(t *testing.T) {
	for id := 1; id <= 4; id++ { // note 5 is the password of the rotation, not yet a secret
		for _, name := range []string{"note", "note_encoded"} {
			res := e.call(t, name, map[string]any{"id": id})
			if res.IsError || !strings.Contains(toolText(res), "[REDACTED]") {
				t.Errorf("%s %d: error %v or no [REDACTED] in %s", name, id, res.IsError, scrub(toolText(res), smLeakSecrets...))
			}
		}
	}
}

func (e *smLeak) driverErrors(t *testing.T) {
	for _, c := range []string{smLeakDB, smLeakToken, smLeakKey} {
		res := e.call(t, "as_int", map[string]any{"v": c})
		if !res.IsError || !strings.Contains(toolText(res), `"[REDACTED]"`) {
			t.Errorf("as_int: %s", scrub(toolText(res), smLeakSecrets...))
		}
	}
	for id := 1; id <= 3; id++ {
		res := e.call(t, "note_as_int", map[string]any{"id": id})
		if !res.IsError || !strings.Contains(toolText(res), "[REDACTED]") {
			t.Errorf("note_as_int %d: %s", id, scrub(toolText(res), smLeakSecrets...))
		}
	}
}

// rawHTTP sends requests a well-behaved client does not: the token with a
// suffix, another secret as the token, a tool name holding the token.
func (e *smLeak) rawHTTP(t *testing.T) {
	for _, c := range []struct {
		name string
		req  rawRequest
		code int
	}{
		{"another secret as token", post(smLeakKey, rawInitialize, nil), 401},
		{"the token with a suffix", post(smLeakToken+"x", rawInitialize, nil), 401},
		{"the access key as token", post(awssmtest.SecretAccessKey, rawInitialize, nil), 401},
		{"truncated JSON", post(smLeakToken, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+smLeakDB, nil), 400},
	} {
		req, err := http.NewRequest(c.req.method, "http://"+e.srv.Addr+c.req.path, strings.NewReader(c.req.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+c.req.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		var head strings.Builder
		_ = resp.Header.Write(&head)
		text := resp.Status + "\n" + head.String() + string(b)
		_, _ = io.WriteString(e.seen, text+"\n")
		e.assertClean(t, c.name+" response", text)
		if resp.StatusCode != c.code {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.code)
		}
	}
}

// rotation moves the password to smLeakDB2 with the four steps; the tool
// keeps working, and the old value is still redacted.
func (e *smLeak) rotation(t *testing.T) {
	smRotate(t, e.sm.srv, "prod/leak/db", e.app, smLeakDB2, smLeakDoc, func() {})
	waitUntil(t, "the swap to the rotated password", 20*time.Second, func() bool {
		return len(logEntries(e.srv.Stderr.String(), "source credentials swapped")) >= 1
	})
	res := e.call(t, "note", map[string]any{"id": 1})
	if res.IsError || !strings.Contains(toolText(res), "[REDACTED]") {
		t.Errorf("the old password after the rotation: %s", scrub(toolText(res), smLeakSecrets...))
	}
}

// rotatedValue reads the new password from the database. It runs last:
// the redactor learns a new value from the same change event the source
// swaps on, concurrently, so right after the swap it may not know it yet;
// nothing but this test's own table holds the value in that instant.
func (e *smLeak) rotatedValue(t *testing.T) {
	for _, name := range []string{"note", "note_encoded"} {
		res := e.call(t, name, map[string]any{"id": 5})
		if res.IsError || !strings.Contains(toolText(res), "[REDACTED]") {
			t.Errorf("%s 5, the rotated password: %s", name, scrub(toolText(res), smLeakSecrets...))
		}
	}
}

// outage refuses every Secrets Manager request: the secrets turn degraded
// in health_check with the error class, tools keep working on the last
// good values, and the errors logged hold no value.
func (e *smLeak) outage(t *testing.T) {
	e.sm.srv.SetFault(awssmtest.Fault{Kind: awssmtest.AccessDenied})
	waitUntil(t, "the secrets to turn degraded", 20*time.Second, func() bool {
		return strings.Count(toolText(e.call(t, "health_check", nil)), "degraded") >= 1
	})
	res := e.call(t, "health_check", nil)
	if !strings.Contains(toolText(res), "last error permission") {
		t.Errorf("health_check does not name the error class:\n%s", scrub(toolText(res), smLeakSecrets...))
	}
	if res := e.call(t, "note", map[string]any{"id": 2}); res.IsError {
		t.Errorf("a tool failed during the outage: %s", scrub(toolText(res), smLeakSecrets...))
	}
}

// check runs hush check on the same config while Secrets Manager refuses:
// exit 4, the secrets named with the error class, no value.
func (e *smLeak) check(t *testing.T) {
	code, out, errs := runHush(t, "check", "--config", filepath.Clean(e.cfg), "--log-level", "debug")
	_, _ = io.WriteString(e.seen, out+"\n"+errs+"\n")
	e.assertClean(t, "hush check stdout", out)
	e.assertClean(t, "hush check stderr", errs)
	if code != exitSecrets {
		t.Errorf("hush check exited %d, want %d", code, exitSecrets)
	}
	for _, want := range []string{"DB", "MCP_TOKEN", "PARTNER_KEY", "permission"} {
		if !strings.Contains(out+errs, want) {
			t.Errorf("hush check output lacks %q", want)
		}
	}
}
