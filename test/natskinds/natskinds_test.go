// Package natskinds_test serves the publish tool kind over MCP through the
// nats source kind, against a real NATS server run in-process, with the
// kinds registered on top of the binary's the way internal/assembly
// registers them.
package natskinds_test

import (
	"encoding/json"
	"fmt"
	"github.com/hushmcp/hush/internal/testutil/mcptest"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/natstest"
	"github.com/hushmcp/hush/source/nats"
	"github.com/hushmcp/hush/tool/publish"
)

var srv *natstest.Server

func TestMain(m *testing.M) {
	var err error
	srv, err = natstest.Start(natstest.Config{JetStream: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// kinds are the binary's parts plus the nats and publish kinds.
func kinds() config.Kinds {
	k := boot.Kinds(nil)
	if _, ok := k.Sources.Lookup(nats.KindName); !ok {
		k.Sources.Register(nats.Kind)
	}
	if _, ok := k.Tools.Lookup(publish.KindName); !ok {
		k.Tools.Register(publish.Kind)
	}
	return k
}

const hushYAML = `
secrets:
  NATS_CRED: { from: "file:nats-cred.json" }
sources:
  bus:
    kind: nats
    url: "nats://${secret:NATS_CRED#user}:${secret:NATS_CRED#password}@%[1]s"
tools:
  order_created:
    kind: publish
    source: bus
    description: Announce a new order.
    subject: "orders.{region}.created"
    allowed_subjects: [orders.eu.created, orders.us.created]
    payload: [order_id, note]
    max_payload_bytes: 256
    parameters:
      - { name: region, type: string, required: true }
      - { name: order_id, type: integer, required: true }
      - { name: note, type: string }
  audit:
    kind: publish
    source: bus
    description: Record an audit event.
    subject: "audit%[2]s.{kind}"
    allowed_subjects: ["audit%[2]s.>"]
    jetstream: true
    parameters:
      - { name: kind, type: string, required: true }
      - { name: detail, type: string, required: true }
`

var (
	mu  sync.Mutex // SetAuth replaces every user: one change at a time
	seq int
)

type env struct {
	dir      string
	user     string
	password string
	cs       *mcp.ClientSession
	log      *leak.Buffer
	canaries []string
	stream   string
}

func canary(tag string) string { return "canary-" + tag + "-NOT-REAL" }

func setPassword(t *testing.T, user, pw string) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	a := srv.Auth()
	a.Users = maps.Clone(a.Users)
	if a.Users == nil {
		a.Users = map[string]string{}
	}
	if pw == "" {
		delete(a.Users, user)
	} else {
		a.Users[user] = pw
	}
	if err := srv.SetAuth(a); err != nil {
		t.Fatal(err)
	}
}

func next() int {
	mu.Lock()
	defer mu.Unlock()
	seq++
	return seq
}

func credDoc(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"user": user, "password": pw})
	return string(b)
}

// start boots Hush over a fresh user whose password holds URL syntax, and
// a fresh audit stream.
func start(t *testing.T) *env {
	t.Helper()
	n := next()
	e := &env{dir: t.TempDir(), user: fmt.Sprintf("hush%d", n), stream: fmt.Sprintf("AUDIT%d", n)}
	e.password = canary(fmt.Sprintf("nats-e2e-%d p@ss/w:rd", n))
	e.canaries = []string{e.password}
	setPassword(t, e.user, e.password)
	js, err := jetstream.New(admin(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: e.stream,
		Subjects: []string{fmt.Sprintf("audit%d.>", n)}}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(e.dir, "nats-cred.json"), credDoc(e.user, e.password))
	write(t, filepath.Join(e.dir, "hush.yaml"), fmt.Sprintf(hushYAML, srv.Addr(), fmt.Sprint(n)))
	cfg, err := config.Load(filepath.Join(e.dir, "hush.yaml"), kinds())
	if err != nil {
		t.Fatal(err)
	}
	e.cs, e.log = e.serve(t, cfg)
	return e
}

func admin(t *testing.T) *natsio.Conn {
	t.Helper()
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// subscribe counts the messages on subject.
func subscribe(t *testing.T, subject string) func() []*natsio.Msg {
	nc := admin(t)
	var mu sync.Mutex
	var got []*natsio.Msg
	if _, err := nc.Subscribe(subject, func(m *natsio.Msg) { mu.Lock(); got = append(got, m); mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return func() []*natsio.Msg {
		_ = nc.Flush()
		mu.Lock()
		defer mu.Unlock()
		return append([]*natsio.Msg(nil), got...)
	}
}

// serve boots the server with a debug log that does not redact, so that
// any secret the source logs is caught, and checks the log at cleanup.
func (e *env) serve(t *testing.T, cfg *config.Config) (*mcp.ClientSession, *leak.Buffer) {
	t.Helper()
	logs := &leak.Buffer{}
	t.Cleanup(func() { leak.Check(t, "server log", logs.String(), e.canaries...) })
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return mcptest.Serve(t, cfg, log, e.clean), logs
}

// call calls a tool and fails the test if a canary reaches the client.
func (e *env) call(t *testing.T, name, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := e.cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		t.Fatalf("call %s: %s", name, e.clean(err.Error()))
	}
	wire, _ := json.Marshal(res)
	leak.Check(t, "result of "+name, string(wire), e.canaries...)
	return res
}

func (e *env) clean(s string) string {
	for _, c := range e.canaries {
		s = strings.ReplaceAll(s, c, "[CANARY]")
	}
	return s
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

func write(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.Until(t, what, 20*time.Second, cond)
}
