package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
)

// smRegion is the region of every Secrets Manager test server here.
const smRegion = "eu-west-1"

// smEnv is a Secrets Manager test server on loopback, with the test
// credentials in the environment the server inherits (the SDK's default
// chain finds them there and nowhere else).
type smEnv struct {
	srv *awssmtest.Server
	url string
	dir string
}

func newSMEnv(t *testing.T) *smEnv {
	t.Helper()
	srv := awssmtest.New(smRegion)
	srv.SetEnv(t)
	return &smEnv{srv: srv, url: srv.Listen(t), dir: t.TempDir()}
}

// block is the awssm: block pointing at the test server.
func (e *smEnv) block(ttl, force string) string {
	return fmt.Sprintf("awssm:\n  region: %s\n  endpoint: %s\n  refresh_ttl: %s\n  forced_refresh_interval: %s\n",
		smRegion, e.url, ttl, force)
}

// rdsDoc is an RDS-style secret document, port as a number. Every field
// of a JSON secret is redacted from output, so the host is "localhost":
// "127.0.0.1" would be redacted from the address the server logs.
func rdsDoc(user, password, db string) []byte {
	b, _ := json.Marshal(map[string]any{"engine": "postgres", "host": "localhost", "port": pg.Port(),
		"username": user, "password": password, "dbname": db})
	return b
}

// itemTool is the SQL tool every Secrets Manager test serves.
const itemTool = `tools:
  item:
    kind: sql
    source: main
    description: Name an item and add one to n.
    statement: SELECT name, $2::int8 + 1 AS next FROM items WHERE id = $1
    parameters:
      - { name: id, type: integer, required: true, min: 1, max: 16 }
      - { name: n, type: integer, required: true }
    read_only: true
    timeout: 10s
`

func newItemsApp(t *testing.T, prefix, password string) pgApp {
	return newPGApp(t, prefix, password,
		"CREATE TABLE items(id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO items SELECT g, 'item-' || g FROM generate_series(1, 16) g")
}

// Layering passwords: only smRight logs in.
const (
	smRight = "canary-sm-layer-right-NOT-REAL"
	smWrong = "canary-sm-layer-wrong-NOT-REAL"
)

// smLayerEnvVar is the environment variable of the layering tests.
const smLayerEnvVar = "HUSH_TEST_SM_DB_PASSWORD"

// layeredYAML serves the item tool with a password declared with a from:
// list (%s is the flow list).
func (e *smEnv) layeredYAML(app pgApp, from string) string {
	return "server:\n  name: hush-awssm-layers\n  transport: http\n" + e.block("1h", "2s") +
		"secrets:\n  DB_PASSWORD: { from: " + from + ", min_length: 16 }\n" +
		fmt.Sprintf("sources:\n  main:\n    kind: postgres\n    dsn: postgres://%s:${secret:DB_PASSWORD}@127.0.0.1:%d/%s?sslmode=disable\n    max_conns: 2\n",
			app.Role, pg.Port(), app.DB) + itemTool
}

// A from: list serves the first reference that has the value, in the
// order written, and says which in the presence log and health_check;
// the served password is the one that logs in.
func TestAWSSMLayering(t *testing.T) {
	e := newSMEnv(t)
	app := newItemsApp(t, "smlayer", smRight)
	e.srv.Put("prod/hush/right", []byte(`{"password":"`+smRight+`"}`))
	e.srv.Put("prod/hush/wrong", []byte(`{"password":"`+smWrong+`"}`))
	e.srv.Put("prod/hush/other", []byte(`{"username":"`+app.Role+`"}`))
	cases := []struct {
		name, env, served string
		from              []string
	}{
		{"secrets manager over env", smWrong, "awssm://prod/hush/right#password",
			[]string{"awssm://prod/hush/right#password", "env://" + smLayerEnvVar}},
		{"env over secrets manager", smRight, "env://" + smLayerEnvVar,
			[]string{"env://" + smLayerEnvVar, "awssm://prod/hush/wrong#password"}},
		{"document lacks the field", smRight, "env://" + smLayerEnvVar,
			[]string{"awssm://prod/hush/other#password", "env://" + smLayerEnvVar}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(smLayerEnvVar, c.env)
			from, _ := json.Marshal(c.from)
			srv := startServe(t, "--config", hushYAML(t, t.TempDir(), e.layeredYAML(app, string(from))))
			seen := &lockedBuffer{}
			cs := connectMCP(t, srv.URL, "", seen)
			l := &callers{canaries: []string{smRight, smWrong}}
			if err := l.call(cs, 3, 41); err != nil {
				t.Fatalf("item: %s", scrub(err.Error(), smRight, smWrong))
			}
			wantServed(t, srv, cs, c.served)
			assertNoCanary(t, "server stderr", srv.Stderr.String(), smRight, smWrong)
			assertNoCanary(t, "client traffic", seen.String(), smRight, smWrong)
		})
	}
}

// wantServed checks the presence log line and health_check for the
// reference that served DB_PASSWORD.
func wantServed(t *testing.T, srv *running, cs *mcp.ClientSession, served string) {
	t.Helper()
	lines := logEntries(srv.Stderr.String(), "secret")
	if len(lines) != 1 || lines[0]["served"] != served || lines[0]["source"] != scheme(served) {
		t.Errorf("presence lines %v, want one naming %s served by %s", lines, scheme(served), served)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "health_check"})
	if err != nil {
		t.Fatalf("health_check: %v", err)
	}
	var rep struct {
		Sources []struct {
			Secrets []struct{ Name, Source, Served, Status string }
		}
	}
	if err := remarshal(res.StructuredContent, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 1 || len(rep.Sources[0].Secrets) != 1 {
		t.Fatalf("health_check: %+v", rep)
	}
	got := rep.Sources[0].Secrets[0]
	if got.Served != served || got.Source != scheme(served) || got.Status != "ok" {
		t.Errorf("health_check reports %+v, want ok from %s served by %s", got, scheme(served), served)
	}
	if !strings.Contains(toolText(res), "served by "+served) {
		t.Errorf("health_check text lacks %q: %s", "served by "+served, toolText(res))
	}
}

func scheme(ref string) string {
	s, _, _ := strings.Cut(ref, ":")
	return s
}

// When Secrets Manager refuses or cannot be reached, a listed env
// fallback is not used: start-up fails with the secrets exit code, naming
// the secret and the error class, before listening.
func TestAWSSMLayeringOutageIsNoFallThrough(t *testing.T) {
	e := newSMEnv(t)
	app := newItemsApp(t, "smout", smRight)
	e.srv.Put("prod/hush/right", []byte(`{"password":"`+smRight+`"}`))
	t.Setenv(smLayerEnvVar, smRight)
	from := `["awssm://prod/hush/right#password", "env://` + smLayerEnvVar + `"]`
	cases := []struct {
		name, class string
		setup       func() string // returns the config
	}{
		{"access denied", "permission", func() string {
			e.srv.SetFault(awssmtest.Fault{Kind: awssmtest.AccessDenied})
			return e.layeredYAML(app, from)
		}},
		{"unreachable", "unavailable", func() string {
			e.srv.SetFault(awssmtest.Fault{})
			down := *e
			down.url = closedPortURL(t)
			return down.layeredYAML(app, from)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := hushYAML(t, t.TempDir(), c.setup())
			code, out, errs := runHush(t, "serve", "--transport", "http", "--listen", "127.0.0.1:0", "--config", cfg)
			if code != exitSecrets {
				t.Errorf("hush serve exited %d, want %d (secrets)", code, exitSecrets)
			}
			if len(logEntries(errs, "serving")) > 0 {
				t.Error("the server listened")
			}
			for _, want := range []string{"DB_PASSWORD", c.class} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, scrub(errs, smRight))
				}
			}
			assertNoCanary(t, "stdout and stderr", out+errs, smRight, awssmtest.SecretAccessKey)
		})
	}
}

// closedPortURL is an http:// URL of a loopback port nobody listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
