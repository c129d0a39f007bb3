package publish

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/nats"
	"github.com/hushmcp/hush/tool"
)

// fakePublisher records what it is asked to send.
type fakePublisher struct {
	mu   sync.Mutex
	sent []nats.Message
	err  error
}

func (f *fakePublisher) Publish(_ context.Context, m nats.Message) (nats.Ack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nats.Ack{}, f.err
	}
	f.sent = append(f.sent, m)
	return nats.Ack{Stream: "S", Sequence: uint64(len(f.sent))}, nil
}
func (f *fakePublisher) Ping(context.Context) error { return nil }
func (f *fakePublisher) State() source.State        { return source.State{Status: "ok"} }
func (f *fakePublisher) Close() error               { return nil }

func build(t *testing.T, cfg Config, f *fakePublisher) mcp.ToolHandler {
	t.Helper()
	spec := tool.Spec{Name: "order_event", Kind: KindName, Source: "bus", Config: cfg, Params: []tool.Param{
		{Name: "region", Type: "string", Required: true},
		{Name: "order_id", Type: "integer", Required: true},
		{Name: "note", Type: "string"},
	}}
	mt, h, err := Build(spec, f, tool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := mt.Annotations
	if a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || !*a.OpenWorldHint {
		t.Errorf("annotations %+v: want not read-only, not destructive, open world", a)
	}
	return h
}

func config(t *testing.T, subject string, allowed ...string) Config {
	t.Helper()
	s, err := ParseSubject(subject)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Subject: s, MaxPayloadBytes: 200}
	for _, a := range allowed {
		p, err := ParsePattern(a)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Allowed = append(cfg.Allowed, p)
	}
	return cfg
}

func call(t *testing.T, h mcp.ToolHandler, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := h(t.Context(), &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Arguments: json.RawMessage(args)}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPublishesTheBuiltMessage(t *testing.T) {
	f := &fakePublisher{}
	cfg := config(t, "orders.{region}.created", "orders.*.created")
	cfg.JetStream = true
	h := build(t, cfg, f)
	res := call(t, h, `{"region":"eu","order_id":7}`)
	if res.IsError {
		t.Fatalf("call: %v", res.GetError())
	}
	if len(f.sent) != 1 {
		t.Fatalf("%d messages sent", len(f.sent))
	}
	m := f.sent[0]
	if m.Subject != "orders.eu.created" || string(m.Data) != `{"order_id":7,"region":"eu"}` || !m.JetStream || len(m.MsgID) != 32 {
		t.Errorf("message %+v", m)
	}
	out := res.StructuredContent.(map[string]any)
	if out["published"] != true || out["stream"] != "S" || out["sequence"] != uint64(1) {
		t.Errorf("result %v", out)
	}
	call(t, h, `{"region":"eu","order_id":8}`)
	if f.sent[1].MsgID == m.MsgID {
		t.Error("two calls share a message id: the stream would drop the second")
	}
}

// Caller mistakes are tool errors that never repeat a value, and nothing
// is sent.
func TestBadInputSendsNothing(t *testing.T) {
	f := &fakePublisher{}
	cfg := config(t, "orders.{region}.created", "orders.eu.created", "orders.us.created")
	cfg.Payload = []string{"order_id", "note"}
	h := build(t, cfg, f)
	long := strings.Repeat("n", 300)
	for args, want := range map[string]string{
		`{"region":"ap","order_id":1}`:                       "outside the subjects",
		`{"region":"eu.us","order_id":1}`:                    `argument "region"`,
		`{"region":"*","order_id":1}`:                        `argument "region"`,
		`{"region":">","order_id":1}`:                        `argument "region"`,
		`{"region":"eu\r\nPUB evil 1","order_id":1}`:         `argument "region"`,
		`{"region":"","order_id":1}`:                         `argument "region"`,
		`{"region":"eu","order_id":1,"note":"` + long + `"}`: "over the limit of 200",
		`{"region":"eu"}`:                                    `argument "order_id": missing`,
		`{"region":"eu","order_id":"x"}`:                     `argument "order_id": must be an integer`,
	} {
		res := call(t, h, args)
		if !res.IsError || !tool.IsUser(res.GetError()) || !strings.Contains(res.GetError().Error(), want) {
			t.Errorf("%s: %v, want a tool error about %s", args, res.GetError(), want)
			continue
		}
		for _, v := range []string{"ap", "PUB evil", long} {
			if strings.Contains(res.GetError().Error(), v) {
				t.Errorf("%s: the error repeats a value: %v", args, res.GetError())
			}
		}
	}
	if len(f.sent) != 0 {
		t.Errorf("%d messages sent on bad input", len(f.sent))
	}
	res := call(t, h, `{"region":"us","order_id":1,"note":"ok"}`)
	if res.IsError || string(f.sent[0].Data) != `{"note":"ok","order_id":1}` {
		t.Errorf("payload holds only the listed parameters: %v (%v)", f.sent, res.GetError())
	}
}

func TestSourceErrors(t *testing.T) {
	for err, want := range map[error]string{
		nats.ErrUncertain: "may or may not have been delivered",
		nats.ErrNoStream:  "no JetStream stream",
		nats.ErrTooLarge:  "larger than the server accepts",
	} {
		f := &fakePublisher{err: err}
		res := call(t, build(t, config(t, "a.b", "a.b"), f), `{"region":"x","order_id":1}`)
		if !res.IsError || !tool.IsUser(res.GetError()) || !strings.Contains(res.GetError().Error(), want) {
			t.Errorf("%v: %v", err, res.GetError())
		}
	}
	f := &fakePublisher{err: errors.New("credential rejected")}
	res := call(t, build(t, config(t, "a.b", "a.b"), f), `{"region":"x","order_id":1}`)
	if !res.IsError || tool.IsUser(res.GetError()) {
		t.Errorf("a credential problem must not be shown to the caller: %v", res.GetError())
	}
}
