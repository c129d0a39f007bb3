package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/redact"
)

// withheld replaces a value that could not be redacted in place.
const withheld = `"[REDACTED]"`

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
		out.StructuredContent = redactJSON(r, res.StructuredContent)
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

// redactJSON marshals v and redacts the JSON text. When a secret matched
// across JSON syntax (a bare number, say) the text is no longer valid JSON;
// then each value is redacted on its own.
func redactJSON(r *redact.Redactor, v any) json.RawMessage {
	b, err := marshal(v)
	if err != nil {
		return json.RawMessage(withheld)
	}
	if red := r.Redact(b); json.Valid(red) {
		return red
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if dec.Decode(&tree) != nil {
		return json.RawMessage(withheld)
	}
	b, err = marshal(redactTree(r, tree))
	if red := r.Redact(b); err == nil && json.Valid(red) {
		return red
	}
	return json.RawMessage(withheld)
}

// redactTree redacts every string and number in a decoded JSON value. A
// number that held a secret becomes the placeholder string.
func redactTree(r *redact.Redactor, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.RedactString(k)] = redactTree(r, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactTree(r, e)
		}
		return out
	case string:
		return r.RedactString(x)
	case json.Number:
		if s := r.RedactString(string(x)); s != string(x) {
			return s
		}
	}
	return v
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

// marshal encodes v without HTML escaping, as the SDK's own encoder does,
// so the client receives the same text the redactor checked.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// redactMessage redacts one JSON-RPC message or batch except its ids. An
// id is the client's own bytes, sent back so that it can match the answer:
// redacting it would break the match, and would tell the client that its id
// equals a secret. Anything that is not a JSON object or array is redacted
// whole.
func redactMessage(r *redact.Redactor, msg []byte) []byte {
	out := r.Redact(msg)
	if bytes.Equal(out, msg) {
		return msg
	}
	var kept []byte
	switch t := bytes.TrimSpace(msg); {
	case len(t) > 0 && t[0] == '{':
		kept = redactObject(r, t)
	case len(t) > 0 && t[0] == '[':
		kept = redactBatch(r, t)
	}
	if kept == nil {
		return out
	}
	return kept
}

func redactBatch(r *redact.Redactor, b []byte) []byte {
	var batch []json.RawMessage
	if json.Unmarshal(b, &batch) != nil {
		return nil
	}
	out := []byte{'['}
	for i, m := range batch {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, redactMessage(r, m)...)
	}
	return append(out, ']')
}

// redactObject redacts every member of JSON object b but "id", keeping the
// members' order. It returns nil when b is not a JSON object.
func redactObject(r *redact.Redactor, b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	out := []byte{'{'}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return nil
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := marshal(r.RedactString(key))
		out = append(append(out, k...), ':')
		if key != "id" {
			v = redactValue(r, v)
		}
		out = append(out, v...)
	}
	return append(out, '}')
}

// redactValue redacts one JSON value, keeping it valid JSON.
func redactValue(r *redact.Redactor, v json.RawMessage) json.RawMessage {
	if red := r.Redact(v); json.Valid(red) {
		return red
	}
	return redactJSON(r, v)
}
