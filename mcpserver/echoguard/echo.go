package echoguard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/redact"
)

// The echo rule: a JSON-RPC error that echoes the request gets a fixed
// message for its code, and a plain-text error body a fixed text for its
// status.

// gram is the length of a shared byte run that counts as an echo.
const gram = 8

// echoMarkers appear in the SDK's messages that quote client input.
var echoMarkers = []string{"unmarshal", "not handled"}

// echoSource is what a client controlled in one HTTP request: the body and
// the header values. Its zero value holds nothing.
type echoSource struct {
	body  []byte
	req   *http.Request
	red   *redact.Redactor // nil: structural patterns only
	parts [][]byte         // built on first use: only the error path needs it
}

func (s *echoSource) all() [][]byte {
	if s.parts != nil {
		return s.parts
	}
	s.parts = [][]byte{s.body}
	if s.req == nil {
		return s.parts
	}
	s.parts = append(s.parts, []byte(s.req.Host), []byte(s.req.URL.RawQuery))
	for _, vs := range s.req.Header {
		for _, v := range vs {
			s.parts = append(s.parts, []byte(v))
		}
	}
	return s.parts
}

// gramSet holds the gram-byte runs of up to 8 texts, each run tagged with
// a bit per text it occurs in. A bitset filters most lookups before the map.
type gramSet struct {
	tags   map[uint64]uint8
	filter [1024]uint64 // 65536 bits
}

func gramHash(g uint64) uint64 { return (g * 0x9E3779B97F4A7C15) >> 48 }

func newGramSet(texts ...string) *gramSet {
	s := &gramSet{tags: map[uint64]uint8{}}
	for i, t := range texts {
		var g uint64
		for j := 0; j < len(t); j++ {
			g = g<<8 | uint64(t[j])
			if j >= gram-1 {
				s.tags[g] |= 1 << i
				h := gramHash(g)
				s.filter[h/64] |= 1 << (h % 64)
			}
		}
	}
	return s
}

// match returns the tags of the texts that share a run with any of parts.
func (s *gramSet) match(parts [][]byte) uint8 {
	var found uint8
	for _, p := range parts {
		var g uint64
		for j, c := range p {
			g = g<<8 | uint64(c)
			if j < gram-1 {
				continue
			}
			if h := gramHash(g); s.filter[h/64]&(1<<(h%64)) != 0 {
				found |= s.tags[g]
			}
		}
	}
	return found
}

func hasEchoMarker(msg string) bool {
	for _, m := range echoMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// wireResponse is a JSON-RPC response as far as the echo rule needs it.
type wireResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *wireError      `json:"error,omitempty"`
}

type wireError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

var errorKey = []byte(`"error"`)

// isErrorResponse reports whether msg is one JSON-RPC error response.
func isErrorResponse(msg []byte) bool {
	var m wireResponse
	return json.Unmarshal(msg, &m) == nil && m.Error != nil
}

// sanitiseMessage applies the echo rule to one JSON-RPC message or batch.
// It returns msg itself when nothing echoes the request.
func sanitiseMessage(msg []byte, src *echoSource) []byte {
	if !bytes.Contains(msg, errorKey) {
		return msg
	}
	if t := bytes.TrimLeft(msg, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return sanitiseBatch(msg, src)
	}
	var m wireResponse
	if json.Unmarshal(msg, &m) != nil || m.Error == nil {
		return msg
	}
	fixed, changed := sanitiseError(m.Error, src)
	if !changed {
		return msg
	}
	m.Error = fixed
	out, err := marshal(m)
	if err != nil {
		return msg
	}
	return out
}

func sanitiseBatch(msg []byte, src *echoSource) []byte {
	var batch []json.RawMessage
	if json.Unmarshal(msg, &batch) != nil {
		return msg
	}
	changed := false
	for i, m := range batch {
		if out := sanitiseMessage(m, src); !bytes.Equal(out, m) {
			batch[i], changed = out, true
		}
	}
	if !changed {
		return msg
	}
	out, err := marshal(batch)
	if err != nil {
		return msg
	}
	return out
}

// sanitiseError replaces a message that echoes the request with the fixed
// message for its code, and data that echoes it with fixed data (usually
// none).
//
// The message is redacted first, as it will be on its way out: a secret
// quoted whole becomes the placeholder and is no echo, so an error of our
// own naming a redacted value still gets through.
func sanitiseError(e *wireError, src *echoSource) (*wireError, bool) {
	msg := src.red.RedactString(e.Message)
	tags := newGramSet(msg, string(e.Data)).match(src.all())
	msgEcho := (tags&1 != 0 || hasEchoMarker(msg)) && !constantMessages[msg]
	dataEcho := tags&2 != 0 || hasEchoMarker(string(e.Data))
	if !msgEcho && !dataEcho {
		return e, false
	}
	out := *e
	if msgEcho {
		out.Message = fixedMessage(e.Code, e.Message)
	}
	if dataEcho {
		out.Data = fixedData(e.Code, e.Data)
	}
	return &out, true
}

// constantMessages are SDK messages made of constants only: they name a
// field the request lacks, so they share bytes with requests that do send
// it, yet quote nothing a client chose. They are kept as they are.
var constantMessages = map[string]bool{
	fmt.Sprintf("invalid _meta field %q", mcp.MetaKeyClientInfo):                                                true,
	fmt.Sprintf("missing or invalid _meta field %q", mcp.MetaKeyClientCapabilities):                             true,
	fmt.Sprintf("missing or invalid _meta field %q", mcp.MetaKeyProtocolVersion):                                true,
	fmt.Sprintf("Mcp-Protocol-Version header is required for requests carrying %q", mcp.MetaKeyProtocolVersion): true,
	"unsupported protocol version": true,
}

// fixedMessage is the message sent instead of one that echoed the request.
// The original picks among fixed texts only; none of its bytes are kept.
func fixedMessage(code int64, orig string) string {
	switch code {
	case jsonrpc.CodeParseError:
		return "parse error"
	case jsonrpc.CodeMethodNotFound:
		return "method not found"
	case jsonrpc.CodeInvalidParams:
		if strings.HasPrefix(orig, "unknown tool") {
			return "unknown tool"
		}
		return "invalid params: the parameters do not match the method's schema"
	case jsonrpc.CodeInternalError:
		return "internal error"
	case mcp.CodeHeaderMismatch:
		return "header mismatch: the Mcp-* headers do not match the request"
	case mcp.CodeUnsupportedProtocolVersion:
		return "unsupported protocol version"
	}
	if strings.Contains(orig, "not handled") {
		return "method not found"
	}
	return "invalid request"
}

var versionShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// fixedData keeps what a client needs to negotiate a protocol version (the
// server's versions, and the requested one if it looks like a version);
// any other data that echoed the request is dropped.
func fixedData(code int64, data json.RawMessage) json.RawMessage {
	var v mcp.UnsupportedProtocolVersionData
	if code != mcp.CodeUnsupportedProtocolVersion || json.Unmarshal(data, &v) != nil {
		return nil
	}
	keep := mcp.UnsupportedProtocolVersionData{}
	for _, s := range v.Supported {
		if versionShape.MatchString(s) {
			keep.Supported = append(keep.Supported, s)
		}
	}
	if versionShape.MatchString(v.Requested) {
		keep.Requested = v.Requested
	}
	out, err := marshal(keep)
	if err != nil {
		return nil
	}
	return out
}

// plainText maps the go-sdk's plain-text error bodies, by how they start,
// to fixed texts of ours.
var plainText = []struct{ prefix, text string }{
	{"malformed payload", "Bad Request: malformed payload: the body is not a JSON-RPC message"},
	{"Accept must contain both", "Bad Request: Accept must contain both application/json and text/event-stream"},
	{"Accept must contain 'text/event-stream'", "Bad Request: Accept must contain text/event-stream for GET requests"},
	{"Content-Type must be", "Unsupported Media Type: Content-Type must be application/json"},
	{"Bad Request: Unsupported protocol version", "Bad Request: unsupported Mcp-Protocol-Version header"},
	{"Bad Request: GET requires", "Bad Request: GET requires an Mcp-Session-Id header"},
	{"Bad Request: DELETE requires", "Bad Request: DELETE requires an Mcp-Session-Id header"},
	{"malformed Last-Event-ID", "Bad Request: malformed Last-Event-ID header"},
	{"stream replay unsupported", "Bad Request: stream replay is not supported"},
	{"can't send Last-Event-ID", "Bad Request: Last-Event-ID is not allowed on POST"},
	{"POST requires a non-empty body", "Bad Request: POST requires a non-empty body"},
	{"JSON-RPC batching is not supported", "Bad Request: JSON-RPC batches are not supported in this protocol version"},
	{"JSON RPC not handled", "Bad Request: method not found"},
	{"invalid request", "Bad Request: invalid JSON-RPC request"},
	{"Forbidden: invalid Host header", "Forbidden: invalid Host header (DNS rebinding protection)"},
	{"session user mismatch", "Forbidden: the session belongs to another user"},
	{"session not found", "Not Found: session not found"},
	{"session is closing", "Not Found: session is closing"},
	{"request body exceeds", bodyTooLarge},
	{"stream ID conflicts", "Conflict: the stream is already being read"},
}

const bodyTooLarge = "Request Entity Too Large: the request body exceeds the server's limit"

// statusHint completes http.StatusText for a status without a known cause.
var statusHint = map[int]string{
	http.StatusBadRequest:           "the request is not a valid MCP request",
	http.StatusForbidden:            "the request was refused",
	http.StatusNotFound:             "no such session",
	http.StatusMethodNotAllowed:     "use POST, or GET or DELETE with a session",
	http.StatusUnsupportedMediaType: "Content-Type must be application/json",
}

// fixedPlainText is the body sent instead of the SDK's plain-text error
// body orig for status.
func fixedPlainText(status int, orig []byte) string {
	for _, p := range plainText {
		if bytes.HasPrefix(orig, []byte(p.prefix)) {
			return p.text
		}
	}
	hint, ok := statusHint[status]
	if !ok {
		hint = "the request could not be served"
	}
	return http.StatusText(status) + ": " + hint
}
