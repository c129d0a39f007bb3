package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/mcpserver/echoguard"
	"github.com/hushmcp/hush/redact"
)

// redactCalls passes every result and error of every method through the
// redactor: tool text and structured content, error text, and JSON-RPC
// error messages and data.
func (s *Server) redactCalls(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		err = redactError(s.deps.Redactor, err)
		res, ok := redactResult(s.deps.Redactor, res)
		if !ok {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "result withheld: it could not be redacted"}
		}
		return res, err
	}
}

// redactResult returns a redacted res, or false when res changed under
// redaction but could not be rebuilt.
func redactResult(r *redact.Redactor, res mcp.Result) (mcp.Result, bool) {
	if v := reflect.ValueOf(res); !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return res, true
	}
	if tr, ok := res.(*mcp.CallToolResult); ok {
		return redactToolResult(r, tr), true
	}
	return redactGeneric(r, res)
}

// redactToolResult returns a redacted copy of res. The copy keeps the error
// recorded by SetError for server-side use.
func redactToolResult(r *redact.Redactor, res *mcp.CallToolResult) *mcp.CallToolResult {
	out := *res
	out.Content = make([]mcp.Content, len(res.Content))
	for i, c := range res.Content {
		out.Content[i] = redactContent(r, c)
	}
	if res.StructuredContent != nil {
		out.StructuredContent = echoguard.RedactJSON(r, res.StructuredContent)
	}
	return &out
}

func redactContent(r *redact.Redactor, c mcp.Content) mcp.Content {
	if tc, ok := c.(*mcp.TextContent); ok {
		cp := *tc
		cp.Text = r.RedactString(tc.Text)
		return &cp
	}
	b, err := json.Marshal(c)
	if err != nil {
		return &mcp.TextContent{Text: "[content withheld]"}
	}
	red := r.Redact(b)
	if bytes.Equal(red, b) {
		return c
	}
	fresh := reflect.New(reflect.TypeOf(c).Elem()).Interface()
	if json.Unmarshal(red, fresh) != nil {
		return &mcp.TextContent{Text: "[content withheld]"}
	}
	return fresh.(mcp.Content)
}

// redactGeneric redacts any other result through its JSON form, decoding
// into a fresh value of the same type only when something changed.
func redactGeneric(r *redact.Redactor, res mcp.Result) (mcp.Result, bool) {
	b, err := json.Marshal(res)
	if err != nil {
		return nil, false
	}
	red := r.Redact(b)
	if bytes.Equal(red, b) {
		return res, true
	}
	fresh, ok := reflect.New(reflect.TypeOf(res).Elem()).Interface().(mcp.Result)
	if !ok || !json.Valid(red) || json.Unmarshal(red, fresh) != nil {
		return nil, false
	}
	return fresh, true
}

// redactError returns err with a redacted message. A JSON-RPC error keeps
// its code; its message and data are redacted.
func redactError(r *redact.Redactor, err error) error {
	if err == nil {
		return nil
	}
	if rpc, ok := err.(*jsonrpc.Error); ok {
		out := &jsonrpc.Error{Code: rpc.Code, Message: r.RedactString(rpc.Message)}
		if len(rpc.Data) > 0 {
			if red := r.Redact(rpc.Data); json.Valid(red) {
				out.Data = red
			}
		}
		return out
	}
	return &redactedError{msg: r.RedactString(err.Error()), err: err}
}

// redactedError shows a redacted message. It unwraps to the original so
// that errors.Is (context errors) and the JSON-RPC code still work; the SDK
// sends only the outer message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
