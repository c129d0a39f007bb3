package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/redact"
)

func newRedactor(values ...string) *redact.Redactor {
	r := redact.New(redact.Options{})
	var bs [][]byte
	for _, v := range values {
		bs = append(bs, []byte(v))
	}
	r.Update(bs)
	return r
}

func TestRedactToolResultKeepsError(t *testing.T) {
	r := newRedactor(canaryDB)
	cause := errors.New("dial: password " + canaryDB)
	res := &mcp.CallToolResult{StructuredContent: map[string]string{"v": canaryDB}}
	res.SetError(cause)
	out := redactToolResult(r, res)
	if out.GetError() != cause || !out.IsError {
		t.Error("redacted copy lost the recorded error")
	}
	if got := out.Content[0].(*mcp.TextContent).Text; got != "dial: password [REDACTED]" {
		t.Errorf("text = %q", got)
	}
	if got := string(out.StructuredContent.(json.RawMessage)); got != `{"v":"[REDACTED]"}` {
		t.Errorf("structured = %s", got)
	}
	if res.Content[0].(*mcp.TextContent).Text == out.Content[0].(*mcp.TextContent).Text {
		t.Error("the handler's result was modified in place instead of copied")
	}
}

func TestRedactError(t *testing.T) {
	r := newRedactor(canaryDB)
	rpc := redactError(r, &jsonrpc.Error{Code: 7, Message: "bad " + canaryDB, Data: json.RawMessage(`{"x":"` + canaryDB + `"}`)})
	var got *jsonrpc.Error
	if !errors.As(rpc, &got) || got.Code != 7 || got.Message != "bad [REDACTED]" || string(got.Data) != `{"x":"[REDACTED]"}` {
		t.Errorf("jsonrpc error = %+v", rpc)
	}
	plain := redactError(r, context.DeadlineExceeded)
	if !errors.Is(plain, context.DeadlineExceeded) {
		t.Error("redacted error lost its identity")
	}
	if msg := redactError(r, errors.New("x "+canaryDB)).Error(); msg != "x [REDACTED]" {
		t.Errorf("plain error = %q", msg)
	}
}

func TestRedactsEveryMethodResult(t *testing.T) {
	h := newHarness(t, func(c *config.Config, _ *Deps) {
		c.Tools[1].Description = "Echo; never say " + canaryDB
	})
	res, err := h.inMemory().ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Name == "echo" && !strings.Contains(tl.Description, "[REDACTED]") {
			t.Errorf("description = %q", tl.Description)
		}
	}
}
