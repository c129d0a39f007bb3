package echoguard

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/hushmcp/hush/redact"
)

// Outgoing prepares one JSON-RPC message or batch the SDK sent, for any
// transport: errors the SDK sent with code 0 get a proper code, and
// everything but the ids passes red. A msg that is not JSON is redacted
// whole. It returns msg itself when nothing changed.
func Outgoing(red *redact.Redactor, msg []byte) []byte {
	return redactMessage(red, fixCodes(msg))
}

var zeroCode = []byte(`"code":0`)

// fixCodes gives a code to errors the SDK sends with code 0: it does so for
// plain Go errors, such as a second initialize or a request before
// initialization. Those are lifecycle violations (Invalid Request); any
// other becomes Internal Error.
func fixCodes(msg []byte) []byte {
	if !bytes.Contains(msg, zeroCode) {
		return msg
	}
	var m wireResponse
	if json.Unmarshal(msg, &m) != nil || m.Error == nil || m.Error.Code != 0 {
		return msg
	}
	m.Error.Code = jsonrpc.CodeInternalError
	if lifecycle(m.Error.Message) {
		m.Error.Code = jsonrpc.CodeInvalidRequest
	}
	out, err := marshal(m)
	if err != nil {
		return msg
	}
	return out
}

// lifecycle reports whether a code-0 message is a lifecycle violation: the
// SDK's own texts, or the fixed text the echo guard put in their place.
func lifecycle(msg string) bool {
	return strings.Contains(msg, "initializ") || strings.HasPrefix(msg, "invalid request")
}

// withheld replaces a value that could not be redacted in place: the
// redactor's placeholder as a JSON string.
const withheld = `"` + redact.Placeholder + `"`

// RedactJSON marshals v and redacts the JSON text, keeping it valid JSON:
// when a secret matched across JSON syntax (a bare number, say) the text
// is no longer valid JSON, and then each value is redacted on its own. A
// value that cannot be marshalled or redacted so becomes the placeholder.
// The MCP layer uses it for structured tool results.
func RedactJSON(r *redact.Redactor, v any) json.RawMessage {
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
	return RedactJSON(r, v)
}
