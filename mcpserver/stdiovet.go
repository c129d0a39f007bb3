package mcpserver

import (
	"bytes"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/hushmcp/hush/mcpserver/echoguard"
)

// This file holds the checks on stdin lines: what the SDK's stdio
// connection would end on never reaches it. The id check is shared with
// HTTP (echoguard.CheckID).

// maxDepth is the go-sdk's nesting limit; a deeper message fails its
// decoder, which over stdio ends the connection.
const maxDepth = 1000

// vetLine decides what happens to one stdin line: passed to the SDK (ok),
// answered with an error, or skipped (blank). An answer quotes nothing of
// the line but a numeric id.
func vetLine(line []byte, tooLong bool) (ok bool, answer []byte) {
	line = bytes.TrimSpace(line)
	var rej *echoguard.Rejection
	switch {
	case tooLong:
		rej = &echoguard.Rejection{Code: jsonrpc.CodeParseError, Message: "parse error: the line is longer than the limit"}
	case len(line) == 0:
		return false, nil
	case line[0] == '[':
		rej = vetBatch(line)
	default:
		rej = vetMessage(line)
	}
	if rej != nil {
		return false, rej.Reply()
	}
	return true, nil
}

// vetBatch refuses every batch. Batches left the protocol in 2025-06-18,
// and the SDK ends the connection on one sent after that version was
// negotiated.
func vetBatch(line []byte) *echoguard.Rejection {
	if !json.Valid(line) {
		return parseError()
	}
	return &echoguard.Rejection{Code: jsonrpc.CodeInvalidRequest, Message: "invalid request: batches are not supported"}
}

func parseError() *echoguard.Rejection {
	return &echoguard.Rejection{Code: jsonrpc.CodeParseError, Message: "parse error: the message is not valid JSON"}
}

// vetMessage returns why msg, one JSON value, must not reach the SDK, or
// nil.
func vetMessage(msg []byte) *echoguard.Rejection {
	if !json.Valid(msg) {
		return parseError()
	}
	if depth(msg) > maxDepth {
		return &echoguard.Rejection{Code: jsonrpc.CodeParseError, Message: "parse error: the message is nested too deeply"}
	}
	if rej := echoguard.CheckID(msg); rej != nil {
		return rej
	}
	if _, err := jsonrpc.DecodeMessage(msg); err != nil {
		return &echoguard.Rejection{Code: jsonrpc.CodeInvalidRequest, Message: "invalid request: not a JSON-RPC 2.0 message"}
	}
	return nil
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
