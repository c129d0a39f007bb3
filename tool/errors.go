package tool

import (
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// UserError is an error written for the caller of a tool (the model): it
// says what to change and carries no internal detail. The server sends its
// text to the client (after redaction); any other error a tool reports is
// replaced by a generic message with an incident id.
type UserError struct {
	msg string
	err error
}

// Userf formats a UserError. A %w verb wraps its operand, so errors.Is and
// errors.As see through it.
func Userf(format string, args ...any) error {
	e := fmt.Errorf(format, args...)
	return &UserError{msg: e.Error(), err: errors.Unwrap(e)}
}

func (e *UserError) Error() string { return e.msg }

// Unwrap returns the wrapped error, if any.
func (e *UserError) Unwrap() error { return e.err }

// IsUser reports whether err is, or wraps, a UserError.
func IsUser(err error) bool {
	var u *UserError
	return errors.As(err, &u)
}

// ErrorResult is a tool result reporting err. The result keeps err for
// middleware (CallToolResult.GetError), which decides what the client sees.
func ErrorResult(err error) *mcp.CallToolResult {
	res := &mcp.CallToolResult{}
	res.SetError(err)
	return res
}
