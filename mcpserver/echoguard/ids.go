package echoguard

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Ids come back as sent. The go-sdk decodes numeric ids as float64 and
// converts them to int64, so a numeric id it would not send back as it got
// it is refused before the SDK sees it, over any transport.

// Rejection is the error answer to a message the SDK must not see. Its
// Message must quote nothing of the message; ID is the only part of it
// sent back.
type Rejection struct {
	Code    int64
	Message string
	ID      json.RawMessage // as sent; nil: null
}

// Reply is the JSON-RPC error response for r, one line ending in a newline.
func (r *Rejection) Reply() []byte {
	id := r.ID
	if id == nil {
		id = json.RawMessage("null")
	}
	b, _ := marshal(wireResponse{JSONRPC: "2.0", ID: id, Error: &wireError{Code: r.Code, Message: r.Message}})
	return append(b, '\n')
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
func inexactID(body []byte) *Rejection {
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
		if rej := CheckID(m); rej != nil {
			return rej
		}
	}
	return nil
}

// CheckID returns the rejection for msg's id, msg being one JSON-RPC
// message, when it is a number the SDK would not send back as sent; nil
// otherwise, and for anything that is not a message with an id.
func CheckID(msg []byte) *Rejection {
	var env struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(msg, &env) != nil || len(env.ID) == 0 || !isNumber(env.ID) || exactID(env.ID) {
		return nil
	}
	return &Rejection{Code: jsonrpc.CodeInvalidRequest, ID: env.ID,
		Message: "invalid request: a numeric id must be an integer between -(2^53-1) and 2^53-1"}
}

func isNumber(raw json.RawMessage) bool {
	c := raw[0]
	return c == '-' || (c >= '0' && c <= '9')
}
