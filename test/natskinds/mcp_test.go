package natskinds_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
)

func TestPublishOverMCP(t *testing.T) {
	e := start(t)
	got := subscribe(t, "orders.>")
	res := e.call(t, "order_created", `{"region":"eu","order_id":42,"note":"first"}`)
	if res.IsError || !strings.Contains(text(res), "published") {
		t.Fatalf("order_created: %s", text(res))
	}
	eventually(t, "the message", func() bool { return len(got()) == 1 })
	m := got()[0]
	if m.Subject != "orders.eu.created" || string(m.Data) != `{"note":"first","order_id":42}` {
		t.Errorf("received %s %s", m.Subject, m.Data)
	}
	res = e.call(t, "audit", `{"kind":"login","detail":"from the test"}`)
	out, _ := res.StructuredContent.(map[string]any)
	if res.IsError || out["stream"] != e.stream || out["sequence"] != float64(1) {
		t.Fatalf("audit: %s %v", text(res), out)
	}
	js, _ := jetstream.New(admin(t))
	s, err := js.Stream(t.Context(), e.stream)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info(t.Context()); info.State.Msgs != 1 {
		t.Errorf("the stream holds %d messages, want 1", info.State.Msgs)
	}
	tools, err := e.cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools.Tools {
		if tl.Name == "order_created" && (tl.Annotations.ReadOnlyHint || !*tl.Annotations.OpenWorldHint) {
			t.Errorf("annotations %+v", tl.Annotations)
		}
	}
}

// Subjects outside the allowlist, wildcards, CR/LF and oversized messages
// are tool errors that repeat no value, and nothing is published.
func TestBadInputOverMCP(t *testing.T) {
	e := start(t)
	got := subscribe(t, ">")
	long := strings.Repeat("x", 300)
	for _, args := range []map[string]any{
		{"region": "ap", "order_id": 1},
		{"region": "*", "order_id": 1},
		{"region": ">", "order_id": 1},
		{"region": "eu.created.x", "order_id": 1},
		{"region": "eu\r\nPUB orders.eu.created 2", "order_id": 1},
		{"region": "", "order_id": 1},
		{"region": "eu", "order_id": 1, "note": long},
	} {
		raw, _ := json.Marshal(args)
		res := e.call(t, "order_created", string(raw))
		if !res.IsError {
			t.Errorf("%s: published", raw)
			continue
		}
		msg := text(res)
		if strings.Contains(msg, "PUB orders") || strings.Contains(msg, long) || strings.Contains(msg, `"ap"`) {
			t.Errorf("%s: the error repeats a value: %s", raw, msg)
		}
		if !strings.Contains(msg, `argument "region"`) && !strings.Contains(msg, "outside the subjects") &&
			!strings.Contains(msg, "over the limit") {
			t.Errorf("%s: unclear error %s", raw, msg)
		}
	}
	e.call(t, "order_created", `{"region":"us","order_id":2}`) // a marker: all before it has arrived
	eventually(t, "the marker", func() bool { return len(got()) > 0 })
	for _, m := range got() {
		if m.Subject != "orders.us.created" && !strings.HasPrefix(m.Subject, "$JS") && !strings.HasPrefix(m.Subject, "_INBOX") {
			t.Errorf("bad input published to %s", m.Subject)
		}
	}
}

func TestHealthCheckOverMCP(t *testing.T) {
	e := start(t)
	health := text(e.call(t, "health_check", `{}`))
	for _, want := range []string{"health: ok", "source bus: ping ok", "secret NATS_CRED (file): ok"} {
		if !strings.Contains(health, want) {
			t.Errorf("health_check lacks %q:\n%s", want, health)
		}
	}
	pw := canary(fmt.Sprintf("revoked-%s", e.user))
	e.canaries = append(e.canaries, pw)
	setPassword(t, e.user, pw) // the server drops the connection; the secret stays old
	eventually(t, "health to fail", func() bool {
		h := text(e.call(t, "health_check", `{}`))
		return strings.Contains(h, "health: failing") && strings.Contains(h, "source bus: ping failed")
	})
}

// A new password in the secret file reaches the source without a restart:
// the server admits it, the file changes, the source swaps, and the old
// password is revoked; publishing works throughout.
func TestRotationOverMCP(t *testing.T) {
	e := start(t)
	got := subscribe(t, "orders.>")
	next := e.user + "b"
	pw := canary("rotated-" + next)
	e.canaries = append(e.canaries, pw)
	setPassword(t, next, pw)
	write(t, filepath.Join(e.dir, "nats-cred.json"), credDoc(next, pw))
	eventually(t, "the swap", func() bool { return strings.Contains(text(e.call(t, "health_check", `{}`)), "last swap") })
	eventually(t, "the old connection to drain", func() bool { n, _ := srv.Clients(e.user); return n == 0 })
	setPassword(t, e.user, "")
	if res := e.call(t, "order_created", `{"region":"eu","order_id":3}`); res.IsError {
		t.Fatalf("after the rotation: %s", text(res))
	}
	eventually(t, "the message", func() bool { return len(got()) == 1 })
	if !strings.Contains(e.log.String(), "source credentials swapped") {
		t.Error("the swap was not logged: the leak check of the log would prove nothing")
	}
	if _, err := natsio.Connect(srv.URL(), natsio.UserInfo(e.user, e.password)); err == nil {
		t.Error("the old password still logs in")
	}
}

// A refused password stops the start with an error that shows neither
// the password nor the URL's userinfo, in the error or the log.
func TestRefusedPasswordAtStart(t *testing.T) {
	n := next()
	dir := t.TempDir()
	user, bad := fmt.Sprintf("hush%d", n), canary(fmt.Sprintf("wrong-%d", n))
	setPassword(t, user, canary(fmt.Sprintf("right-%d", n)))
	write(t, filepath.Join(dir, "nats-cred.json"), credDoc(user, bad))
	write(t, filepath.Join(dir, "hush.yaml"), fmt.Sprintf(hushYAML, srv.Addr(), fmt.Sprint(n)))
	cfg, err := config.Load(filepath.Join(dir, "hush.yaml"), kinds())
	if err != nil {
		t.Fatal(err)
	}
	logs := &leakBuf{}
	rt, err := boot.Start(t.Context(), cfg, boot.Options{Logger: logs.logger()})
	defer func() { _ = rt.Close() }()
	if err == nil || !strings.Contains(err.Error(), "credential rejected") {
		t.Fatalf("start with a wrong password: %v", strings.ReplaceAll(fmt.Sprint(err), bad, "[CANARY]"))
	}
	checkLeak(t, "start error", err.Error(), bad)
	checkLeak(t, "log", logs.String(), bad)
}
