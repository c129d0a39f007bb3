package mcpserver

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/hushmcp/hush/redact"
)

// This file holds the checks Hush makes on JSON-RPC messages at the
// transport, around the go-sdk: what the SDK would mishandle never reaches
// it, and what it gets wrong on the way out is put right.

// maxDepth is the go-sdk's nesting limit; a deeper message fails its
// decoder, which over stdio ends the connection.
const maxDepth = 1000

// rejection is the error answer to a message the SDK must not see.
type rejection struct {
	code int64
	msg  string
	id   json.RawMessage // as sent; nil: null
}

// reply is the JSON-RPC error response for r, one line.
func (r *rejection) reply() []byte {
	id := r.id
	if id == nil {
		id = json.RawMessage("null")
	}
	b, _ := marshal(wireResponse{JSONRPC: "2.0", ID: id, Error: &wireError{Code: r.code, Message: r.msg}})
	return append(b, '\n')
}

// vetLine decides what happens to one stdin line: passed to the SDK (ok),
// answered with an error, or skipped (blank). An answer quotes nothing of
// the line but a numeric id.
func vetLine(line []byte, tooLong bool) (ok bool, answer []byte) {
	line = bytes.TrimSpace(line)
	var rej *rejection
	switch {
	case tooLong:
		rej = &rejection{code: jsonrpc.CodeParseError, msg: "parse error: the line is longer than the limit"}
	case len(line) == 0:
		return false, nil
	case line[0] == '[':
		rej = vetBatch(line)
	default:
		rej = vetMessage(line)
	}
	if rej != nil {
		return false, rej.reply()
	}
	return true, nil
}

// vetBatch refuses every batch. Batches left the protocol in 2025-06-18,
// and the SDK ends the connection on one sent after that version was
// negotiated.
func vetBatch(line []byte) *rejection {
	if !json.Valid(line) {
		return parseError()
	}
	return &rejection{code: jsonrpc.CodeInvalidRequest, msg: "invalid request: batches are not supported"}
}

func parseError() *rejection {
	return &rejection{code: jsonrpc.CodeParseError, msg: "parse error: the message is not valid JSON"}
}

// vetMessage returns why msg, one JSON value, must not reach the SDK, or
// nil.
func vetMessage(msg []byte) *rejection {
	if !json.Valid(msg) {
		return parseError()
	}
	if depth(msg) > maxDepth {
		return &rejection{code: jsonrpc.CodeParseError, msg: "parse error: the message is nested too deeply"}
	}
	if rej := idRejection(msg); rej != nil {
		return rej
	}
	if _, err := jsonrpc.DecodeMessage(msg); err != nil {
		return &rejection{code: jsonrpc.CodeInvalidRequest, msg: "invalid request: not a JSON-RPC 2.0 message"}
	}
	return nil
}

// integer is a JSON integer without exponent, fraction or minus zero: the
// only numbers the SDK sends back with the bytes it got.
var integer = regexp.MustCompile(`^(0|-?[1-9][0-9]{0,15})$`)

const maxExactID = 1<<53 - 1

// exactID reports whether the SDK returns the numeric id raw as sent. It
// decodes ids as float64 and converts them to int64, so 1.5 comes back as
// 1, 1e40 as a negative number, and integers past 2^53 rounded.
func exactID(raw json.RawMessage) bool {
	if !integer.Match(raw) {
		return false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return err == nil && n >= -maxExactID && n <= maxExactID
}

// inexactID returns the rejection for the first message in body, a
// message or a batch, whose numeric id the SDK would not send back as
// sent; nil if there is none. Anything else wrong with body is left to the
// SDK, which over HTTP answers it without harm.
func inexactID(body []byte) *rejection {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil
	}
	var msgs []json.RawMessage
	if t[0] == '{' {
		msgs = []json.RawMessage{t}
	} else if json.Unmarshal(t, &msgs) != nil {
		return nil
	}
	for _, m := range msgs {
		if rej := idRejection(m); rej != nil {
			return rej
		}
	}
	return nil
}

// idRejection returns the rejection for msg's id when it is a number the
// SDK would corrupt.
func idRejection(msg []byte) *rejection {
	var env struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(msg, &env) != nil || len(env.ID) == 0 || !isNumber(env.ID) || exactID(env.ID) {
		return nil
	}
	return &rejection{code: jsonrpc.CodeInvalidRequest, id: env.ID,
		msg: "invalid request: a numeric id must be an integer between -(2^53-1) and 2^53-1"}
}

func isNumber(raw json.RawMessage) bool {
	c := raw[0]
	return c == '-' || (c >= '0' && c <= '9')
}

// depth is the deepest nesting of arrays and objects in valid JSON b.
func depth(b []byte) int {
	d, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			d++
			deepest = max(deepest, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return deepest
}

// outgoing prepares one JSON-RPC message or batch the SDK sent: errors get
// a proper code, and everything but the ids passes the redactor.
func outgoing(red *redact.Redactor, msg []byte) []byte {
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
