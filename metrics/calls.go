package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/tool"
)

// UnknownTool is the tool label of a call naming a tool that is not
// configured: the name a client sends is never a label value.
const UnknownTool = "(unknown)"

// The outcomes of a tool call.
const (
	OutcomeOK          = "ok"                // a result without IsError
	OutcomeToolError   = "tool_error"        // a result with IsError: the tool or its source failed
	OutcomeInvalidArgs = "invalid_arguments" // refused by the tool's argument check, before any source was used
	OutcomeTimeout     = "timeout"           // an error once the call's deadline had passed
	OutcomePanic       = "panic"             // the handler panicked
	OutcomeRefused     = "refused"           // a JSON-RPC error instead of a result: unknown tool, bad params
)

var outcomes = []string{OutcomeOK, OutcomeToolError, OutcomeInvalidArgs, OutcomeTimeout, OutcomePanic, OutcomeRefused}

// Middleware counts tools/call requests by tool and outcome and observes
// their latency; other methods pass untouched. tools are the names that
// may appear as labels, each counted from zero at once.
//
// Register it innermost (after the per-call deadline), so it sees the
// handler's own result before errors are sanitised and the deadline that
// bounded the call. A panic is counted and goes on to the recovering
// middleware outside.
func (m *Metrics) Middleware(tools []string) mcp.Middleware {
	known := make(map[string]bool, len(tools))
	for _, t := range tools {
		known[t] = true
		for _, o := range outcomes {
			m.calls.WithLabelValues(t, o)
		}
		m.latency.WithLabelValues(t)
	}
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			p, ok := req.GetParams().(*mcp.CallToolParamsRaw)
			if method != "tools/call" || !ok || p == nil {
				return next(ctx, method, req)
			}
			name := p.Name
			if !known[name] {
				name = UnknownTool
			}
			return m.observe(ctx, name, func() (mcp.Result, error) { return next(ctx, method, req) })
		}
	}
}

// observe runs call and records it under tool. A panic is recorded and
// not recovered: the deferred function sees only that call never returned.
func (m *Metrics) observe(ctx context.Context, tool string, call func() (mcp.Result, error)) (res mcp.Result, err error) {
	start := time.Now()
	returned := false
	defer func() {
		outcome := OutcomePanic
		if returned {
			outcome = Outcome(ctx, res, err)
		}
		m.calls.WithLabelValues(tool, outcome).Inc()
		m.latency.WithLabelValues(tool).Observe(time.Since(start).Seconds())
	}()
	res, err = call()
	returned = true
	return res, err
}

// Outcome classifies a tools/call answer; ctx is the call's context, with
// its deadline. It never looks at argument values, only at the kind of
// error and the fixed prefix of the argument check's message.
func Outcome(ctx context.Context, res mcp.Result, err error) string {
	r, _ := res.(*mcp.CallToolResult)
	failed := err != nil || (r != nil && r.IsError)
	var rpcErr *jsonrpc.Error
	switch {
	case !failed:
		return OutcomeOK
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.As(err, &rpcErr):
		return OutcomeRefused
	case err != nil:
		return OutcomeToolError
	case invalidArgs(r.GetError()):
		return OutcomeInvalidArgs
	}
	return OutcomeToolError
}

// invalidArgs reports a caller mistake found by the tool's argument check
// (tool.Params.Bind): a UserError whose text starts "invalid arguments".
func invalidArgs(err error) bool {
	return err != nil && tool.IsUser(err) && strings.HasPrefix(err.Error(), "invalid arguments")
}
