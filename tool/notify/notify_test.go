package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
	"github.com/hushmcp/hush/source/webhook"
	"github.com/hushmcp/hush/source/webhook/webhooktest"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/notify"
)

const key = "canary-notify-signing-key-NOT-REAL"

var _ notify.Notifier = (*webhook.Source)(nil)

func kinds() config.Kinds {
	return config.Kinds{
		Sources:   source.NewRegistry(webhook.Kind),
		Tools:     tool.NewRegistry(notify.Kind),
		Providers: assembly.Providers(nil),
	}
}

func parseTool(entry string) (*config.Config, error) {
	return config.Parse("t.yaml", []byte(`
secrets:
  SIG: { from: env://SIG }
sources:
  hook: { kind: webhook, url: "https://hooks.example.com/x", secret: "${secret:SIG}" }
tools:
  page_oncall:
    kind: notify
    source: hook
    description: Page the on-call engineer.
`+entry), kinds())
}

func build(t *testing.T, entry string) (mcp.ToolHandler, *mcp.Tool, *webhooktest.Receiver) {
	t.Helper()
	r := webhooktest.New(t, key)
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: key})
	src, err := webhook.Open(t.Context(), webhook.Spec{
		Name: "hook", URL: r.URL, Origin: "http://" + r.Listener.Addr().String(),
		Secret: "${secret:" + sourcetest.CredSecret + "}", Timeout: 5 * time.Second,
	}, source.Env{Name: "hook", Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	cfg, err := parseTool(entry)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	mt, h, err := notify.Build(cfg.Tools[0], src, tool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h, mt, r
}

func call(t *testing.T, h mcp.ToolHandler, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := h(t.Context(), &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "t", Arguments: json.RawMessage(args)}})
	if err != nil {
		t.Fatal(err)
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

const pageTool = `
    event: oncall.page
    text: "{service} is down: {reason}"
    fields: [service, severity]
    max_per_minute: 2
    parameters:
      - { name: service, type: string, required: true }
      - { name: reason, type: string }
      - { name: severity, type: integer, default: 2 }
`

// The message holds the text and the chosen fields, signed; CR/LF and
// JSON syntax in a value stay data.
func TestNotifySends(t *testing.T) {
	h, mt, r := build(t, pageTool)
	res := call(t, h, `{"service":"db\r\nX-Evil: 1","reason":"\"}{"}`)
	if res.IsError || !strings.Contains(text(res), "notification delivered (id dlv_") {
		t.Fatalf("result: %s", text(res))
	}
	got := r.Accepted()
	d := got[len(got)-1]
	data, _ := d.Body["data"].(map[string]any)
	if d.Event != "oncall.page" || d.Body["text"] != "db\r\nX-Evil: 1 is down: \"}{" || data["service"] != "db\r\nX-Evil: 1" ||
		data["severity"] != float64(2) || data["reason"] != nil || d.Header.Get("X-Evil") != "" {
		t.Errorf("delivery %v", d.Body)
	}
	a := mt.Annotations
	if a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || !*a.OpenWorldHint {
		t.Errorf("annotations %+v", a)
	}
}

// Past the rate limit a call is refused and nothing is sent.
func TestRateLimit(t *testing.T) {
	h, _, r := build(t, pageTool)
	for range 2 {
		if res := call(t, h, `{"service":"a"}`); res.IsError {
			t.Fatal(text(res))
		}
	}
	before := len(r.Accepted())
	res := call(t, h, `{"service":"a"}`)
	if !res.IsError || !strings.Contains(text(res), "rate limit: at most 2 notifications a minute") {
		t.Errorf("third call: %s", text(res))
	}
	if len(r.Accepted()) != before {
		t.Error("a refused call was sent")
	}
}

func TestReceiverRefusal(t *testing.T) {
	h, _, r := build(t, "    event: fail\n")
	res := call(t, h, `{}`)
	if !res.IsError || !strings.Contains(text(res), "the receiver answered 500 Internal Server Error") {
		t.Errorf("failing receiver: %s", text(res))
	}
	r.SetKeys("canary-other-key-NOT-REAL")
	res = call(t, h, `{}`)
	if !res.IsError || !strings.Contains(text(res), "401") {
		t.Errorf("refused signature: %s", text(res))
	}
}

func TestBadArguments(t *testing.T) {
	h, _, r := build(t, pageTool)
	before := len(r.Accepted())
	if res := call(t, h, `{"service":1,"other":"x"}`); !res.IsError {
		t.Error("bad arguments accepted")
	}
	if len(r.Accepted()) != before {
		t.Error("a call with bad arguments was sent")
	}
}

func TestDecodeRefuses(t *testing.T) {
	if webhook.CapNotify != notify.Capability {
		t.Fatal("the webhook kind provides another capability than notify needs")
	}
	cases := []struct{ entry, want string }{
		{"    event: \"bad event\"\n", "must match"},
		{"    text: \"{nope}\"\n", `"nope" is not a declared parameter`},
		{"    text: \"{x\"\n", "{ without }"},
		{"    fields: [y]\n", `"y" is not a declared parameter`},
		{"    max_per_minute: 0\n", "max_per_minute"},
	}
	for _, c := range cases {
		_, err := parseTool(c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.entry, err, c.want)
		}
	}
}
